"""The select and score stages with the judge: one LLMClient on the run's cache, replay makes no new call."""

from __future__ import annotations

import json
from pathlib import Path

from hydra import compose, initialize_config_dir

from abmcts.experiment.paths import RunPaths
from abmcts.experiment.validate import validate_config
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.score import score_stage
from abmcts.stages.search import search_stage
from abmcts.stages.select import select_stage

CONF = str(Path(__file__).resolve().parents[2] / "conf")


def config(tmp_path: Path, *extra: str):
    overrides = [
        "experiment=smoke",
        "data.limit=3",
        "search.budget=10",
        "executor=sequential",
        f"data_dir={tmp_path}/data",
        f"run.root={tmp_path}/runs",
        f"cache.path={tmp_path}/cache/responses.sqlite",
        f"cache.executions_path={tmp_path}/cache/executions.sqlite",
        "selection=judge",
        "+selection.params.only_when_split=false",
        *extra,
    ]
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return validate_config(compose(config_name="config", overrides=overrides))


def test_judge_runs_through_the_run_cache_and_replays_for_free(tmp_path):
    cfg = config(tmp_path)
    fetch_stage(cfg)
    search_stage(cfg, progress=False)
    first = select_stage(cfg)["judge"]
    metrics = score_stage(cfg)
    paths = RunPaths.of(cfg)
    selection = json.loads(paths.selection.read_text())
    assert first["calls"] >= 1 and first["cached"] == 0 and first["tokens"] > 0
    assert metrics["selection_usage"]["calls"] == first["calls"]
    assert metrics["selection_usage"]["tokens"] == first["tokens"]
    assert len(selection["programs"]) == 3 and all(len(ids) == 2 for ids in selection["programs"].values())

    replay = config(tmp_path, "cache.mode=replay")
    again = select_stage(replay)["judge"]
    assert again == {**first, "cached": first["calls"]}  # every judge call came from the cache
    assert json.loads(paths.selection.read_text())["programs"] == selection["programs"]
