"""One way to open the project's SQLite stores (response and execution caches) for many writers.

WAL mode, autocommit, a long busy timeout so a writer waits for the lock instead of failing, and
`synchronous=NORMAL` (a committed row survives a killed process).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

BUSY_TIMEOUT_MS = 60_000


def connect_wal(path: str | os.PathLike, *schema: str) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) the store at `path` and run the `schema`
    statements. Raises sqlite3.DatabaseError for a corrupted or foreign file; callers name it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _set_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in schema:
        conn.execute(statement)
    return conn


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
