"""Ctrl-C in a pipeline script is one line, never a traceback.

A pipeline script imports this module first, before its (slow) imports: from then on Ctrl-C
prints `INTERRUPTED_LINE` and exits 130, in the main process, and silently in the worker processes
the search spawns (they import the script again). Once the imports are done, `cli.entry` hands
Ctrl-C back to Python (KeyboardInterrupt), so `cli.run_stages` reports it after the stages (and the
MLflow run) have closed what they opened. Importing this module is the whole API; only entry points
do it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys

INTERRUPTED = 130  # the shell's exit status for Ctrl-C
INTERRUPTED_LINE = "interrupted: finished trees, checkpoints and the response cache are kept; rerun the same command to resume"


def _exit_quietly(signum: int, frame: object) -> None:
    # a spawned worker has its name from the start (its parent_process() only once it runs)
    if multiprocessing.current_process().name == "MainProcess":
        print(INTERRUPTED_LINE, file=sys.stderr, flush=True)
    os._exit(INTERRUPTED)


signal.signal(signal.SIGINT, _exit_quietly)
