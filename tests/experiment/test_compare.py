"""The comparison view reads every scored run and lays strategies side by side."""

from __future__ import annotations

import json

from abmcts.experiment.compare import collect_runs, markdown_table, write_comparison


def write_metrics(root, run, selection, pass_at_2, curve):
    path = root / run / selection / "metrics.json"
    path.parent.mkdir(parents=True)
    metrics = {"pass_at_2": pass_at_2, "pass_at_k_curve": curve, "n_tasks": 2, "calls": 4, "cost": 0.5}
    path.write_text(json.dumps(metrics))


def test_comparison_table_and_figures(tmp_path):
    write_metrics(tmp_path, "run-a", "sakana", 0.5, [0.0, 0.5])
    write_metrics(tmp_path, "run-a", "majority_vote", 0.0, [0.0, 0.5])
    write_metrics(tmp_path, "run-b", "sakana", 1.0, [0.5, 1.0])
    (tmp_path / "run-c" / "trees").mkdir(parents=True)  # unscored run: ignored

    runs = collect_runs(tmp_path)
    assert [(r.run, r.selection) for r in runs] == [
        ("run-a", "majority_vote"),
        ("run-a", "sakana"),
        ("run-b", "sakana"),
    ]
    rows = write_comparison(tmp_path, tmp_path / "out")
    assert [r["pass_at_budget"] for r in rows] == [0.5, 0.5, 1.0]
    assert [r["pass_at_2"] for r in rows] == [0.0, 0.5, 1.0]
    table = (tmp_path / "out" / "comparison.md").read_text()
    assert table == markdown_table(rows)
    assert "| run-b | sakana | 1.000 | 1.000 |" in table
    for png in ("pass_at_k.png", "pass_at_2_by_selection.png"):
        assert (tmp_path / "out" / png).read_bytes()[:4] == b"\x89PNG"
