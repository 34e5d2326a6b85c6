"""Which call failures are worth retrying, and how long to wait before the next attempt."""

from __future__ import annotations

import random

from abmcts.llm.spec import RetryPolicy

# Client errors that the same request will hit again: retrying only burns budget.
_PERMANENT_STATUS = frozenset({400, 401, 403, 404, 422})


class CallFailure(Exception):
    """One failed attempt: `kind` names the failure, `retry_after_s` echoes a server's Retry-After.

    For the spend ledger, `billed` says whether the provider billed it: False for its error
    response (429, 5xx, 4xx) or an offline model, None when nobody can tell (a timeout, a broken
    connection, a cut-off body), True for an answer that arrived with `usage` (prompt tokens,
    completion tokens, cost) but is unusable (no text after a `<think>` block).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        retryable: bool = True,
        retry_after_s: float | None = None,
        billed: bool | None = False,
        usage: tuple[int, int, float] | None = None,
    ):
        super().__init__(kind, message)
        self.kind, self.message = kind, message
        self.retryable, self.retry_after_s = retryable, retry_after_s
        self.billed, self.usage = billed, usage

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def is_retryable_status(status: int | None) -> bool:
    """Rate limits, timeouts, 5xx, unknown statuses: retry. Auth / bad request / not found: don't."""
    return status not in _PERMANENT_STATUS


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form only; HTTP dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def backoff_delay(policy: RetryPolicy, key: str, attempt: int, retry_after_s: float | None = None) -> float:
    """Delay before retry number `attempt` (0-based) of the call with cache key `key`.

    base * 2**attempt, scaled by a jitter factor in [1 - jitter, 1] drawn from a RNG seeded by
    (policy seed, key, attempt) — deterministic per call, yet calls do not retry in lockstep.
    A server's Retry-After is honoured (as a lower bound), both capped at max_delay_s.
    """
    rng = random.Random(f"{policy.seed}:{key}:{attempt}")
    delay = policy.base_delay_s * (2**attempt) * (1.0 - policy.jitter * rng.random())
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return min(delay, policy.max_delay_s)


def short_message(text: object, limit: int = 200) -> str:
    """First line of an error message, bounded, so errors stay readable in tree files."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
