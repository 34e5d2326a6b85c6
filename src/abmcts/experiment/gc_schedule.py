"""How often the cyclic garbage collector runs in a pipeline process (main and search workers).

CPython collects its youngest generation every 700 net allocations, and each collection also walks
what survived it. A search allocates millions of short-lived, acyclic objects (parsed JSON rows,
prompts, numpy scalars, MLflow span rows), so at that pace the collector took 5% of a replayed
search worker's CPU and ~9 s of the main process in the offline full run (bench/full_run.py). Every
20,000 allocations instead costs ~1/4 of that and a few MB of memory at most. Nothing the pipeline
computes depends on when objects are freed (no result reads finalizer order or weak references).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def schedule_collections() -> None:
    """Collect the youngest generation every `YOUNG_THRESHOLD` allocations, unless the process
    already collects less often or has the collector off (a user's own choice stays)."""
    young, middle, old = gc.get_threshold()
    if gc.isenabled() and 0 < young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
