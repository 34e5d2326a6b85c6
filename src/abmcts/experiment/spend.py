"""Spend caps: `run.max_cost_usd` over the whole run, `search.max_cost_usd` per task.

The caps hold against the run's spend ledger (`abmcts.llm.ledger`, `runs/<run>/spend.sqlite`),
where every request to a paid model is reserved at its worst case before it leaves and settled to
its bill when it returns, so they hold against what the provider bills (see the ledger's module
docstring for what counts as billed). This module is the run's side of it: the checks made before
any work, opening the ledger (settling what a killed run left open), and the figures the search
summary reports.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from abmcts.arc.prompts import PromptTemplates, messages_for
from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.llm.backends import backend_of
from abmcts.llm.ledger import RUN_CAP, USAGE_MISSING, SpendAccount, SpendLedger
from abmcts.llm.pricing import cap_problems, worst_case_cost
from abmcts.llm.spec import ModelSpec


def capped(cfg: RootConfig) -> bool:
    return cfg.run.max_cost_usd is not None or cfg.search.max_cost_usd is not None


def model_problems(cfg: RootConfig, specs: Sequence[ModelSpec]) -> list[str]:
    """Under a cap, every model needs a price and a max_tokens: each missing one, all at once."""
    if not capped(cfg):
        return []
    return [problem for spec in specs for problem in cap_problems(spec)]


def check_caps(cfg: RootConfig, tasks: Sequence[Any]) -> None:
    """Everything that keeps the caps from working, in one error before any work: a model without a
    price or a max_tokens, and a cap below one call's worst case (it could do nothing).

    The yardstick for the latter is each task's first call (the initial prompt) on its cheapest
    priced model.
    """
    problems = model_problems(cfg, cfg.models.specs)
    caps = {"run.max_cost_usd": cfg.run.max_cost_usd, "search.max_cost_usd": cfg.search.max_cost_usd}
    priced = [spec for spec in cfg.models.specs if not model_problems(cfg, [spec])]
    if capped(cfg) and tasks and priced:
        templates = PromptTemplates(initial=cfg.prompts.initial, refinement=cfg.prompts.refinement)
        first_calls = {}
        for task in tasks:
            messages = messages_for(task, templates, None)
            first_calls[task.task_id] = min((worst_case_cost(spec, messages), spec.name) for spec in priced)
        cheapest_task = min(first_calls, key=lambda t: first_calls[t][0])
        dearest_task = max(first_calls, key=lambda t: first_calls[t][0])
        for key, task_id in (("run.max_cost_usd", cheapest_task), ("search.max_cost_usd", dearest_task)):
            cap = caps[key]
            worst, model = first_calls[task_id]
            if cap is not None and cap < worst:
                problems.append(
                    f"config {key}={cap!r}: below one call's worst case ({worst:.6f} USD: model {model!r}, "
                    f"task {task_id}, prompt + max_tokens); raise the cap or lower params.max_tokens"
                )
    if problems:
        raise ConfigError("; ".join(problems))


def needs_ledger(specs: Sequence[ModelSpec]) -> bool:
    """Only billed backends (not offline models) need one: a run without them keeps no ledger."""
    return any(backend_of(spec).billed for spec in specs)


def open_ledger(paths: RunPaths, cache: Any, tree_costs: Mapping[str, float] | None = None) -> SpendLedger:
    """The run's ledger, ready for a new run: what a killed one left open is settled (said in
    one line), and a run directory made before the ledger existed has its trees' costs carried
    over. Call it holding the run lock (`abmcts.experiment.runlock`)."""
    new = not paths.ledger.exists()
    ledger = SpendLedger(paths.ledger)
    if new and tree_costs:
        ledger.carry_over(tree_costs)
    recovered = ledger.recover(lambda key: _cached_record(cache, key))
    if recovered:
        usd = sum(billed for _, billed, _ in recovered)
        print(
            f"spend ledger {paths.ledger}: {len(recovered)} request(s) a killed run left unsettled now "
            f"count USD {usd:.6f} (their worst case, or the cached answer's usage)",
            file=sys.stderr,
            flush=True,
        )
    return ledger


def _cached_record(cache: Any, key: str) -> Mapping[str, Any] | None:
    if cache.mode != "readwrite" or not cache.contains(key):
        return None
    return cache.get(key)


def run_account(cfg: RootConfig, stage: str) -> SpendAccount:
    """This process's side of the run's ledger, under the configured caps (the search's task cap
    applies to the search only)."""
    task_cap = cfg.search.max_cost_usd if stage == "search" else None
    return SpendAccount(SpendLedger(RunPaths.of(cfg).ledger), cfg.run.max_cost_usd, task_cap, stage=stage)


def spend_summary(cfg: RootConfig, ledger: SpendLedger | None, results: Sequence[Mapping[str, Any]]) -> dict:
    """The search summary's `spend`: what the ledger counts, the cap, how much of it went unused and why."""
    totals = ledger.totals() if ledger is not None else None
    billed = totals.counted if totals is not None else 0.0
    cap = cfg.run.max_cost_usd
    out: dict[str, Any] = {
        "billed_usd": billed,
        "open_usd": totals.open if totals is not None else 0.0,
        "requests": totals.entries if totals is not None else 0,
        "flags": dict(sorted(totals.flags.items())) if totals is not None else {},
        "cap_usd": cap,
    }
    if cap is None:
        return out
    stopped = sum(r.get("stop_reason") == RUN_CAP for r in results)
    unused = max(cap - billed, 0.0)
    if stopped:
        why = (
            f"{stopped} task(s) stopped: with nothing left in flight, their next call's worst case "
            f"(prompt bound + max_tokens) did not fit in the USD {unused:.6f} left"
        )
    else:
        why = "every task ended before the cap was reached (its budget, its own cap, or settled)"
    missing = totals.flags.get(USAGE_MISSING, 0) if totals is not None else 0
    if missing:
        why += (
            f"; {missing} answer(s) without usage count at their worst case "
            f"(USD {totals.flagged_usd[USAGE_MISSING]:.6f}), more than they may have cost"
        )
    out.update(unused_usd=unused, unused_reason=why)
    return out
