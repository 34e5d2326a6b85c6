"""Spend caps: a capped run stays under its cap, ends its searches cleanly, scores, and resumes to
the uncapped result without repeating a call when the cap is raised."""

from __future__ import annotations

import json

import pytest
import yaml

from abmcts.errors import ConfigError
from abmcts.experiment.paths import RunPaths
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.score import score_stage
from abmcts.stages.search import search_stage
from abmcts.stages.select import select_stage
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

from project_helpers import read_tree, smoke_config, tree_bytes

PRICE_IN, PRICE_OUT, MAX_TOKENS = 1e-6, 4e-6, 300


def _models(root, api_base: str, **extra) -> None:
    spec = {
        "name": "sim",
        "model": "openai/sim",
        "api_base": api_base,
        "max_concurrency": 8,
        "params": {"max_tokens": MAX_TOKENS},
        "input_cost_per_token": PRICE_IN,
        "output_cost_per_token": PRICE_OUT,
        **extra,
    }
    (root / "models").mkdir(exist_ok=True)
    (root / "models" / "sim.yaml").write_text(yaml.safe_dump({"name": "sim", "specs": [spec]}))


def _config(tmp_path, run_root, *overrides):
    return smoke_config(
        tmp_path,
        run_root,
        "data.limit=3",
        "search.budget=6",
        f"hydra.searchpath=[file://{tmp_path}]",
        "models=sim",
        f"cache.path={tmp_path / 'cache' / 'responses.sqlite'}",
        f"cache.executions_path={tmp_path / 'cache' / 'executions.sqlite'}",
        "executor=local",
        "executor.n_jobs=1",
        *overrides,
    )


def _run_cost(cfg) -> float:
    return sum(n["cost"] for p in RunPaths.of(cfg).trees.glob("*.json") for n in read_tree(p)["nodes"])


@pytest.mark.slow
def test_half_cap_stops_under_it_scores_and_resumes_to_the_uncapped_trees(tmp_path):
    with ProviderSimulator(ProviderConfig(reasoning_tokens=50)) as srv:
        _models(tmp_path, srv.api_base)
        # the uncapped cost, measured in a throwaway cache
        probe = smoke_config(
            tmp_path,
            "probe",
            "data.limit=3",
            "search.budget=6",
            f"hydra.searchpath=[file://{tmp_path}]",
            "models=sim",
            "executor=sequential",
        )
        fetch_stage(probe)
        search_stage(probe, progress=False)
        uncapped = _run_cost(probe)
        for node in (n for p in RunPaths.of(probe).trees.glob("*.json") for n in read_tree(p)["nodes"]):
            assert node["cost"] == pytest.approx(
                node["prompt_tokens"] * PRICE_IN + node["completion_tokens"] * PRICE_OUT
            )
        probe_requests = len(srv.completions())
        assert uncapped > 0 and probe_requests == 18

        capped = _config(tmp_path, "run", f"run.max_cost_usd={uncapped / 2}")
        summary = search_stage(capped, progress=False)
        assert _run_cost(capped) <= uncapped / 2
        assert summary["calls"] < 18
        trees = [read_tree(p) for p in RunPaths.of(capped).trees.glob("*.json")]
        assert all(t["complete"] for t in trees)
        assert {t.get("stop_reason") for t in trees} >= {"run_cost_cap"}
        select_stage(capped)
        metrics = score_stage(capped)
        assert metrics["n_tasks"] == 3
        first_requests = len(srv.completions()) - probe_requests

        raised = _config(tmp_path, "run", f"run.max_cost_usd={uncapped * 2}")
        search_stage(raised, progress=False)
        second_requests = len(srv.completions()) - probe_requests - first_requests
        assert first_requests + second_requests == 18  # no call was made twice
        never_capped = _config(tmp_path, "uncapped")  # the same cache: no call, the same answers
        search_stage(never_capped, progress=False)
        assert len(srv.completions()) == probe_requests + 18
    assert tree_bytes(raised) == tree_bytes(never_capped)


@pytest.mark.slow
def test_task_cap_ends_each_search_under_it(tmp_path):
    cap = 0.007  # above each task's first-call worst case (at most 0.0063 USD), below 6 calls of some
    with ProviderSimulator(ProviderConfig()) as srv:
        _models(tmp_path, srv.api_base)
        cfg = _config(tmp_path, "capped", f"search.max_cost_usd={cap}")
        fetch_stage(cfg)
        search_stage(cfg, progress=False)
    trees = [read_tree(p) for p in RunPaths.of(cfg).trees.glob("*.json")]
    assert all(sum(n["cost"] for n in t["nodes"]) <= cap for t in trees)
    stopped = [t for t in trees if "stop_reason" in t]
    assert stopped and all(t["stop_reason"] == "task_cost_cap" and 0 < len(t["nodes"]) < 6 for t in stopped)
    assert all(len(t["nodes"]) == 6 for t in trees if t not in stopped)


def test_a_cap_refuses_a_model_without_a_price_or_max_tokens(tmp_path):
    from abmcts.experiment.parallel import build_client

    with ProviderSimulator(ProviderConfig()) as srv:
        _models(tmp_path, srv.api_base, input_cost_per_token=None, output_cost_per_token=None)
        cfg = _config(tmp_path, "x", "run.max_cost_usd=1")
        with pytest.raises(ConfigError, match=r"'sim' \(openai/sim\): litellm has no price for it"):
            build_client(cfg)
        build_client(_config(tmp_path, "y")).close()  # no cap, no price needed
        _models(tmp_path, srv.api_base, params={})
        with pytest.raises(ConfigError, match=r"set params.max_tokens"):
            build_client(_config(tmp_path, "z", "search.max_cost_usd=1"))


def test_every_cap_requirement_is_reported_at_once_before_any_work(tmp_path):
    """A model with neither a price nor a max_tokens under a cap: both problems, one line."""
    with ProviderSimulator(ProviderConfig()) as srv:
        _models(tmp_path, srv.api_base, params={}, input_cost_per_token=None, output_cost_per_token=None)
        cfg = _config(tmp_path, "x", "run.max_cost_usd=0.5")
        fetch_stage(cfg)
        with pytest.raises(ConfigError) as info:
            search_stage(cfg, progress=False)
        assert srv.completions() == []
    message = str(info.value)
    assert "\n" not in message
    assert "litellm has no price for it" in message and "set params.max_tokens" in message


def test_a_cap_below_one_calls_worst_case_is_refused_before_any_call(tmp_path):
    with ProviderSimulator(ProviderConfig()) as srv:
        _models(tmp_path, srv.api_base)
        cfg = _config(tmp_path, "x", "run.max_cost_usd=0.0001")
        fetch_stage(cfg)
        with pytest.raises(
            ConfigError, match=r"^config run.max_cost_usd=0.0001: below one call's worst case"
        ):
            search_stage(cfg, progress=False)
        assert srv.completions() == []


@pytest.mark.parametrize(
    "override,message",
    [
        ("run.max_cost_usd=-1", r"config run.max_cost_usd=-1.0: out of range"),
        ("search.max_cost_usd=abc", r"config search.max_cost_usd: .*abc"),
        ("executor.tasks_in_flight=0", r"config executor.tasks_in_flight=0: out of range"),
    ],
)
def test_bad_caps_are_one_clear_error(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message) as info:
        smoke_config(tmp_path, "x", override)
    assert "\n" not in str(info.value)
    assert json.dumps(str(info.value))
