"""Preflight estimate of a run's cost and wall time, per model, before any model call.

From the configured run: the selected tasks' rendered prompts, the budget, each model's price
(`abmcts.llm.pricing`), `params.max_tokens`, limits and timeout. The assumptions, stated:

* calls are split evenly over the models (AB-MCTS-M shifts them towards the better model);
* half the calls are initial prompts and half refinements (repeated sampling: all initial); a
  refinement prompt is rendered with a parent program of `code_chars` characters whose outputs are
  the task's train outputs;
* a model with no known price shows "no price" and is left out of the run total (named there);
  without max_tokens its worst-case completion tokens and cost are unbounded;
* tokens: expected = characters / 4 (the usual ~4 characters per token; no tokenizer download),
  worst case = the byte bound `pricing.prompt_token_bound`; completion tokens: expected =
  `completion_tokens` (default: half of max_tokens), worst = max_tokens;
* latency: the model's backend kind's (`abmcts.llm.backends`): expected = `latency_s` per remote
  call, worst = the model's `timeout_s`; in-process (offline) models 0.
* wall time = the longest of: one task's calls in sequence (budget / batch_size x latency), each
  model's calls through its `max_concurrency`, its rpm and tpm, and the tasks through the
  scheduler's tasks in flight. Retries, sandbox time and start-up are not included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from abmcts.arc.prompts import PromptTemplates, render_initial, render_refinement
from abmcts.arc.task import Task
from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.parallel import local_processes, tasks_in_flight
from abmcts.experiment.rundata import load_run_tasks
from abmcts.llm.backends import backend_of
from abmcts.llm.pricing import cost_of, prompt_token_bound
from abmcts.llm.spec import ModelSpec

DEFAULT_LATENCY_S = 30.0  # reasoning models answer in 30-300 s; pass latency_s for your models
DEFAULT_COMPLETION_TOKENS = 2000  # when a model sets no max_tokens
CODE_CHARS = 1200


@dataclass
class ModelEstimate:
    name: str
    calls: int
    prompt_tokens: tuple[int, int]  # (expected, worst) over the run
    completion_tokens: tuple[int, float]  # worst: inf without max_tokens
    cost_usd: tuple[float, float]
    wall_s: tuple[float, float]


def _messages_sizes(task: Task, templates: PromptTemplates, code_chars: int) -> tuple[str, str]:
    initial = render_initial(task, templates)
    train_out = [p.output for p in task.train]
    test_out = list(task.test_inputs)  # stand-ins of the right size; the estimate never reads answers
    code = "def transform(grid):\n" + "#" * max(code_chars - 22, 0)
    refinement = render_refinement(task, templates, code, train_out, test_out)
    return initial, refinement


def estimate_run(
    cfg: RootConfig,
    tasks: list[Task],
    latency_s: float = DEFAULT_LATENCY_S,
    completion_tokens: int | None = None,
    code_chars: int = CODE_CHARS,
    n_processes: int = 1,
) -> list[ModelEstimate]:
    """Expected and worst-case cost and wall time of the configured run, per model."""

    templates = PromptTemplates(initial=cfg.prompts.initial, refinement=cfg.prompts.refinement)
    refine_share = 0.0 if cfg.search.algorithm == "repeated_sampling" else 0.5
    expected_prompt, worst_prompt = 0.0, 0
    for task in tasks:
        initial, refinement = _messages_sizes(task, templates, code_chars)
        expected_prompt += ((1 - refine_share) * len(initial) + refine_share * len(refinement)) / 4
        worst_prompt = max(
            worst_prompt, *(prompt_token_bound([{"content": t}]) for t in (initial, refinement))
        )
    specs = cfg.models.specs
    total_calls = len(tasks) * cfg.search.budget
    in_flight = n_processes * tasks_in_flight(cfg, n_processes)
    out = []
    for i, spec in enumerate(specs):
        calls = total_calls // len(specs) + (1 if i < total_calls % len(specs) else 0)
        per_call_prompt = expected_prompt / max(len(tasks), 1)
        max_out = spec.max_output_tokens
        backend = backend_of(spec)
        exp_out = completion_tokens or (max_out // 2 if max_out else DEFAULT_COMPLETION_TOKENS)
        worst_out = max_out or exp_out
        prompt = (round(per_call_prompt * calls), worst_prompt * calls)
        # a billed model without max_tokens: nothing bounds an answer, so neither its size nor its cost
        unbounded = backend.billed and not max_out
        completion = (exp_out * calls, math.inf if unbounded else worst_out * calls)
        cost = _costs(spec, round(per_call_prompt), exp_out, worst_prompt, worst_out, calls, unbounded)
        lat = backend.latency(spec, latency_s)
        wall = tuple(
            _wall(cfg, spec, calls, len(tasks), in_flight, lat[k], prompt[k] + completion[k]) for k in (0, 1)
        )
        out.append(ModelEstimate(spec.name, calls, prompt, completion, cost, wall))  # type: ignore[arg-type]
    return out


def _costs(
    spec: ModelSpec, prompt: int, out: int, worst_prompt: int, worst_out: int, calls: int, unbounded: bool
) -> tuple[float, float]:
    """(expected, worst) USD; NaN without a known price, an infinite worst case without max_tokens."""
    try:
        expected = cost_of(spec, prompt, out) * calls
        worst = cost_of(spec, worst_prompt, worst_out) * calls
    except ConfigError:
        return math.nan, math.nan
    return expected, math.inf if unbounded else worst


def _wall(
    cfg: RootConfig, spec: ModelSpec, calls: int, n_tasks: int, in_flight: int, latency: float, tokens: int
) -> float:
    chain = cfg.search.budget / cfg.search.batch_size * latency
    through_limit = calls * latency / spec.max_concurrency
    through_tasks = n_tasks / max(in_flight, 1) * chain
    per_minute = [calls / spec.rpm * 60 if spec.rpm else 0.0, tokens / spec.tpm * 60 if spec.tpm else 0.0]
    return max(chain, through_limit, through_tasks, *per_minute)


def duration(seconds: float) -> str:
    """Seconds for a person: `45 s`, `12 min`, `3 h 20 min`, `2 d 5 h`; `unbounded` for inf."""
    if math.isinf(seconds):
        return "unbounded"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    if s < 86400:
        h, m = divmod(round(s / 60), 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(round(s / 3600), 24)
    return f"{d} d {h} h" if h else f"{d} d"


def _count(value: float) -> str:
    return "unbounded" if math.isinf(value) else f"{value:,.0f}"


def _usd(value: float) -> str:
    return "no price" if math.isnan(value) else "unbounded" if math.isinf(value) else f"{value:,.2f}"


def format_estimate(rows: list[ModelEstimate], cfg: RootConfig) -> str:
    """A table, then the run's totals against its caps. A model with no price is left out of the
    totals (and named), so one unpriced model does not make the whole run `nan`."""
    header = (
        "model",
        "calls",
        "prompt tok (exp/worst)",
        "completion tok",
        "cost USD (exp/worst)",
        "wall (exp/worst)",
    )
    table = [header]
    for r in rows:
        table.append(
            (
                r.name,
                f"{r.calls:,}",
                f"{_count(r.prompt_tokens[0])} / {_count(r.prompt_tokens[1])}",
                f"{_count(r.completion_tokens[0])} / {_count(r.completion_tokens[1])}",
                f"{_usd(r.cost_usd[0])} / {_usd(r.cost_usd[1])}",
                f"{duration(r.wall_s[0])} / {duration(r.wall_s[1])}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]
    priced = [r for r in rows if not math.isnan(r.cost_usd[0])]
    unpriced = [r.name for r in rows if math.isnan(r.cost_usd[0])]
    cost = (sum(r.cost_usd[0] for r in priced), sum(r.cost_usd[1] for r in priced))
    wall = (max(r.wall_s[0] for r in rows), max(r.wall_s[1] for r in rows))
    without = f" (without {', '.join(unpriced)}: no price)" if unpriced else ""
    lines.append(
        f"run: cost {_usd(cost[0])} USD expected, {_usd(cost[1])} worst{without}; "
        f"wall {duration(wall[0])} expected, {duration(wall[1])} worst"
    )
    if cfg.run.max_cost_usd is not None:
        fits = (
            "fits"
            if cost[1] <= cfg.run.max_cost_usd
            else ("may stop early" if cost[0] <= cfg.run.max_cost_usd else "will stop early")
        )
        lines.append(f"run.max_cost_usd={cfg.run.max_cost_usd}: {fits}")
    return "\n".join(lines)


def estimate_summary(rows: list[ModelEstimate]) -> dict[str, Any]:
    """The run's totals as JSON (the entry point prints it after the table): cost without the
    unpriced models (named), null where unbounded; wall time as durations."""
    priced = [r for r in rows if not math.isnan(r.cost_usd[0])]
    cost = [sum(r.cost_usd[k] for r in priced) for k in (0, 1)]
    return {
        "calls": sum(r.calls for r in rows),
        "cost_usd": [None if math.isinf(c) else round(c, 2) for c in cost],
        "unpriced": [r.name for r in rows if math.isnan(r.cost_usd[0])],
        "wall": [duration(max(r.wall_s[k] for r in rows)) for k in (0, 1)],
    }


def estimate_stage(cfg: RootConfig, **options: Any) -> dict[str, Any]:
    """Print the run's estimate (no model call) and return its totals; `options` are
    `estimate_run`'s keywords (latency_s, completion_tokens, code_chars)."""
    tasks = list(load_run_tasks(cfg).values())
    try:
        rows = estimate_run(cfg, tasks, n_processes=local_processes(cfg, len(tasks)), **options)
    except TypeError as exc:
        raise ConfigError(f"estimate options {sorted(options)}: {exc}") from None
    print(f"{len(tasks)} tasks x {cfg.search.budget} calls, {cfg.search.name}, models={cfg.models.name}")
    print(format_estimate(rows, cfg))
    return estimate_summary(rows)
