"""LLMClient: one entry point for every model call — cache, retries, concurrency limits, accounting.

Each model's calls go through the transport its backend kind opens (`abmcts.llm.backends`).
In-process models (`offline/<x>`) run on a thread pool; their seed is derived from the cache key, so
the same (model, messages, params, sample_index) always gives the same text. Their tokens are
approximate (len(text) // 4, the usual ~4 characters per token) and cost and latency are 0, so a
fresh offline run writes the same tree bytes as any other. Remote models (litellm, imported only
when one is configured) report their latency as the wall time of the successful attempt (backoff
and rate-limit waits excluded). A call failure never raises: after the retry budget it comes back
as `Completion(text=None, error="<type>: <message>")` and is not cached.

With a spend account (`abmcts.llm.ledger.SpendAccount`) every attempt sent to a billed model is
reserved in the run's spend ledger before it leaves and settled to its bill when it comes back; a
request the caps cannot admit is not sent (`SpendStopped`). Cache hits send nothing and reserve
nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from abmcts.errors import ConfigError, LLMError
from abmcts.llm.aio import run_sync
from abmcts.llm.backends import BackendContext, OfflineModel, Transport, approx_tokens, backend_of
from abmcts.llm.cache import ResponseCache, cache_key
from abmcts.llm.ledger import UNUSED, Bill, Draft, SpendAccount, bill_for_answer, bill_for_failure
from abmcts.llm.limits import ModelLimiter, share_of
from abmcts.llm.pricing import cap_problems, worst_case_cost
from abmcts.llm.retry import CallFailure, backoff_delay
from abmcts.llm.spec import Completion, ModelSpec, RetryPolicy


@dataclass(frozen=True)
class CompletionRequest:
    """One call for `LLMClient.complete_many`."""

    model_name: str
    messages: list[dict[str, Any]]
    sample_index: int = 0


@dataclass(frozen=True)
class LimitShare:
    """This process is number `index` of `n` sharing each model's machine-wide limits."""

    index: int = 0
    n: int = 1


ONE_PROCESS = LimitShare()


async def _async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class LLMClient:
    """One per process: its per-model limits (`abmcts.llm.limits`) hold for every caller in it.

    The core is asynchronous (`acomplete`, `acomplete_many`) and runs on the process's event loop
    (`abmcts.llm.aio`); `complete` and `complete_many` are blocking wrappers. Remote calls use
    litellm's async API; in-process models, which are CPU-bound, run on a small thread pool so they
    never block the loop. `share` splits each model's limits with the run's other processes;
    `offline_loader` finds `offline/<name>` models (default: `abmcts.llm.offline`).
    """

    def __init__(
        self,
        models: Mapping[str, ModelSpec],
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        *,
        offline_loader: Callable[[str], OfflineModel] | None = None,
        sleep: Callable[[float], Awaitable[None]] = _async_sleep,
        share: LimitShare = ONE_PROCESS,
        account: SpendAccount | None = None,
    ) -> None:
        self.models = dict(models)
        self.account = account
        self._bounded: dict[str, bool] = {}  # per model: priced and with a max_tokens
        self.cache = cache if cache is not None else ResponseCache(None, mode="off")
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self.limiters = {
            name: ModelLimiter(
                share_of(spec.max_concurrency, share.index, share.n),
                rpm=share_of(spec.rpm, share.index, share.n),
                tpm=share_of(spec.tpm, share.index, share.n),
            )
            for name, spec in self.models.items()
        }
        for name, spec in self.models.items():
            if name != spec.name:
                raise ConfigError(f"models: key {name!r} differs from its spec name {spec.name!r}")
        kinds = {name: backend_of(spec) for name, spec in self.models.items()}
        self._billed = {name: kind.billed for name, kind in kinds.items()}
        in_process_slots = sum(
            self.limiters[n].max_concurrency for n, kind in kinds.items() if kind.in_process
        )
        self._pool = (
            ThreadPoolExecutor(max_workers=min(in_process_slots, 32), thread_name_prefix="offline-llm")
            if in_process_slots
            else None
        )
        context = BackendContext(
            pool=self._pool, replay=self.cache.mode == "replay", offline_loader=offline_loader
        )
        self._backends: dict[str, Transport] = {}
        problems: list[str] = []  # every model's problem at once, so one rerun fixes all
        for name, kind in kinds.items():
            try:
                self._backends[name] = kind.open(self.models[name], context)
            except LLMError as exc:
                problems.append(str(exc))
        if problems:
            self.close()
            raise LLMError("; ".join(problems))

    def spec(self, model_name: str) -> ModelSpec:
        spec = self.models.get(model_name)
        if spec is None:
            raise LLMError(f"unknown model {model_name!r} (configured: {', '.join(sorted(self.models))})")
        return spec

    def complete(
        self, model_name: str, messages: list[dict[str, Any]], sample_index: int = 0, task: str | None = None
    ) -> Completion:
        """Blocking `acomplete`."""
        return run_sync(self.acomplete(model_name, messages, sample_index, task))

    def complete_many(
        self, requests: Sequence[CompletionRequest | tuple], task: str | None = None
    ) -> list[Completion]:
        """Blocking `acomplete_many`."""
        return run_sync(self.acomplete_many(requests, task))

    async def acomplete(
        self, model_name: str, messages: list[dict[str, Any]], sample_index: int = 0, task: str | None = None
    ) -> Completion:
        """Cached response, or a fresh call (stored before it is returned). Raises only on misuse,
        or SpendStopped when the spend caps do not admit it (nothing was sent)."""
        return (await self.acomplete_many([(model_name, messages, sample_index)], task))[0]

    async def acomplete_many(
        self, requests: Sequence[CompletionRequest | tuple], task: str | None = None
    ) -> list[Completion]:
        """Run calls concurrently (each model within its limits), results in request order.

        Under a spend account the calls that would be sent are reserved together first (`task`
        names them in the ledger); SpendStopped means none was sent, or that a retry found no room
        (its siblings ran to the end and are cached).
        """
        reqs = [r if isinstance(r, CompletionRequest) else CompletionRequest(*r) for r in requests]
        specs = [self.spec(r.model_name) for r in reqs]
        for r in reqs:
            _check_messages(r.messages)
        keys = [
            cache_key(s.model, r.messages, s.params, r.sample_index) for s, r in zip(specs, reqs, strict=True)
        ]
        drafts = [self._draft(r, key, task) for r, key in zip(reqs, keys, strict=True)]
        entries: list[int | None] = [None] * len(reqs)
        wanted = [i for i, d in enumerate(drafts) if d is not None]
        if wanted:
            ids = await self._spend.admit([d for d in drafts if d is not None])
            for i, entry in zip(wanted, ids, strict=True):
                entries[i] = entry
        if len(reqs) == 1:  # batch size 1: no task to schedule (a replay makes ~1000 calls a second)
            return [await self._acomplete(reqs[0], keys[0], drafts[0], entries[0])]
        results = await asyncio.gather(
            *(self._acomplete(*args) for args in zip(reqs, keys, drafts, entries, strict=True)),
            return_exceptions=True,
        )
        completions: list[Completion] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            completions.append(result)
        return completions

    @property
    def _spend(self) -> SpendAccount:
        """The spend account, for a call that has a ledger draft (made only under an account)."""
        if self.account is None:
            raise AssertionError("a ledger draft without a spend account")
        return self.account

    def _draft(self, req: CompletionRequest, key: str, task: str | None) -> Draft | None:
        """The ledger entry a request would need: None when nothing is sent or nothing is billed."""
        spec = self.spec(req.model_name)
        if self.account is None or not self._billed[spec.name] or self.cache.contains(key):
            return None
        return Draft(
            stage=self.account.stage,
            task=task,
            model=spec.name,
            key=key,
            worst=self._worst_case(spec, req.messages),
            max_tokens=spec.max_output_tokens,
        )

    def _worst_case(self, spec: ModelSpec, messages: list[dict[str, Any]]) -> float | None:
        """The call's worst case; None for a model without a price or max_tokens (only uncapped)."""
        if spec.name not in self._bounded:
            self._bounded[spec.name] = not cap_problems(spec)
        return worst_case_cost(spec, messages) if self._bounded[spec.name] else None

    async def _acomplete(
        self, req: CompletionRequest, key: str, draft: Draft | None, entry: int | None
    ) -> Completion:
        spec = self.spec(req.model_name)
        record = self.cache.get(key, model=spec.model)
        if record is not None:
            if entry is not None and draft is not None:  # cached by another process since reserved: not sent
                await self._spend.settle(entry, draft, Bill(0.0, flag=UNUSED))
            if "error" in record:  # replay of a call that failed after every retry
                return Completion(text=None, error=record["error"], cached=True)
            return Completion.from_record(record, cached=True)
        completion = await self._call_with_retries(spec, req.messages, key, draft, entry)
        if completion.error is not None:
            self.cache.put_failure(key, completion.error, model=spec.model)
            return completion
        return Completion.from_record(
            self.cache.put(key, completion.record(), model=spec.model), cached=False
        )

    def close(self) -> None:
        """Stop the in-process models' pool and close what the transports hold open on this
        process's loop (a transport may define `async aclose()`: the HTTP sessions of a remote kind)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        closers = [close for t in self._backends.values() if (close := getattr(t, "aclose", None))]
        if closers:
            run_sync(_close_all(closers))

    def _policy(self, spec: ModelSpec) -> RetryPolicy:
        policy = self.retry
        if spec.max_retries is not None:
            policy = replace(policy, max_retries=spec.max_retries)
        if spec.backoff_s is not None:
            policy = replace(policy, base_delay_s=spec.backoff_s)
        return policy

    async def _call_with_retries(
        self,
        spec: ModelSpec,
        messages: list[dict[str, Any]],
        key: str,
        draft: Draft | None = None,
        entry: int | None = None,
    ) -> Completion:
        """Attempts until one answers or the retry budget is spent. With a ledger `draft`, the
        first attempt is `entry` and each retry reserves its own entry (it may wait, or raise
        SpendStopped); each is settled to its bill before the next."""
        policy, backend = self._policy(spec), self._backends[spec.name]
        failure = CallFailure("NoAttempt", "no attempt was made")
        tokens = sum(approx_tokens(m["content"]) for m in messages) + (spec.max_output_tokens or 0)
        for attempt in range(policy.max_retries + 1):
            if draft is not None and attempt > 0:
                draft = replace(draft, attempt=attempt)
                entry = (await self._spend.admit([draft]))[0]
            async with self.limiters[spec.name].slot(tokens):
                start = time.perf_counter()
                try:
                    answer = await backend.call(messages, key)
                except CallFailure as exc:
                    failure = exc
                else:
                    latency = round(time.perf_counter() - start, 6) if backend.timed else 0.0
                    if draft is not None and entry is not None:
                        await self._spend.settle(entry, draft, bill_for_answer(draft, *answer[1:]))
                    return Completion(
                        answer.text, answer.prompt_tokens, answer.completion_tokens, answer.cost, latency
                    )
            if draft is not None and entry is not None:
                bill = (
                    bill_for_answer(draft, *failure.usage, usage=True)
                    if failure.usage is not None
                    else bill_for_failure(draft, failure.billed)
                )
                await self._spend.settle(entry, draft, bill)
            if not failure.retryable or attempt == policy.max_retries:
                break
            await self._sleep(backoff_delay(policy, key, attempt, failure.retry_after_s))
        return Completion(text=None, error=str(failure))


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise LLMError(
            f"messages: expected a non-empty list of {{role, content}} dicts, got {type(messages).__name__}"
        )
    for i, m in enumerate(messages):
        if (
            not isinstance(m, dict)
            or not isinstance(m.get("role"), str)
            or not isinstance(m.get("content"), str)
        ):
            raise LLMError(f"messages[{i}]: expected {{'role': str, 'content': str}}, got {m!r:.80}")


async def _close_all(closers: list[Callable[[], Awaitable[None]]]) -> None:
    await asyncio.gather(*(close() for close in closers), return_exceptions=True)
