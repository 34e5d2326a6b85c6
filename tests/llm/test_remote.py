"""Both remote kinds (litellm, openai_compatible) against the loopback fault server: retries,
backoff, budgets, caching, key hygiene; every test runs once per kind."""

import json
import os
import subprocess
import sys

import pytest

from abmcts.llm import LLMClient, ModelSpec, ResponseCache, RetryPolicy
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

from llm_helpers import msgs

REMOTE_KINDS = ["litellm", "openai_compatible"]


@pytest.fixture(autouse=True, params=REMOTE_KINDS)
def kind(request, monkeypatch):
    """The backend kind `fault_client` (and the canary script) builds its model with."""
    monkeypatch.setenv("ABMCTS_TEST_KIND", request.param)
    return request.param


def fault_client(srv, cache=None, retry=None, **spec_kw):
    backend = os.environ["ABMCTS_TEST_KIND"]
    spec = ModelSpec(
        **{
            "name": "f",
            "model": "openai/fault",
            "api_base": srv.api_base,
            "timeout_s": 2.0,
            "backend": backend,
            **spec_kw,
        }
    )
    return LLMClient({"f": spec}, cache, retry or RetryPolicy(max_retries=3, base_delay_s=0.01, jitter=0.0))


def test_success_records_usage_and_is_replayable_with_server_gone(tmp_path, kind):
    path = tmp_path / "c.sqlite"
    with ProviderSimulator() as srv:
        c = fault_client(srv, ResponseCache(path)).complete("f", msgs("hello world!"), 0)
        assert c.error is None and "```python" in c.text
        assert c.prompt_tokens == len("hello world!") // 4 and c.completion_tokens == len(c.text) // 4
        assert c.cost == 0.0 and c.latency_s > 0
        api_base = srv.api_base
    spec = ModelSpec(name="f", model="openai/fault", api_base=api_base, timeout_s=2.0, backend=kind)
    again = LLMClient({"f": spec}, ResponseCache(path, mode="replay")).complete("f", msgs("hello world!"), 0)
    assert again.cached and again.text == c.text and again.latency_s == c.latency_s


def test_half_faulty_server_every_call_completes_within_budget():
    cfg = ProviderConfig(
        rate_429=0.15, rate_500=0.15, rate_truncated=0.1, rate_empty=0.1, retry_after_s=0.01, seed=1
    )
    with ProviderSimulator(cfg) as srv:
        client = fault_client(srv, retry=RetryPolicy(max_retries=2, base_delay_s=0.01))
        out = client.complete_many([("f", msgs(f"task {i}"), 0) for i in range(24)])
        requests = srv.completions()
    assert len(out) == 24
    assert all((c.text is None) != (c.error is None) for c in out)
    assert sum(c.error is None for c in out) >= 18  # 50% faults, 3 attempts: ~87% succeed
    assert 24 < len(requests) <= 24 * 3
    faults = {r.outcome for r in requests} - {"ok"}
    assert faults == {"429", "500", "truncated", "empty"}
    assert sum(r.outcome == "ok" for r in requests) == sum(c.error is None for c in out)


def test_attempt_budget_and_exponential_backoff_are_honoured():
    with ProviderSimulator(ProviderConfig(rate_500=1.0)) as srv:
        retry = RetryPolicy(max_retries=3, base_delay_s=0.05, jitter=0.0)
        c = fault_client(srv, retry=retry).complete("f", msgs(), 0)
        times = [r.t for r in srv.completions()]
    assert c.text is None and c.error.startswith("InternalServerError: ")
    assert len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    for gap, expected in zip(gaps, [0.05, 0.1, 0.2], strict=True):
        assert gap >= expected * 0.95


def test_per_model_retry_override():
    with ProviderSimulator(ProviderConfig(rate_500=1.0)) as srv:
        fault_client(srv, max_retries=1, backoff_s=0.0).complete("f", msgs(), 0)
        assert len(srv.completions()) == 2


def test_retry_after_is_honoured():
    with ProviderSimulator(ProviderConfig(rate_429=1.0, retry_after_s=0.3)) as srv:
        c = fault_client(srv, retry=RetryPolicy(max_retries=1, base_delay_s=0.001)).complete("f", msgs(), 0)
        times = [r.t for r in srv.completions()]
    assert c.error.startswith("RateLimitError: ")
    assert len(times) == 2 and times[1] - times[0] >= 0.29


def test_timeout_is_retried_then_reported():
    with ProviderSimulator(ProviderConfig(rate_slow=1.0, slow_s=1.0)) as srv:
        c = fault_client(srv, timeout_s=0.3, retry=RetryPolicy(max_retries=1, base_delay_s=0.0)).complete(
            "f", msgs(), 0
        )
        assert len(srv.completions()) == 2
    assert c.error.startswith("Timeout: ")


@pytest.mark.parametrize("fault", ["truncated", "empty"])
def test_garbage_and_empty_answers_are_retried_and_not_cached(tmp_path, fault):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with ProviderSimulator(ProviderConfig(**{f"rate_{fault}": 1.0})) as srv:
        c = fault_client(srv, cache, retry=RetryPolicy(max_retries=2, base_delay_s=0.0)).complete(
            "f", msgs(), 0
        )
        assert len(srv.completions()) == 3
    assert c.text is None and c.error
    assert len(cache) == 0


def test_answer_without_code_is_a_valid_response(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with ProviderSimulator(ProviderConfig(rate_nocode=1.0)) as srv:
        c = fault_client(srv, cache).complete("f", msgs(), 0)
        assert len(srv.completions()) == 1
    assert c.error is None and "```" not in c.text and len(cache) == 1


CANARY_SCRIPT = """
import os, sys
from abmcts.llm import LLMClient, ModelSpec, ResponseCache, RetryPolicy
from abmcts.testing.provider import ProviderConfig, ProviderSimulator
with ProviderSimulator(ProviderConfig(rate_500=0.5, rate_429=0.2, seed=3)) as srv:
    spec = ModelSpec(
        name="f", model="openai/fault", api_base=srv.api_base, api_key_env="ABMCTS_CANARY_KEY",
        backend=os.environ["ABMCTS_TEST_KIND"],
    )
    client = LLMClient({"f": spec}, ResponseCache(sys.argv[1]), RetryPolicy(max_retries=1, base_delay_s=0.0))
    for c in client.complete_many([("f", [{"role": "user", "content": f"q{i}"}], 0) for i in range(6)]):
        print(c)
    print(client.cache.stats, spec)
"""


def test_api_key_never_reaches_disk_or_output(tmp_path):
    canary = "sk-canary-7f3a9c1e5b"
    env = {**os.environ, "ABMCTS_CANARY_KEY": canary, "TMPDIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", CANARY_SCRIPT, str(tmp_path / "cache.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "error='InternalServerError" in out.stdout or "error='RateLimitError" in out.stdout
    assert "text='Here is a program" in out.stdout
    assert canary not in out.stdout and canary not in out.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "cache.sqlite" for p in files)
    for p in files:
        assert canary.encode() not in p.read_bytes(), p


def test_fault_server_models_endpoint_and_determinism():
    import urllib.request

    cfg = ProviderConfig(rate_500=0.5, seed=7)
    runs = []
    for _ in range(2):
        with ProviderSimulator(cfg) as srv:
            with urllib.request.urlopen(f"{srv.api_base}/models", timeout=5) as resp:
                assert json.load(resp)["data"][0]["id"] == "fault"
            fault_client(srv, retry=RetryPolicy(max_retries=0)).complete("f", msgs(), 0)
            for i in range(9):
                fault_client(srv, retry=RetryPolicy(max_retries=0)).complete("f", msgs(), i)
            runs.append([r.outcome for r in srv.completions()])
    assert runs[0] == runs[1] and set(runs[0]) == {"ok", "500"}
