"""The ranker's training stage writes its model where the user can find it, never into the package."""

from __future__ import annotations

import dataclasses
import json

import pytest

from abmcts.cli import run_stage
from abmcts.errors import ConfigError
from abmcts.experiment.paths import RunPaths
from abmcts.select.ranker import ARTIFACT_DIR, DEFAULT_ARTIFACT

from project_helpers import smoke_config

TRAINING = (
    "data=arc1_training",
    "data.limit=6",
    "search.budget=6",
    "executor=sequential",
    "selection=learned_ranker",
)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    cfg = smoke_config(tmp_path_factory.mktemp("ranker"), "runs", *TRAINING)
    run_stage("fetch", cfg)
    run_stage("search", cfg, progress=False)
    return cfg


def with_artifact(cfg, artifact: str):
    selection = dataclasses.replace(cfg.selection, params={**cfg.selection.params, "artifact": artifact})
    return dataclasses.replace(cfg, selection=selection)


@pytest.mark.slow
def test_a_shipped_model_name_trains_into_the_run_directory(searched):
    shipped = (ARTIFACT_DIR / DEFAULT_ARTIFACT).read_bytes()
    result = run_stage("train_ranker", with_artifact(searched, DEFAULT_ARTIFACT))
    out = RunPaths.of(searched).run_dir / "ranker.json"
    assert result["path"] == str(out) and json.loads(out.read_text())["name"] == "learned_ranker"
    assert (ARTIFACT_DIR / DEFAULT_ARTIFACT).read_bytes() == shipped


@pytest.mark.slow
def test_a_path_is_written_as_given(searched, tmp_path):
    target = tmp_path / "models" / "mine.json"
    assert run_stage("train_ranker", with_artifact(searched, str(target)))["path"] == str(target)
    assert json.loads(target.read_text())["name"] == "learned_ranker"


def test_only_a_training_split_trains(tmp_path):
    cfg = smoke_config(tmp_path, "runs", "data.limit=1")
    with pytest.raises(ConfigError, match="data.split='evaluation'"):
        run_stage("train_ranker", cfg)
