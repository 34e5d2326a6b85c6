"""Model backends: the seam between a configured model and where its calls go.

A backend *kind* is a module `abmcts.llm.backends.<kind>` (or a dotted module of your own package)
holding `BACKEND`, an object of the `BackendKind` protocol. It knows everything the pipeline asks
about a model beyond the call itself: how to open the model's transport for `LLMClient`, whether its
calls are billed (spend ledger, caps, worst-case prices), its price, its latency for the estimate and
what to check before any work. A spec's kind is `ModelSpec.backend_name`: its `backend` field, or by
the model string (`offline/<x>`: `offline`, anything else: `litellm`), so no caller tests the string.

`LLMClient` caches, retries, limits and accounts every call the same way whatever the kind; it opens
one transport per configured model when it is built. `RemoteKind` and `InProcessKind` are bases a
new kind can start from (a remote API it calls itself; a program in this process).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from abmcts.errors import ConfigError, LLMError
from abmcts.llm.retry import CallFailure, short_message
from abmcts.llm.spec import ModelSpec
from abmcts.registry import Registry


class Answer(NamedTuple):
    """One successful attempt. `usage`: the provider reported token usage (else the tokens are 0
    and the spend ledger counts the call at its worst case)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cost: float  # USD
    usage: bool = True


_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
# Local OpenAI-compatible servers (llama.cpp, vLLM) need *some* key in the request but ignore it.
PLACEHOLDER_KEY = "no-key"


def strip_reasoning(text: str) -> str:
    """The answer after a leading `<think>...</think>` block (DeepSeek-R1 served raw: code inside
    the reasoning is not the answer's code); "" if the block never closes (cut off)."""
    head = text.lstrip()
    if not head.startswith(_THINK_OPEN):
        return text
    end = head.find(_THINK_CLOSE)
    return "" if end < 0 else head[end + len(_THINK_CLOSE) :].lstrip("\n")


def remote_answer(text: Any, prompt_tokens: int, completion_tokens: int, cost: Callable[[], float]) -> Answer:
    """A remote call's answer as every remote kind hands it over: the text after any `<think>` block;
    the tokens as reported (both 0: no usage, which the spend ledger counts at its worst case);
    `cost()` asked only when usage was reported. No text left is `EmptyContent`, billed all the
    same (e.g. a `<think>` block and nothing after it), with its usage when reported."""
    text = strip_reasoning(text) if isinstance(text, str) else None
    reported = prompt_tokens > 0 or completion_tokens > 0
    usd = cost() if reported else 0.0
    if not text or not text.strip():
        usage = (prompt_tokens, completion_tokens, usd) if reported else None
        raise CallFailure("EmptyContent", "the model returned no text", billed=True, usage=usage)
    return Answer(text, prompt_tokens, completion_tokens, usd, usage=reported)


def scrub_key(message: str, api_key: str | None) -> str:
    """`message` with the API key masked (a provider may echo it), on one bounded line."""
    if api_key and api_key != PLACEHOLDER_KEY:
        message = message.replace(api_key, "***")
    return short_message(message)


class OfflineModel(Protocol):
    """An in-process program writer: deterministic for a given seed, reads only the messages."""

    def generate(self, messages: list[dict[str, Any]], seed: int) -> str: ...


class Transport(Protocol):
    """One model's calls. `timed`: whether a call's latency is its wall time (remote) or 0
    (in-process: no clock in the result, so a fresh run writes the same tree bytes as any other).
    A failed attempt raises `CallFailure`, saying whether it may be retried and was billed."""

    timed: bool

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer: ...


@dataclass(frozen=True)
class BackendContext:
    """What the caller lends a kind: the client's thread pool for in-process models, whether the
    cache answers every call (replay: nothing is sent, so no key is needed), and who loads an
    `offline/<name>` model (None: `abmcts.llm.offline`; tests and the judge's stand-in bring their own)."""

    pool: Executor | None = None
    replay: bool = False
    offline_loader: Callable[[str], OfflineModel] | None = None


class BackendKind(Protocol):
    """One kind of model backend (see the module docstring)."""

    billed: bool  # calls cost money: the spend ledger reserves them, a cost cap needs a price and max_tokens
    in_process: bool  # CPU-bound in this process: runs on the client's pool, adds no searches in flight
    preload: tuple[str, ...]  # modules the search's fork server imports once for every worker process

    def check(self, spec: ModelSpec, context: BackendContext) -> list[str]:
        """Every problem with `spec` found without calling out (run at config validation)."""
        ...

    def open(self, spec: ModelSpec, context: BackendContext) -> Transport:
        """The model's transport, ready to call; LLMError naming the model if it cannot be (a missing
        API key, an unknown model)."""
        ...

    def cost(self, spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for a call of this size; ConfigError when no price is known."""
        ...

    def latency(self, spec: ModelSpec, typical_s: float) -> tuple[float, float]:
        """(expected, worst) seconds per call, for the estimate; `typical_s` is the user's guess."""
        ...


BACKENDS: Registry[BackendKind] = Registry("model backend", "abmcts.llm.backends", "BACKEND")


def backend_of(spec: ModelSpec, field: str = "backend") -> BackendKind:
    """The spec's backend kind; ConfigError naming `field` if there is no such kind."""
    return BACKENDS.get(spec.backend_name, field)


def approx_tokens(text: str) -> int:
    """Token count estimate for in-process models (and rate limits): ~4 characters per token."""
    return len(text) // 4


class RemoteKind:
    """A base for kinds that send calls out and are billed: priced by the spec's
    `input_cost_per_token`/`output_cost_per_token` (override `cost` for a price list), latency the
    user's typical guess up to the spec's `timeout_s`. A subclass writes `open`."""

    billed = True
    in_process = False
    preload: tuple[str, ...] = ()

    def check(self, spec: ModelSpec, context: BackendContext) -> list[str]:
        return []

    def open(self, spec: ModelSpec, context: BackendContext) -> Transport:
        raise NotImplementedError

    def cost(self, spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
        price = spec.configured_price
        if price is None:
            raise ConfigError(
                f"model {spec.name!r} ({spec.model}): no price known; set "
                "input_cost_per_token and output_cost_per_token in its spec to use a cost cap"
            )
        return prompt_tokens * price[0] + completion_tokens * price[1]

    def latency(self, spec: ModelSpec, typical_s: float) -> tuple[float, float]:
        return typical_s, spec.timeout_s


class InProcessKind:
    """A base for kinds whose models are `OfflineModel`s run in this process: free, untimed, on the
    client's thread pool, seeded by the cache key. A subclass writes `model` (which one a spec names)."""

    billed = False
    in_process = True
    preload: tuple[str, ...] = ()

    def model(self, spec: ModelSpec, context: BackendContext) -> OfflineModel:
        raise NotImplementedError

    def check(self, spec: ModelSpec, context: BackendContext) -> list[str]:
        try:
            self.model(spec, context)
        except Exception as exc:
            return [short_message(str(exc))]
        return []

    def open(self, spec: ModelSpec, context: BackendContext) -> Transport:
        try:
            model = self.model(spec, context)
        except Exception as exc:
            raise LLMError(f"model {spec.name!r} ({spec.model}): cannot load offline model ({exc})") from None
        return InProcessTransport(model, context.pool)

    def cost(self, spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
        return 0.0

    def latency(self, spec: ModelSpec, typical_s: float) -> tuple[float, float]:
        return 0.0, 0.0


@dataclass
class InProcessTransport:
    """Runs the model on a thread pool (it is CPU-bound) with a seed taken from the cache key."""

    model: OfflineModel
    pool: Executor | None
    timed = False

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer:
        seed = int(key[:16], 16)  # deterministic per cache key
        loop = asyncio.get_running_loop()
        try:
            text = await loop.run_in_executor(self.pool, self.model.generate, messages, seed)
        except Exception as exc:  # deterministic model: the same seed fails the same way, don't retry
            raise CallFailure(type(exc).__name__, short_message(str(exc)), retryable=False) from None
        if not isinstance(text, str) or not text.strip():
            raise CallFailure("EmptyContent", "offline model returned no text", retryable=False)
        prompt_tokens = sum(approx_tokens(m["content"]) for m in messages)
        return Answer(text, prompt_tokens, approx_tokens(text), 0.0)
