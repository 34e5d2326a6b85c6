"""The comparison view reads every scored run, lays strategies side by side, and says how sure it is."""

from __future__ import annotations

import json

import pytest

from abmcts.score.compare import collect_runs, markdown_table, write_comparison


def write_metrics(root, run, selection, pass_at_2, curve, per_task=None):
    path = root / run / selection / "metrics.json"
    path.parent.mkdir(parents=True)
    metrics = {"pass_at_2": pass_at_2, "pass_at_k_curve": curve, "n_tasks": 2, "calls": 4, "cost": 0.5}
    path.write_text(json.dumps(metrics))
    if per_task is not None:
        (path.parent / "per_task.json").write_text(json.dumps(per_task))


def per_task(pass2, firsts, budget):
    """per_task.json rows: task i solved by pass@2 iff pass2[i]; first solving call firsts[i]."""
    return [
        {
            "task_id": f"t{i:03d}",
            "pass_at_2": int(p),
            "first_solving_call": f,
            "pass_at_budget": int(f is not None and f < budget),
        }
        for i, (p, f) in enumerate(zip(pass2, firsts, strict=True))
    ]


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
    assert all(r["pass_at_2_ci"] == {"ci_low": None, "ci_high": None} for r in rows)  # no per-task files
    table = (tmp_path / "out" / "comparison.md").read_text()
    assert table.startswith(markdown_table(rows))
    assert "| run-b | sakana | 1.000 | 1.000 |" in table
    for png in ("pass_at_k.png", "pass_at_2_by_selection.png"):
        assert (tmp_path / "out" / png).read_bytes()[:4] == b"\x89PNG"


def test_intervals_paired_tests_and_seed_means(tmp_path):
    """40 tasks: B solves 12 tasks A does not and A none that B does not -> a clear paired
    difference (McNemar p = 2 * 0.5**12); A and its seed-1 twin give a mean over two seeds."""
    n, budget = 40, 10
    a = [1] * 8 + [0] * 32
    b = [1] * 20 + [0] * 20
    firsts_a = [3] * 8 + [None] * 32
    firsts_b = [1] * 20 + [None] * 20
    write_metrics(tmp_path, "d-x-s0", "sakana", 8 / n, [0.0] * 3 + [8 / n] * 7, per_task(a, firsts_a, budget))
    write_metrics(
        tmp_path,
        "d-x-s1",
        "sakana",
        10 / n,
        [0.0] + [10 / n] * 9,
        per_task([1] * 10 + [0] * 30, [1] * 10 + [None] * 30, budget),
    )
    write_metrics(tmp_path, "d-y-s0", "sakana", 20 / n, [20 / n] * 10, per_task(b, firsts_b, budget))
    write_comparison(tmp_path, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "comparison.json").read_text())

    row = next(r for r in report["runs"] if r["run"] == "d-x-s0")
    ci = row["pass_at_2_ci"]
    assert ci["ci_low"] < 0.2 < ci["ci_high"] and ci["ci_low"] > 0.05 and ci["ci_high"] < 0.4
    pair = next(
        p
        for p in report["paired"]
        if p["metric"] == "pass_at_2" and {p["a"], p["b"]} == {"d-x-s0/sakana", "d-y-s0/sakana"}
    )
    assert pair["method"] == "mcnemar_exact" and pair["n_tasks"] == n
    assert pair["p_value"] == pytest.approx(2 * 0.5**12)
    assert abs(pair["diff"]) == pytest.approx(0.3) and pair["ci_low"] < pair["diff"] < pair["ci_high"]
    assert any(p["metric"] == "pass_at_budget" for p in report["paired"])

    seeds = [s for s in report["seeds"] if s["metric"] == "pass_at_2"]
    assert len(seeds) == 1 and seeds[0]["group"] == "d-x-s*" and seeds[0]["seeds"] == [0, 1]
    assert (
        seeds[0]["value"] == pytest.approx(0.225) and seeds[0]["ci_low"] < 0.2 and seeds[0]["ci_high"] > 0.25
    )
    md = (tmp_path / "out" / "comparison.md").read_text()
    assert "Paired tests" in md and "Means over seeds" in md and "[0." in md


def test_runs_on_different_tasks_are_not_paired(tmp_path):
    write_metrics(tmp_path, "r1", "sakana", 0.5, [0.5], per_task([1, 0], [0, None], 1))
    rows = per_task([1, 0, 1], [0, None, 0], 1)
    write_metrics(tmp_path, "r2", "sakana", 0.6, [0.6], rows)
    write_comparison(tmp_path, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "comparison.json").read_text())["paired"] == []


def test_strategies_that_agree_on_every_task_are_one_line(tmp_path):
    rows = per_task([1, 0, 1, 0], [1, None, 2, None], budget=4)
    for selection in ("sakana", "majority_vote", "reward_earliest"):
        write_metrics(tmp_path, "run-a", selection, 0.5, [0.25, 0.5, 0.5, 0.5], rows)
    write_comparison(tmp_path, tmp_path / "out")
    report = (tmp_path / "out" / "comparison.md").read_text()
    assert "no run or strategy differs (all 3 pairs agree on every task)" in report
    assert "| metric | a | b |" not in report  # no table of zero differences
    write_metrics(
        tmp_path, "run-a", "hedge", 0.25, [0.25, 0.5, 0.5, 0.5], per_task([1, 0, 0, 0], [1, None, 2, None], 4)
    )
    write_comparison(tmp_path, tmp_path / "out")
    report = (tmp_path / "out" / "comparison.md").read_text()
    assert "3 pairs that agree on every task not shown" in report
    assert report.count("| pass_at_2 | run-a/") == 3  # hedge against each of the others
