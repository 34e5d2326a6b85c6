"""Side-by-side view of every scored run: a table, the pass@k curves, and pass@2 per selection strategy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmcts.io import atomic_write_json, atomic_write_text, read_json

COLUMNS = ("pass_at_2", "official_score", "kaggle_score", "n_tasks", "calls", "cost")


@dataclass(frozen=True)
class ScoredRun:
    run: str
    selection: str
    metrics: dict[str, Any]


def collect_runs(root: str | Path) -> list[ScoredRun]:
    """Every `<root>/<run>/<selection>/metrics.json`, sorted by run then strategy."""
    found = []
    for path in sorted(Path(root).glob("*/*/metrics.json")):
        found.append(ScoredRun(path.parent.parent.name, path.parent.name, read_json(path, "metrics file")))
    return found


def comparison_rows(runs: list[ScoredRun]) -> list[dict[str, Any]]:
    rows = []
    for r in runs:
        curve = r.metrics.get("pass_at_k_curve", [])
        rows.append(
            {
                "run": r.run,
                "selection": r.selection,
                "pass_at_budget": curve[-1] if curve else 0.0,
                **{c: r.metrics.get(c) for c in COLUMNS},
            }
        )
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    header = ["run", "selection", "pass_at_budget", *COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in (row[h] for h in header)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_comparison(root: str | Path, out_dir: str | Path) -> list[dict[str, Any]]:
    """Write comparison.md/.json and two figures to `out_dir`; returns the rows."""
    from abmcts import plots

    runs = collect_runs(root)
    rows = comparison_rows(runs)
    out = Path(out_dir)
    atomic_write_json(out / "comparison.json", rows)
    atomic_write_text(out / "comparison.md", markdown_table(rows))
    curves = {r.run: r.metrics["pass_at_k_curve"] for r in runs}  # the curve depends on the run only
    plots.plot_pass_at_k(curves, out / "pass_at_k.png")
    pass2: dict[str, dict[str, float]] = {}
    for r in runs:
        pass2.setdefault(r.run, {})[r.selection] = r.metrics.get("pass_at_2", 0.0)
    plots.plot_selection_comparison(pass2, out / "pass_at_2_by_selection.png")
    return rows
