"""The ranker's training stage writes its model where the user can find it, never into the package,
and says in one line when a run holds too little to learn from."""

from __future__ import annotations

import dataclasses
import json

import pytest

from abmcts.cli import run_stage
from abmcts.errors import ConfigError, InputError
from abmcts.experiment.paths import RunPaths
from abmcts.select.ranker import ARTIFACT_DIR, DEFAULT_ARTIFACT
from abmcts.stages import train_ranker

from project_helpers import smoke_config

TRAINING = ("data=arc1_training", "data.limit=2", "search.budget=4", "selection=learned_ranker")


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    cfg = smoke_config(tmp_path_factory.mktemp("ranker"), "runs", *TRAINING)
    run_stage("fetch", cfg)
    run_stage("search", cfg, progress=False)
    return cfg


@pytest.fixture
def quick_training(monkeypatch):
    """Where the model goes is the stage's business, not the fit's: a stand-in fit naming its inputs."""

    def fit(trees, tasks, solutions, texts, tasks_text, described):
        return {"name": "learned_ranker", "trained_on": sorted(trees), "cv": {"top2_hit_rate": 0.5}}

    monkeypatch.setattr(train_ranker, "train_artifact", fit)


def with_artifact(cfg, artifact: str):
    selection = dataclasses.replace(cfg.selection, params={**cfg.selection.params, "artifact": artifact})
    return dataclasses.replace(cfg, selection=selection)


def test_a_shipped_model_name_trains_into_the_run_directory(searched, quick_training):
    shipped = (ARTIFACT_DIR / DEFAULT_ARTIFACT).read_bytes()
    result = run_stage("train_ranker", with_artifact(searched, DEFAULT_ARTIFACT))
    out = RunPaths.of(searched).run_dir / "ranker.json"
    assert result["path"] == str(out)
    assert json.loads(out.read_text())["trained_on"] == sorted(
        p.stem for p in RunPaths.of(searched).trees.iterdir()
    )
    assert (ARTIFACT_DIR / DEFAULT_ARTIFACT).read_bytes() == shipped


def test_a_path_is_written_as_given(searched, quick_training, tmp_path):
    target = tmp_path / "models" / "mine.json"
    assert run_stage("train_ranker", with_artifact(searched, str(target)))["path"] == str(target)
    assert json.loads(target.read_text())["name"] == "learned_ranker"


def test_too_little_to_learn_from_is_one_line(searched):
    with pytest.raises(InputError, match=r"cannot train the ranker: no training task has two or more"):
        run_stage("train_ranker", searched)


def test_only_a_training_split_trains(tmp_path):
    cfg = smoke_config(tmp_path, "runs", "data=arc1_evaluation", "data.limit=1")
    with pytest.raises(ConfigError, match="data.split='evaluation'"):
        run_stage("train_ranker", cfg)
