"""The search workers' fork server, started as early as a command can (`start_fork_server`).

Local search workers are forked from a multiprocessing fork server that imported the search runtime
once (`abmcts.experiment.parallel`). A search command starts it before Hydra composes its config, so
the runtime's import (~0.6 s) overlaps the command's own start instead of delaying the first request;
the models' own preloads (`BackendKind.preload`) are then imported by each worker as it starts. This
module imports nothing of the runtime itself, so starting the server costs the command nothing.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import multiprocessing
import sys
from collections.abc import Iterator
from multiprocessing import forkserver

RUNTIME = "abmcts.experiment.parallel"


def start_fork_server() -> None:
    """Start the fork server now (idempotent), importing the search runtime."""
    multiprocessing.set_forkserver_preload([RUNTIME])
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
