"""Where a model call goes: an in-process offline model, or a remote API through litellm.

`LLMClient` caches, retries, limits and accounts every call the same way; it picks one backend per
configured model when it is built, so no call path checks the model string again.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from abmcts.llm.retry import CallFailure, short_message
from abmcts.llm.spec import ModelSpec


class Answer(NamedTuple):
    """One successful attempt. `usage`: the provider reported token usage (else the tokens are 0
    and the spend ledger counts the call at its worst case)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cost: float  # USD
    usage: bool = True


class OfflineModel(Protocol):
    """An in-process program writer: deterministic for a given seed, reads only the messages."""

    def generate(self, messages: list[dict[str, Any]], seed: int) -> str: ...


class ModelBackend(Protocol):
    """One model's transport. `timed`: whether a call's latency is its wall time (remote) or 0
    (offline: no clock in the result, so a fresh offline run writes the same tree bytes as any other)."""

    timed: bool

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer: ...


def approx_tokens(text: str) -> int:
    """Token count estimate for offline models (and rate limits): ~4 characters per token."""
    return len(text) // 4


@dataclass
class OfflineBackend:
    """Runs the model on a thread pool (it is CPU-bound) with a seed taken from the cache key."""

    model: OfflineModel
    pool: ThreadPoolExecutor | None
    timed = False

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer:
        seed = int(key[:16], 16)  # deterministic per cache key
        loop = asyncio.get_running_loop()
        try:
            text = await loop.run_in_executor(self.pool, self.model.generate, messages, seed)
        except Exception as exc:  # deterministic model: the same seed fails the same way, don't retry
            raise CallFailure(type(exc).__name__, short_message(exc), retryable=False) from None
        if not isinstance(text, str) or not text.strip():
            raise CallFailure("EmptyContent", "offline model returned no text", retryable=False)
        prompt_tokens = sum(approx_tokens(m["content"]) for m in messages)
        return Answer(text, prompt_tokens, approx_tokens(text), 0.0)


@dataclass
class RemoteBackend:
    """litellm's async API (imported on the first call); tokens and cost as the provider reports."""

    spec: ModelSpec
    timed = True

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer:
        from abmcts.llm.remote import acall_remote

        return await acall_remote(self.spec, messages)
