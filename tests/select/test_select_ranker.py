"""The learned ranker: the shipped artifact, its checks, training and cross-validation."""

import json

import numpy as np
import pytest

from abmcts.errors import ConfigError
from abmcts.select import rank_programs
from abmcts.select.candidates import FEATURES
from abmcts.select.context import SelectionContext, TaskView
from abmcts.select.ranker import ARTIFACT_DIR, DEFAULT_ARTIFACT, LinearModel, load_model
from abmcts.select.strategy import strategy_params
from abmcts.select.train_ranker import TaskGroups, artifact, cross_validate, fit, training_set_hash

TASK = TaskView("t", [([[1, 0]], [[2, 0]])], [[[0, 1]]])


def write(tmp_path, model: LinearModel, **extra):
    data = {**artifact(model, {"data": "test"}, {}), **extra}
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data))
    return str(path)


def one_weight(name: str, weight: float) -> LinearModel:
    n = len(FEATURES)
    w = [weight if f == name else 0.0 for f in FEATURES]
    return LinearModel(FEATURES, (0.0,) * n, (1.0,) * n, tuple(w), 0.0)


def test_shipped_artifact_is_versioned_and_says_what_it_was_trained_on():
    data = json.loads((ARTIFACT_DIR / DEFAULT_ARTIFACT).read_text())
    assert data["version"] == 1 and data["name"] == "learned_ranker"
    assert set(data["model"]["features"]) <= set(FEATURES)
    assert data["training"]["data"].startswith("arc1_training")
    assert len(data["training"]["training_set_sha256"]) == 64 and len(data["training"]["task_ids"]) == 400
    assert load_model(DEFAULT_ARTIFACT).features == tuple(data["model"]["features"])


def test_ranker_orders_answers_by_its_weights(make_node, make_tree, tmp_path):
    nodes = [
        make_node(0, 1.0, [[[0, 2]]], model="a"),
        make_node(1, 1.0, [[[0, 2]]], model="b"),
        make_node(2, 1.0, [[[5, 5]]]),
    ]
    t = make_tree("t", nodes)
    for weight, first in ((1.0, 1), (-1.0, 2)):
        folder = tmp_path / str(weight)
        folder.mkdir()
        path = write(folder, one_weight("models", weight))
        ctx = SelectionContext(task=TASK, params=strategy_params("learned_ranker", {"artifact": path}))
        assert rank_programs(t, "learned_ranker", ctx)[0] == first


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.update(version=99), "not a version 1 ranker artifact"),
        (lambda d: d["model"]["features"].__setitem__(0, "mystery"), "unknown feature 'mystery'"),
        (lambda d: d["model"]["scale"].__setitem__(0, 0.0), "malformed model"),
        (lambda d: d["model"].pop("weights"), "malformed model"),
    ],
)
def test_a_bad_artifact_is_one_config_error_naming_the_file(tmp_path, mutate, match):
    data = artifact(one_weight("models", 1.0), {"data": "x"}, {})
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=f"selection.params.artifact {path}: .*{match}"):
        load_model(str(path))
    with pytest.raises(ConfigError, match="cannot read ranker artifact"):
        load_model(str(tmp_path / "missing.json"))


def synthetic(n_tasks: int, seed: int) -> list[TaskGroups]:
    """Tasks of 3 candidates where the right one has the most models (plus noise elsewhere)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_tasks):
        x = rng.normal(size=(3, len(FEATURES)))
        pos = int(rng.integers(3))
        x[:, FEATURES.index("models")] = 1.0
        x[pos, FEATURES.index("models")] = 3.0
        out.append(TaskGroups(f"t{k}", x, [0, 1, 2], pos))
    return out


def test_fit_learns_the_signal_and_cross_validation_ranks_held_out_tasks():
    groups = synthetic(60, 0)
    model = fit(groups, steps=300)
    assert max(range(len(FEATURES)), key=lambda i: model.weights[i]) == FEATURES.index("models")
    hits = cross_validate(groups, folds=3, steps=300)
    assert set(hits) == {g.task_id for g in groups} and sum(hits.values()) == 60
    with pytest.raises(ValueError, match="no training task"):
        fit([TaskGroups("x", np.zeros((1, len(FEATURES))), [0], 0)])


def test_training_set_hash_changes_with_any_tree():
    base = training_set_hash({"a": b"1", "b": b"2"}, b"tasks")
    assert base == training_set_hash({"b": b"2", "a": b"1"}, b"tasks")
    assert base != training_set_hash({"a": b"1", "b": b"3"}, b"tasks")
    assert base != training_set_hash({"a": b"1", "b": b"2"}, b"other tasks")
