"""The provider simulator and the async client against it: limits, usage, prices, answer shapes."""

from __future__ import annotations

import math

import pytest

from abmcts.arc.extract import extract_code
from abmcts.llm import LLMClient, ModelSpec, RetryPolicy
from abmcts.llm.limits import ModelLimiter
from abmcts.llm.remote import load_litellm
from abmcts.testing.provider import DECOY, ProviderConfig, ProviderSimulator

from llm_helpers import msgs

RETRY = RetryPolicy(max_retries=3, base_delay_s=0.01, jitter=0.0)


def sim_client(srv, model="openai/sim", retry=RETRY, **spec_kw):
    spec = ModelSpec(name="m", model=model, api_base=srv.api_base, timeout_s=10.0, **spec_kw)
    return LLMClient({"m": spec}, retry=retry)


def test_client_within_the_providers_in_flight_limit_meets_no_429():
    with ProviderSimulator(ProviderConfig(latency_s=0.2, max_in_flight=6)) as srv:
        out = sim_client(srv, max_concurrency=6).complete_many([("m", msgs(f"q{i}"), 0) for i in range(24)])
        log = srv.completions()
    assert all(c.error is None for c in out)
    assert [r.outcome for r in log] == ["ok"] * 24
    assert max(r.in_flight for r in log) == 6  # the limit was used, never exceeded


def test_above_the_limit_the_provider_answers_429_and_the_client_retries():
    cfg = ProviderConfig(latency_s=0.2, max_in_flight=3, retry_after_s=0.05)
    with ProviderSimulator(cfg) as srv:
        retry = RetryPolicy(max_retries=10, base_delay_s=0.05, jitter=0.5)  # jitter: no lockstep
        client = sim_client(srv, retry=retry, max_concurrency=8)
        out = client.complete_many([("m", msgs(f"q{i}"), 0) for i in range(8)])
        log = srv.completions()
    assert any(r.outcome == "limit" for r in log)  # 8 sent at once, 3 admitted
    assert max(r.in_flight for r in log) == 3
    assert all(c.error is None for c in out)  # every call got through on a retry


def test_client_rpm_limit_keeps_every_window_under_the_providers():
    cfg = ProviderConfig(rpm=4, window_s=0.5)
    with ProviderSimulator(cfg) as srv:
        spec = ModelSpec(name="m", model="openai/sim", api_base=srv.api_base, rpm=4, max_concurrency=16)
        client = LLMClient({"m": spec}, retry=RETRY)
        client.limiters["m"] = ModelLimiter(16, rpm=4, window_s=0.5)
        out = client.complete_many([("m", msgs(f"q{i}"), 0) for i in range(10)])
        times = [r.t for r in srv.completions()]
    assert all(c.error is None for c in out)
    assert [r.outcome for r in srv.completions()] == ["ok"] * 10
    assert times[-1] - times[0] >= 2 * 0.5  # 10 requests at 4 per window need 3 windows


def test_lognormal_latency_is_seeded_with_the_median_it_was_given():
    cfg = ProviderConfig(latency_s=0.5, latency_sigma=1.0, seed=3)
    draws = sorted(cfg.latency(n) for n in range(2001))
    assert draws == sorted(
        ProviderConfig(latency_s=0.5, latency_sigma=1.0, seed=3).latency(n) for n in range(2001)
    )
    assert 0.45 < draws[1000] < 0.55
    assert draws[-1] > 5 * 0.5  # a long tail


def test_reasoning_model_costs_its_tokens_at_litellms_price_and_its_thinking_is_dropped():
    prices = load_litellm().model_cost["gpt-4o-mini"]
    cfg = ProviderConfig(reasoning_tokens=300, think=True)
    with ProviderSimulator(cfg) as srv:
        c = sim_client(srv, model="openai/gpt-4o-mini").complete("m", msgs("x" * 400), 0)
    assert c.error is None and "<think>" not in c.text and DECOY not in c.text
    assert "def transform" in extract_code(c.text)
    assert c.prompt_tokens == 100
    assert c.completion_tokens > 300  # the reasoning tokens are billed as completion tokens
    expected = 100 * prices["input_cost_per_token"] + c.completion_tokens * prices["output_cost_per_token"]
    assert math.isclose(c.cost, expected, rel_tol=1e-9) and c.cost > 0


def test_a_configured_price_prices_a_model_litellm_does_not_know():
    with ProviderSimulator(ProviderConfig(reasoning_tokens=10)) as srv:
        c = sim_client(srv, input_cost_per_token=2e-6, output_cost_per_token=8e-6).complete(
            "m", msgs("y" * 80), 0
        )
    assert math.isclose(c.cost, 20 * 2e-6 + c.completion_tokens * 8e-6, rel_tol=1e-12)


def test_unclosed_think_block_is_no_answer():
    from abmcts.llm.backends import strip_reasoning

    assert strip_reasoning("<think>still thinking ```python\ndef transform(g): ...") == ""
    assert strip_reasoning("  <think>a</think>\n\nanswer") == "answer"
    assert strip_reasoning("answer <think>x</think>") == "answer <think>x</think>"


def test_temperature_rejection_is_permanent_unless_drop_params():
    cfg = ProviderConfig(reject_temperature=True)
    with ProviderSimulator(cfg) as srv:
        # a model the provider rejects temperature for: one request, a clear error, no retry
        bad = sim_client(srv, model="openai/reasoner", params={"temperature": 0.6}).complete("m", msgs(), 0)
        assert bad.error.startswith("BadRequestError") and "temperature" in bad.error
        assert [r.outcome for r in srv.completions()] == ["bad_param"]
        # an o-series model with litellm's drop_params: temperature is not sent
        spec_params = {"temperature": 0.6, "drop_params": True}
        good = sim_client(srv, model="openai/o4-mini", params=spec_params).complete("m", msgs(), 0)
        assert good.error is None
        last = srv.completions()[-1]
        assert last.outcome == "ok" and "temperature" not in last.params


@pytest.mark.parametrize("field,value", [("rpm", 0), ("tpm", -5), ("input_cost_per_token", -1.0)])
def test_bad_limits_and_prices_are_config_errors(field, value):
    from abmcts.errors import ConfigError

    extra = {"output_cost_per_token": 1e-6} if field == "input_cost_per_token" else {}
    with pytest.raises(ConfigError, match=field):
        ModelSpec(name="m", model="openai/x", **{field: value}, **extra)


def test_a_price_needs_both_directions():
    from abmcts.errors import ConfigError

    with pytest.raises(ConfigError, match="both input_cost_per_token and output_cost_per_token"):
        ModelSpec(name="m", model="openai/x", input_cost_per_token=1e-6)


def test_the_simulator_bills_what_it_generates_and_the_ledger_counts_at_least_that(tmp_path):
    """The simulator's own bill: priced usage for every answer it generated (with or without usage
    in the body, cut off, think-only), nothing for its 429s; an honest one never bills past the
    request's max_tokens. The client's ledger counts at least the bill, attempt by attempt."""
    from abmcts.llm.ledger import BILLED_UNKNOWN, USAGE_MISSING, SpendAccount, SpendLedger

    cfg = ProviderConfig(
        rate_429=0.2,
        rate_thinkonly=0.2,
        rate_truncated=0.1,
        rate_nousage=0.3,
        reasoning_tokens=500,
        retry_after_s=0.01,
        price_in=1e-6,
        price_out=4e-6,
        seed=11,
    )
    with ProviderSimulator(cfg) as srv:
        ledger = SpendLedger(tmp_path / "spend.sqlite")
        account = SpendAccount(ledger)
        spec = ModelSpec(
            "m",
            "openai/sim",
            api_base=srv.api_base,
            params={"max_tokens": 300},
            input_cost_per_token=1e-6,
            output_cost_per_token=4e-6,
            max_concurrency=4,
        )
        client = LLMClient({"m": spec}, retry=RETRY, account=account)
        client.complete_many([("m", msgs(f"q{i}"), 0) for i in range(30)])
        account.close()
        log = srv.completions()
    totals = ledger.totals()
    assert {r.outcome for r in log} >= {"ok", "429", "thinkonly", "truncated"}
    assert all(r.billed_usd == 0 for r in log if r.outcome in ("429", "limit"))
    assert max(r.billed_usd for r in log) <= 300 * 4e-6 + 1e-3  # completion tokens capped at max_tokens
    assert totals.entries == len(log) and totals.n_open == 0  # every attempt is an entry
    assert totals.flags[USAGE_MISSING] > 0 and totals.flags[BILLED_UNKNOWN] > 0
    assert srv.billed_usd <= totals.counted + 1e-12


def test_a_burst_of_new_connections_is_answered_like_a_real_provider():
    """128 requests leaving at once on fresh connections (a search's start): none is reset."""
    with ProviderSimulator(ProviderConfig(latency_s=0.3)) as srv:
        client = sim_client(
            srv, retry=RetryPolicy(max_retries=0), max_concurrency=128, backend="openai_compatible"
        )
        out = client.complete_many([("m", msgs(f"q{i}"), 0) for i in range(128)])
        log = srv.completions()
    assert [c.error for c in out if c.error] == [] and len(log) == 128
    assert max(r.in_flight for r in log) > 64  # they were in flight together
