"""One way to open the project's SQLite stores (response and execution caches) for many writers.

WAL mode, autocommit, a long busy timeout so a writer waits for the lock instead of failing, and
`synchronous=NORMAL` (a committed row survives a killed process).

Integrity: every row carries `digest` = `record_digest` of its other columns, checked on read by
the caches (`Table.intact`), so a changed record is found instead of replayed. The digest is a
checksum, not a signature: it catches corruption and hand edits that leave the digest alone.

Durability: a new store is built under a temporary name and linked into place with its tables
already in the main file, so a store that exists always holds its table. An existing file without
it (its write-ahead log lost before a checkpoint, or a foreign file) is refused, never silently
recreated empty. `checkpoint` folds the log into the main file; stages and search workers call it
when they finish, so losing a `-wal` file afterwards loses nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BUSY_TIMEOUT_MS = 60_000
CHECKPOINT_TIMEOUT_MS = 5_000  # a checkpoint waits this long for other writers, then leaves the log
DIGEST_COLUMN = "digest"

log = logging.getLogger(__name__)


class StoreDamaged(sqlite3.DatabaseError):
    """An existing store lacks its table or has other columns (callers name the file and advise)."""


def record_digest(*fields: str) -> str:
    """sha256 hex of the fields, each length-prefixed (so field boundaries count): a row's digest."""
    h = hashlib.sha256()
    for field in fields:
        data = str(field).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


@dataclass(frozen=True)
class Table:
    """A store's table: TEXT columns (the first is the primary key) plus `digest` over them all."""

    name: str
    columns: tuple[str, ...]

    def create_sql(self) -> str:
        cols = ", ".join(
            f"{c} TEXT NOT NULL" + (" PRIMARY KEY" if i == 0 else "") for i, c in enumerate(self.columns)
        )
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, {DIGEST_COLUMN} TEXT)"

    def intact(self, values: Sequence[str], digest: str | None) -> bool:
        """Whether a row's values (in column order) still match the digest stored with them."""
        return digest is not None and record_digest(*values) == digest

    def upsert_sql(self) -> str:
        """Insert a row; an existing row is replaced only when it fails its digest (first valid
        writer wins, a damaged row is repaired). Parameters: the columns' values, then the digest."""
        cols = ", ".join((*self.columns, DIGEST_COLUMN))
        marks = ", ".join("?" * (len(self.columns) + 1))
        sets = ", ".join(f"{c} = excluded.{c}" for c in (*self.columns[1:], DIGEST_COLUMN))
        current = ", ".join(f"{self.name}.{c}" for c in self.columns)
        return (
            f"INSERT INTO {self.name} ({cols}) VALUES ({marks}) ON CONFLICT({self.columns[0]}) DO UPDATE "
            f"SET {sets} WHERE {self.name}.{DIGEST_COLUMN} IS NOT record_digest({current})"
        )


def connect_wal(path: str | os.PathLike, tables: Sequence[Table], what: str) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) the store at `path` holding `tables`.

    The first table must exist in an existing file (StoreDamaged otherwise); rows written before
    digests existed get theirs computed once, here, with a warning naming the store (`what`).
    Raises sqlite3.DatabaseError for a corrupted or foreign file; callers name it.
    """
    path = Path(path)
    if not path.exists():
        _create(path, tables)
    conn = _open(path)
    try:
        conn.create_function("record_digest", -1, record_digest, deterministic=True)
        _check_tables(conn, path, tables, what)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_wal_schema(path: str | os.PathLike, *schema: str) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) a store whose rows are not digested (the spend
    ledger) and run its `schema` statements. Raises sqlite3.DatabaseError for a foreign file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _open(path)
    try:
        for statement in schema:
            conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return conn


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _set_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _create(path: Path, tables: Sequence[Table]) -> None:
    """Build the empty store under a temporary name, then link it into place (losing a race to
    another process creating it is fine): its tables are in the main file from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            for table in tables:
                conn.execute(table.create_sql())
        finally:
            conn.close()  # the last connection: checkpoints and removes the log
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


def _check_tables(conn: sqlite3.Connection, path: Path, tables: Sequence[Table], what: str) -> None:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables[0].name not in names:
        raise StoreDamaged(
            f"no table {tables[0].name!r}: its write-ahead log {path.name}-wal was lost before a "
            "checkpoint, or this is not a cache file"
        )
    for table in tables:
        if table.name not in names:
            conn.execute(table.create_sql())
            continue
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table.name})")]
        if columns == list(table.columns):
            _add_digests(conn, table, what, path)
        elif columns != [*table.columns, DIGEST_COLUMN]:
            expected = ", ".join((*table.columns, DIGEST_COLUMN))
            raise StoreDamaged(f"table {table.name!r} has columns {columns}, expected [{expected}]")


def _add_digests(conn: sqlite3.Connection, table: Table, what: str, path: Path) -> None:
    """Migrate a store written before digests: add the column and digest every row as it stands
    (those rows are trusted once, from here on they are checked). One process does it; the others
    wait for its lock and find the column there."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table.name})")]
        if DIGEST_COLUMN in columns:
            conn.execute("COMMIT")
            return
        conn.execute(f"ALTER TABLE {table.name} ADD COLUMN {DIGEST_COLUMN} TEXT")
        n = conn.execute(
            f"UPDATE {table.name} SET {DIGEST_COLUMN} = record_digest({', '.join(table.columns)})"
        ).rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if n:
        log.warning(
            "%s %s: %d records in table %r were stored without a digest; digests computed now from the "
            "records as they stand (checked on every read from here on)",
            what,
            path,
            n,
            table.name,
        )


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL; several workers opening a new file at once may see it locked for a moment
    (the journal-mode switch does not wait on busy_timeout), so retry briefly."""
    for attempt in range(50):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


def checkpoint(*paths: str | os.PathLike, wait: bool = True) -> None:
    """Fold each store's write-ahead log into its main file, so a lost `-wal` loses nothing
    written so far.

    `wait` (a stage's end): TRUNCATE, waiting up to CHECKPOINT_TIMEOUT_MS for other writers, and
    empty the log; a store still busy is left as it is with a warning (its log still holds the
    rows), an unreadable one silently (opening it reports the damage). Without `wait` (a search worker exiting while others still write): PASSIVE,
    copying what it can at once; the last worker and the stage's end complete it.
    """
    mode, timeout_ms = ("TRUNCATE", CHECKPOINT_TIMEOUT_MS) if wait else ("PASSIVE", 0)
    for path in paths:
        if not Path(path).is_file():
            continue
        try:
            conn = sqlite3.connect(path, timeout=timeout_ms / 1000, isolation_level=None)
            try:
                conn.execute(f"PRAGMA busy_timeout={timeout_ms}")
                busy = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.DatabaseError:  # a damaged store: reported by whoever opens it
            continue
        if busy and wait:
            log.warning("cache %s: checkpoint incomplete (in use by another process)", path)
