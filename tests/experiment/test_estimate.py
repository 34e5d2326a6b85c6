"""The preflight estimate: worst-case cost from the prompt bound and max_tokens, wall time bounds."""

from __future__ import annotations

import math

import pytest

from abmcts.arc.prompts import PromptTemplates
from abmcts.experiment.estimate import _messages_sizes, estimate_run, format_estimate
from abmcts.experiment.rundata import load_run_tasks
from abmcts.llm.pricing import prompt_token_bound
from abmcts.llm.spec import ModelSpec
from abmcts.stages.fetch import fetch_stage

from project_helpers import smoke_config


def test_estimate_prices_the_worst_case_and_bounds_the_wall_time(tmp_path):
    cfg = smoke_config(tmp_path, "run", "data.limit=3", "search.budget=10", "run.max_cost_usd=1.0")
    fetch_stage(cfg)
    tasks = list(load_run_tasks(cfg).values())
    spec = ModelSpec(
        name="m",
        model="openai/priced",
        params={"max_tokens": 1000},
        max_concurrency=2,
        input_cost_per_token=1e-6,
        output_cost_per_token=3e-6,
        timeout_s=100.0,
    )
    cfg.models.specs = [spec]
    (row,) = estimate_run(cfg, tasks, latency_s=5.0)
    templates = PromptTemplates(cfg.prompts.initial, cfg.prompts.refinement)
    worst_prompt = max(
        prompt_token_bound([{"content": t}]) for task in tasks for t in _messages_sizes(task, templates, 1200)
    )
    assert row.calls == 30
    assert row.cost_usd[1] == pytest.approx(30 * (worst_prompt * 1e-6 + 1000 * 3e-6))
    assert 0 < row.cost_usd[0] < row.cost_usd[1]
    assert row.wall_s[0] == pytest.approx(max(10 * 5.0, 30 * 5.0 / 2))  # the model's limit binds
    assert row.wall_s[1] == pytest.approx(max(10 * 100.0, 30 * 100.0 / 2))
    text = format_estimate([row], cfg)
    assert "run.max_cost_usd=1.0" in text and "m " in text


def test_unpriced_and_unbounded_models_are_shown_as_such(tmp_path):
    cfg = smoke_config(tmp_path, "run", "data.limit=1", "search.budget=4")
    fetch_stage(cfg)
    tasks = list(load_run_tasks(cfg).values())
    cfg.models.specs = [
        ModelSpec(name="nop", model="openai/no-such-price"),
        ModelSpec(name="nomax", model="openai/x", input_cost_per_token=1e-6, output_cost_per_token=1e-6),
    ]
    unpriced, unbounded = estimate_run(cfg, tasks)
    assert math.isnan(unpriced.cost_usd[0]) and math.isinf(unbounded.cost_usd[1])
    assert math.isinf(unbounded.completion_tokens[1])  # no finite worst-case tokens beside inf cost
    text = format_estimate([unpriced, unbounded], cfg)
    run_line = text.splitlines()[-1]
    assert "nan" not in text.lower() and "no price" in text
    assert run_line.startswith("run: cost ") and "(without nop: no price)" in run_line
    assert "unbounded worst" in run_line
    nomax_row = next(line for line in text.splitlines() if line.startswith("nomax"))
    assert nomax_row.count("unbounded") == 2  # its worst-case completion tokens and cost


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (45.4, "45 s"), (600, "10 min"), (75000, "20 h 50 min"), (7200, "2 h"), (190800, "2 d 5 h")],
)
def test_wall_time_reads_as_a_duration(seconds, shown):
    from abmcts.experiment.estimate import duration

    assert duration(seconds) == shown and duration(math.inf) == "unbounded"


def test_the_run_summary_is_json_without_nan(tmp_path):
    import json

    from abmcts.experiment.estimate import estimate_summary

    cfg = smoke_config(tmp_path, "run", "data.limit=1", "search.budget=4")
    fetch_stage(cfg)
    cfg.models.specs = [
        ModelSpec(name="nop", model="openai/no-such-price"),
        ModelSpec(name="nomax", model="openai/x", input_cost_per_token=1e-6, output_cost_per_token=1e-6),
    ]
    summary = estimate_summary(estimate_run(cfg, list(load_run_tasks(cfg).values())))
    text = json.dumps(summary, allow_nan=False)  # strict JSON: no NaN, no Infinity
    assert summary["unpriced"] == ["nop"] and summary["cost_usd"][1] is None and "NaN" not in text
