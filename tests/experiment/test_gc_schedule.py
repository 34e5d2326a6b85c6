"""The collector's schedule in pipeline processes: set once, a user's own choice kept."""

from __future__ import annotations

import gc

import pytest

from abmcts.experiment.gc_schedule import YOUNG_THRESHOLD, schedule_collections


@pytest.fixture(autouse=True)
def restore_gc():
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


def test_the_young_generation_is_collected_less_often_and_the_others_as_before():
    gc.set_threshold(700, 10, 10)
    schedule_collections()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


@pytest.mark.parametrize("young", [0, YOUNG_THRESHOLD * 2])
def test_a_process_that_collects_less_often_or_never_keeps_its_schedule(young):
    gc.set_threshold(young, 5, 7)
    schedule_collections()
    assert gc.get_threshold() == (young, 5, 7)


def test_a_disabled_collector_stays_as_it_was():
    gc.set_threshold(700, 10, 10)
    gc.disable()
    schedule_collections()
    assert not gc.isenabled() and gc.get_threshold() == (700, 10, 10)


def test_a_search_runs_on_the_schedule(tmp_path):
    """`search_tasks` sets it in whichever process searches (here this one: the sequential executor)."""
    from abmcts.experiment.parallel import run_tasks
    from abmcts.experiment.paths import RunPaths
    from abmcts.experiment.rundata import load_run_tasks
    from abmcts.stages.fetch import fetch_stage

    from project_helpers import smoke_config

    cfg = smoke_config(tmp_path, "runs", "executor=sequential", "data.limit=1", "search.budget=2")
    fetch_stage(cfg)
    gc.set_threshold(700, 10, 10)
    results = run_tasks(cfg, list(load_run_tasks(cfg).values()), RunPaths.of(cfg), progress=False)
    assert len(results) == 1 and gc.get_threshold()[0] == YOUNG_THRESHOLD
