"""Per-model request limits for the asyncio client: requests in flight, requests and tokens per minute.

A run's worker processes each hold one `ModelLimiter` per model, built from the model's share of
the machine-wide limit (`share_of`), so the configured limit holds for the machine as a whole
without any cross-process locking. The per-minute limits are a sliding 60 s window over the send
times (the way providers count), not a token bucket, so a burst never exceeds the limit in any
minute; tokens are counted as the caller's estimate (prompt tokens + max_tokens, the providers'
own rule for rate limiting).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator
from typing import overload

MINUTE_S = 60.0
# a send leaves our window a little after it leaves the provider's (transit times differ)
WINDOW_MARGIN, WINDOW_MARGIN_S = 1.02, 0.5


@overload
def share_of(limit: int, index: int, n: int) -> int: ...
@overload
def share_of(limit: int | None, index: int, n: int) -> int | None: ...
def share_of(limit: int | None, index: int, n: int) -> int | None:
    """Process `index` of `n`'s part of a machine-wide limit: parts sum to the limit, each >= 1.

    With fewer units than processes every process still gets 1 (a limit below the process count
    cannot be split; the README says so and the scheduler uses fewer processes where it can).
    """
    if limit is None:
        return None
    return max(1, limit // n + (1 if index < limit % n else 0))


class ModelLimiter:
    """Waits until a request may go out: a free slot and room in the per-minute windows."""

    def __init__(
        self,
        max_concurrency: int,
        rpm: int | None = None,
        tpm: int | None = None,
        window_s: float = MINUTE_S,  # the per-minute window (shorter in tests)
    ) -> None:
        self.max_concurrency, self.rpm, self.tpm = max_concurrency, rpm, tpm
        self._slots = asyncio.Semaphore(max_concurrency)
        self._sent: collections.deque[tuple[float, int]] = collections.deque()  # (time, tokens)
        self._tokens_in_window = 0
        self._window_lock = asyncio.Lock()
        self._window_s = window_s * WINDOW_MARGIN + WINDOW_MARGIN_S
        self.in_flight = 0
        self.peak_in_flight = 0

    @contextlib.asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[None]:
        """Hold one request slot; the request counts against the per-minute windows when it starts."""
        async with self._slots:
            await self._wait_for_window(tokens)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1

    async def _wait_for_window(self, tokens: int) -> None:
        if self.rpm is None and self.tpm is None:
            return
        tokens = min(tokens, self.tpm) if self.tpm is not None else tokens  # one huge request still goes
        async with self._window_lock:  # first come, first served
            while True:
                now = time.monotonic()
                while self._sent and self._sent[0][0] <= now - self._window_s:
                    self._tokens_in_window -= self._sent.popleft()[1]
                fits_rpm = self.rpm is None or len(self._sent) < self.rpm
                fits_tpm = self.tpm is None or self._tokens_in_window + tokens <= self.tpm
                if fits_rpm and fits_tpm:
                    self._sent.append((now, tokens))
                    self._tokens_in_window += tokens
                    return
                await asyncio.sleep(max(self._sent[0][0] + self._window_s - now, 0.001))
