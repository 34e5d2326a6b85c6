"""Side-by-side view of every scored run, with its uncertainty: a table, the pass@k curves, pass@2
per selection strategy, paired tests between runs, and means over seeds.

Intervals come from `abmcts.score.stats`, resampling each run's `per_task.json` (written by the
score stage): a 95% bootstrap interval for pass@budget and pass@2 of each run, a paired test
(exact McNemar p-value, paired-bootstrap interval of the difference) for every two runs scored on
the same tasks, and a t-interval over seeds for runs whose names differ only in `-s<seed>`.
Runs scored before per-task files existed get point estimates only (interval fields null).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from abmcts.io import atomic_write_json, atomic_write_text, read_json
from abmcts.score import plots
from abmcts.score.report import SUMMARY_KEYS
from abmcts.score.stats import bootstrap_ci, paired_test, seed_mean

TESTED = ("pass_at_budget", "pass_at_2")  # per-task 0/1 columns of per_task.json
BAND_POINTS = 25  # k values at which the pass@k figure's interval band is computed
_SEED_SUFFIX = re.compile(r"-s(\d+)$")


@dataclass(frozen=True)
class ScoredRun:
    run: str
    selection: str
    metrics: dict[str, Any]
    per_task: list[dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        return f"{self.run}/{self.selection}"

    def vector(self, column: str) -> dict[str, float]:
        return {row["task_id"]: float(row[column]) for row in self.per_task or []}


def collect_runs(root: str | Path) -> list[ScoredRun]:
    """Every `<root>/<run>/<selection>/metrics.json` (and `per_task.json` beside it), sorted."""
    found = []
    for path in sorted(Path(root).glob("*/*/metrics.json")):
        per_task = path.with_name("per_task.json")
        rows = read_json(per_task, "per-task file") if per_task.exists() else None
        found.append(
            ScoredRun(path.parent.parent.name, path.parent.name, read_json(path, "metrics file"), rows)
        )
    return found


def _interval(run: ScoredRun, column: str) -> dict[str, float | None]:
    values = list(run.vector(column).values())
    if not values:
        return {"ci_low": None, "ci_high": None}
    ci = bootstrap_ci(values)
    return {"ci_low": ci.ci_low, "ci_high": ci.ci_high}


def comparison_rows(runs: list[ScoredRun]) -> list[dict[str, Any]]:
    """One row per run and strategy; `<metric>_ci` holds the 95% bootstrap interval."""
    rows = []
    for r in runs:
        curve = r.metrics.get("pass_at_k_curve", [])
        rows.append(
            {
                "run": r.run,
                "selection": r.selection,
                "pass_at_budget": curve[-1] if curve else 0.0,
                "pass_at_budget_ci": _interval(r, "pass_at_budget"),
                **{c: r.metrics.get(c) for c in SUMMARY_KEYS},
                "pass_at_2_ci": _interval(r, "pass_at_2"),
            }
        )
    return rows


def paired_rows(runs: list[ScoredRun]) -> list[dict[str, Any]]:
    """A paired test per metric for every two runs scored on the same tasks (pass@budget depends on
    the search only, so it is compared between distinct runs, not between strategies of one run)."""
    rows = []
    for a, b in itertools.combinations([r for r in runs if r.per_task], 2):
        for column in TESTED:
            if column == "pass_at_budget" and a.run == b.run:
                continue
            va, vb = a.vector(column), b.vector(column)
            if set(va) != set(vb):
                continue
            tasks = sorted(va)
            result = paired_test([va[t] for t in tasks], [vb[t] for t in tasks])
            rows.append(
                {"metric": column, "a": a.label, "b": b.label, "n_tasks": len(tasks), **asdict(result)}
            )
    return rows


def seed_rows(runs: list[ScoredRun]) -> list[dict[str, Any]]:
    """Mean and t-interval over seeds for runs whose names differ only in the `-s<seed>` suffix."""
    groups: dict[tuple[str, str], dict[int, ScoredRun]] = {}
    for r in runs:
        match = _SEED_SUFFIX.search(r.run)
        if match:
            groups.setdefault((r.run[: match.start()], r.selection), {})[int(match.group(1))] = r
    rows = []
    for (base, selection), by_seed in sorted(groups.items()):
        if len(by_seed) < 2:
            continue
        seeds = sorted(by_seed)
        for metric in ("pass_at_budget", "pass_at_2"):
            values = [_metric(by_seed[s], metric) for s in seeds]
            ci = seed_mean(values)
            rows.append(
                {
                    "group": f"{base}-s*",
                    "selection": selection,
                    "metric": metric,
                    "seeds": seeds,
                    "values": values,
                    "value": ci.value,
                    "ci_low": ci.ci_low,
                    "ci_high": ci.ci_high,
                }
            )
    return rows


def _metric(run: ScoredRun, metric: str) -> float:
    if metric == "pass_at_budget":
        curve = run.metrics.get("pass_at_k_curve", [])
        return curve[-1] if curve else 0.0
    return float(run.metrics.get(metric) or 0.0)


def _fmt(value: Any, ci: dict[str, Any] | None = None) -> str:
    if isinstance(value, float):
        text = f"{value:.3f}"
        if ci and ci.get("ci_low") is not None:
            text += f" [{ci['ci_low']:.3f}, {ci['ci_high']:.3f}]"
        return text
    return str(value)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    header = ["run", "selection", "pass_at_budget", *SUMMARY_KEYS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [_fmt(row[h], row.get(f"{h}_ci")) for h in header]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def identical(pair: dict[str, Any]) -> bool:
    """A paired test of two vectors equal on every task (no difference, not even within the interval)."""
    return pair["diff"] == 0 and pair["ci_low"] == 0 and pair["ci_high"] == 0


def markdown_report(
    rows: list[dict[str, Any]], paired: list[dict[str, Any]], seeds: list[dict[str, Any]]
) -> str:
    """The table (intervals in brackets: 95% bootstrap over tasks), then paired tests and seeds."""
    parts = [markdown_table(rows)]
    differing = [p for p in paired if not identical(p)]
    if paired and not differing:
        parts.append(
            f"\nPaired tests: no run or strategy differs (all {len(paired)} pairs agree on every task)\n"
        )
    elif differing:
        same = len(paired) - len(differing)
        parts.append("\nPaired tests (a - b on the same tasks; p: exact McNemar)")
        parts.append(f"; {same} pairs that agree on every task not shown\n\n" if same else "\n\n")
        parts.append("| metric | a | b | tasks | diff [95% CI] | p_value |\n|---|---|---|---|---|---|\n")
        for p in differing:
            parts.append(
                f"| {p['metric']} | {p['a']} | {p['b']} | {p['n_tasks']} | "
                f"{p['diff']:+.3f} [{p['ci_low']:+.3f}, {p['ci_high']:+.3f}] | {p['p_value']:.3g} |\n"
            )
    if seeds:
        parts.append(
            "\nMeans over seeds (95% t-interval)\n\n| runs | selection | metric | seeds | mean [95% CI] |\n"
        )
        parts.append("|---|---|---|---|---|\n")
        for s in seeds:
            parts.append(
                f"| {s['group']} | {s['selection']} | {s['metric']} | {len(s['seeds'])} | "
                f"{s['value']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}] |\n"
            )
    return "".join(parts)


def curve_band(run: ScoredRun, budget: int) -> tuple[list[int], list[float], list[float]] | None:
    """Bootstrap interval of pass@k at up to BAND_POINTS values of k, from per-task first solves."""
    if not run.per_task or budget < 1:
        return None
    firsts = [row.get("first_solving_call") for row in run.per_task]
    ks = sorted({max(1, round(budget * i / (BAND_POINTS - 1))) for i in range(BAND_POINTS)})
    lows, highs = [], []
    for k in ks:
        ci = bootstrap_ci([float(f is not None and f < k) for f in firsts])
        lows.append(ci.ci_low)
        highs.append(ci.ci_high)
    return ks, lows, highs


def write_comparison(root: str | Path, out_dir: str | Path) -> list[dict[str, Any]]:
    """Write comparison.md/.json and two figures (with intervals) to `out_dir`; returns the rows."""
    runs = collect_runs(root)
    rows, paired, seeds = comparison_rows(runs), paired_rows(runs), seed_rows(runs)
    out = Path(out_dir)
    atomic_write_json(out / "comparison.json", {"runs": rows, "paired": paired, "seeds": seeds})
    atomic_write_text(out / "comparison.md", markdown_report(rows, paired, seeds))
    first_of_run = {r.run: r for r in reversed(runs)}  # the curve depends on the run only
    curves = {name: r.metrics["pass_at_k_curve"] for name, r in sorted(first_of_run.items())}
    bands = {
        name: band
        for name, r in first_of_run.items()
        if (band := curve_band(r, len(r.metrics["pass_at_k_curve"]))) is not None
    }
    plots.plot_pass_at_k(curves, out / "pass_at_k.png", bands=bands)
    pass2: dict[str, dict[str, float]] = {}
    cis: dict[str, dict[str, tuple[float, float]]] = {}
    for r, row in zip(runs, rows, strict=True):
        pass2.setdefault(r.run, {})[r.selection] = r.metrics.get("pass_at_2", 0.0)
        ci = row["pass_at_2_ci"]
        if ci["ci_low"] is not None:
            cis.setdefault(r.run, {})[r.selection] = (ci["ci_low"], ci["ci_high"])
    plots.plot_selection_comparison(pass2, out / "pass_at_2_by_selection.png", intervals=cis)
    return rows
