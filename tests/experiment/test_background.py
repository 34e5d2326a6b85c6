"""A slow hook setup (an MLflow run) entered on a thread: the work starts at once and loses nothing."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from abmcts.experiment.background import entered_in_background


def slow_hook(release: threading.Event, seen: list, exits: list):
    @contextmanager
    def manager():
        assert release.wait(30), "the setup was never released"
        try:
            yield seen.append
        except BaseException as exc:
            exits.append(type(exc).__name__)
            raise
        exits.append(None)

    return manager()


def test_results_before_the_setup_wait_and_arrive_in_order():
    release, seen, exits = threading.Event(), [], []
    with entered_in_background(slow_hook(release, seen, exits)) as hook:
        hook(1)  # returns at once: the setup is still waiting for `release`
        hook(2)
        assert seen == []
        release.set()
        hook(3)
    assert seen == [1, 2, 3] and exits == [None]


def test_the_work_s_error_reaches_the_manager_s_exit():
    release, seen, exits = threading.Event(), [], []
    release.set()
    with pytest.raises(KeyError), entered_in_background(slow_hook(release, seen, exits)) as hook:
        hook("done before the error")
        raise KeyError("search failed")
    assert seen == ["done before the error"] and exits == ["KeyError"]  # e.g. the MLflow run marked FAILED


def test_a_failed_setup_stops_the_work_at_its_next_result():
    @contextmanager
    def broken():
        raise OSError("tracking store unreachable")
        yield  # pragma: no cover

    started = threading.Event()
    with pytest.raises(OSError, match="unreachable"), entered_in_background(broken()) as hook:
        started.set()
        while True:  # the setup fails on its thread; a later result raises its error
            hook("a result")
    assert started.is_set()
