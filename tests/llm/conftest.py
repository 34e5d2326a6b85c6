"""Shared helpers for the LLM layer tests: a tiny deterministic offline model and message builder."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

_HERE = Path(__file__).parent
# litellm's pydantic models warn when first used; that noise is not about this package.
_LITELLM_NOISE = pytest.mark.filterwarnings("ignore:Items? .*`ReadOnly` qualifier:UserWarning")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == _HERE:
            item.add_marker(_LITELLM_NOISE)


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


@pytest.fixture
def echo() -> EchoModel:
    return EchoModel()
