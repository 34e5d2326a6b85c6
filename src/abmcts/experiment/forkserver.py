"""The search workers' fork server, started as soon as the config is known (`start_fork_server`).

Local search workers are forked from a multiprocessing fork server that imported, once, the search
runtime (`abmcts.experiment.parallel`) and what the configured models' kinds need
(`BackendKind.preload`: litellm's ~4 s import, aiohttp...). A command that runs the search stage
starts it right after validating its config (`Stage.warm_up`), so those imports overlap the stage's
own start (loading tasks, checking trees and caches) instead of delaying the first request. It lives
as long as the command: the first start decides what it preloaded; a worker imports what is missing.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import multiprocessing
import sys
from collections.abc import Iterator
from multiprocessing import forkserver


def start_fork_server(preload: list[str]) -> None:
    """Start the fork server now, importing `preload` (no-op once it runs)."""
    multiprocessing.set_forkserver_preload(preload)
    with entry_script_not_rerun():
        forkserver.ensure_running()


@contextlib.contextmanager
def entry_script_not_rerun() -> Iterator[None]:
    """Start processes without multiprocessing re-running the entry script in each (`pipeline/*.py`
    imports Hydra and the CLI: ~0.3 s before a worker can start). It re-runs a `__main__` that has
    no module spec, to find functions defined there; our workers run only the runtime's functions,
    and a spec named `__main__` is the "leave it alone" case (`multiprocessing.spawn.prepare`)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None
