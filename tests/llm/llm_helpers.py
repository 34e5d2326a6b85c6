"""Helpers for the LLM layer tests: a tiny deterministic offline model and a message builder."""

from __future__ import annotations

import threading
import time


class EchoModel:
    """Offline stand-in: text depends only on (seed, prompt); optional delay to observe concurrency."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.active = 0
        self.peak = 0
        self.calls = 0
        self._lock = threading.Lock()

    def generate(self, messages: list[dict], seed: int) -> str:
        with self._lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            prompt = messages[-1]["content"]
            return f"seed {seed} for {prompt}\n```python\ndef transform(grid):\n    return grid\n```\n"
        finally:
            with self._lock:
                self.active -= 1


def msgs(text: str = "solve this") -> list[dict]:
    return [{"role": "user", "content": text}]
