"""Running untrusted generated programs: the isolated worker pool and its result cache.

Knows nothing of prompts, models or the pipeline; its one tie to ARC is the grid type
(`abmcts.arc.task`): programs map grids to grids, and an output that is not a grid is `bad_output`.
"""

from abmcts.sandbox.cache import CachedExecutor, open_store
from abmcts.sandbox.pool import ExecResult, Executor, ProgramExecutor, execute

__all__ = ["CachedExecutor", "ExecResult", "Executor", "ProgramExecutor", "execute", "open_store"]
