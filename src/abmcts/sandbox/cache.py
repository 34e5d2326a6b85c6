"""Execution cache: a program's sandbox results, stored beside the response cache.

Rewards come from executing each generated program on the task's grids. A replay gets the same
program text from the response cache, so re-executing it only repeats work (a fork, rlimits and
the program itself: ~10 ms per call, most of a replay's time). The key is the sha256 of
(code, the exact input grids, the executor's limits), so a different task, grid or limit is a
different entry and never a stale hit. Storing the first execution's result also makes a replay
byte-identical for programs that are not deterministic (time, randomness, a timeout near the
limit). Delete the file (`cache.executions_path`, default `cache/executions.sqlite`) to force
re-execution. A row holds, per grid, `[output, error, kind]` as JSON, an output as its rows of digits
(`["01", "23"]`, as tree files store grids); rows written before that, with grids as lists of ints,
are still read.

SQLite in WAL mode with one connection per thread and process, single-statement autocommit
writes, first writer wins, and a digest checked on every read, like `abmcts.llm.cache`: a row that
fails it is an error naming the file and key in `replay` mode, and in `readwrite` mode a warning
and a miss (the program runs again and its results replace the row).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from abmcts.arc.task import MAX_SIDE, digit_rows, plain_digit_rows
from abmcts.arc.treefile import decode_grid
from abmcts.errors import InputError
from abmcts.sandbox.pool import ExecResult
from abmcts.sqlite_store import Table, connect_wal, record_digest

EXECUTIONS = Table("executions", ("key", "results"))
KEY_VERSION = 1
log = logging.getLogger(__name__)


GRID_DIGESTS = 1024


@dataclass
class ExecStats:
    hits: int = 0
    misses: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class CachedExecutor:
    """Wraps a sandbox `Executor`: `run(code, grids)` answers from the store or executes and stores."""

    def __init__(
        self, executor: Any, path: str | os.PathLike, limits: dict[str, Any], mode: str = "readwrite"
    ) -> None:
        """`limits`: everything besides code and grids that can change a result (timeouts, rlimits,
        forbidden paths); part of every key. `mode`: the response cache's ("replay": a damaged
        row is an error, see the module docstring)."""
        self.executor = executor
        self.path = Path(path)
        self.mode = mode
        self.stats = ExecStats()
        self._local = threading.local()
        self._lock = threading.Lock()
        # id(grids) -> (grids, digest): a task passes the same list every call, and many tasks
        # search at once in one process (bounded: cleared past GRID_DIGESTS entries)
        self._grid_digests: dict[int, tuple[Any, str]] = {}
        self._limits = json.dumps(limits, sort_keys=True, separators=(",", ":"))
        self._connect()  # fail fast on a corrupted or foreign file

    @property
    def timeout_s(self) -> float:
        return self.executor.timeout_s

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = open_store(self.path)
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def key(self, code: str, grids: list[Any]) -> str:
        """sha256 of (code, grids, limits); the grids' digest is reused while the same list is passed."""
        memo = self._grid_digests.get(id(grids))
        if memo is not None and memo[0] is grids:
            digest = memo[1]
        else:
            digest = hashlib.sha256(json.dumps(grids, separators=(",", ":")).encode()).hexdigest()
            if len(self._grid_digests) >= GRID_DIGESTS:
                self._grid_digests.clear()
            self._grid_digests[id(grids)] = (grids, digest)
        head = f"v{KEY_VERSION}\0{self._limits}\0{digest}\0".encode()
        return hashlib.sha256(head + code.encode("utf-8", "surrogatepass")).hexdigest()

    def lookup(self, code: str, grids: list[Any]) -> list[ExecResult] | None:
        """The stored results (counted as a hit), or None; never executes, so it is cheap enough
        to call on an event loop (the runner sends only misses to a thread)."""
        row = self._row(self.key(code, grids))
        stored = _decode(row, len(grids)) if row is not None else None
        if stored is not None:
            with self._lock:
                self.stats.hits += 1
        return stored

    def _row(self, key: str) -> str | None:
        """The stored results of `key`, None when absent or (readwrite mode) failing its digest."""
        try:
            row = (
                self._connect()
                .execute("SELECT results, digest FROM executions WHERE key = ?", (key,))
                .fetchone()
            )
        except sqlite3.DatabaseError as exc:
            raise InputError(f"execution cache {self.path}: read failed ({exc})") from None
        if row is None or EXECUTIONS.intact((key, row[0]), row[1]):
            return None if row is None else row[0]
        reason = (
            f"execution cache {self.path}: the record for key {key} fails its digest check "
            "(changed since it was stored)"
        )
        if self.mode == "replay":
            raise InputError(f"{reason}; restore the cache file, or delete it to run the programs again")
        log.warning("%s; running the program again and replacing it", reason)
        return None

    def run(self, code: str, grids: list[Any], timeout_s: float | None = None) -> list[ExecResult]:
        if timeout_s is not None and timeout_s != self.executor.timeout_s:
            return self.executor.run(code, grids, timeout_s=timeout_s)  # not the keyed limits
        stored = self.lookup(code, grids)
        if stored is not None:
            return stored
        key = self.key(code, grids)
        with self._lock:
            self.stats.misses += 1
        results = self.executor.run(code, grids)
        blob = json.dumps([[_stored(r.output), r.error, r.kind] for r in results], separators=(",", ":"))
        try:  # first writer wins; a row failing its digest is replaced
            self._connect().execute(EXECUTIONS.upsert_sql(), (key, blob, record_digest(key, blob)))
        except sqlite3.DatabaseError as exc:
            raise InputError(f"execution cache {self.path}: write failed ({exc})") from None
        return results

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self.executor.close()


def open_store(path: str | os.PathLike) -> sqlite3.Connection:
    """A connection to the store at `path`, created (WAL, table) if needed.

    Call it once in the parent before starting workers, so they never race to create the file.
    """
    try:
        return connect_wal(path, (EXECUTIONS,), "execution cache")
    except sqlite3.DatabaseError as exc:
        raise InputError(
            f"execution cache {path}: not a usable SQLite database ({exc}); delete the file"
        ) from None


def _stored(output: Any) -> Any:
    """An output as its rows of digits, as tree files store grids: about half the text, read back
    at C speed (parsing and checking the cell-by-cell JSON of a replay's hits was ~7-10% of its
    worker CPU). Anything that is not a grid of plain ints (a foreign executor's) is stored as it is."""
    rows = None if output is None else plain_digit_rows(output)
    return output if rows is None else [row.decode() for row in rows]


def _output(stored: Any) -> Any:
    """A stored output as a grid (either form `_stored` writes), None for no output, or `_BAD`."""
    if stored is None:
        return None
    if type(stored) is list and stored and type(stored[0]) is str:
        try:
            grid = decode_grid(stored, "execution cache")
        except InputError:
            return _BAD
        return grid if len(stored) <= MAX_SIDE and len(stored[0]) <= MAX_SIDE else _BAD
    return stored if digit_rows(stored) is not None else _BAD


_BAD = object()


def _decode(blob: str, n: int) -> list[ExecResult] | None:
    """Stored results, or None (treated as a miss) if the row is not what this module writes."""
    try:
        rows = json.loads(blob)
    except json.JSONDecodeError:
        return None
    if (
        not isinstance(rows, list)
        or len(rows) != n
        or not all(isinstance(r, list) and len(r) == 3 for r in rows)
    ):
        return None
    outputs = [_output(output) for output, _, _ in rows]
    if any(output is _BAD for output in outputs):
        return None
    return [ExecResult(output, error, kind) for output, (_, error, kind) in zip(outputs, rows, strict=True)]
