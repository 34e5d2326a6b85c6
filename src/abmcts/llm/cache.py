"""Persistent response cache: replays cost nothing and reproduce trees byte for byte.

SQLite in WAL mode, one row per error-free response, committed before the caller sees the
response. A call that failed after every retry is kept apart (table `failures`): `replay` returns
it as the same failure, so a run with failed calls still replays byte for byte, while `readwrite`
ignores it and calls the model again (a transient outage heals on the next run). Several processes (joblib workers) and threads may write at once: each thread has its
own connection, every write is a single short autocommit statement, and `busy_timeout` makes a
writer wait for the lock instead of failing. `synchronous=NORMAL` in WAL mode keeps a committed
row across a killed process (only an OS crash / power loss can drop the last commits).

The cache key (`cache_key`) is the sha256 of canonical JSON of the model string, the messages,
the sampling params and the sample index. `api_base` is deliberately NOT part of the key: a
local server started on a random port must still hit its cache, and replay must work with the
server gone. Point the same model string at a server hosting a different model only under a
different model string (e.g. another `openai/<alias>`). API keys are never part of a key or row.

Every row carries a digest of its key, model and record (`abmcts.sqlite_store`), checked on each
read. A row that fails it (changed since it was stored): `replay` stops with an error naming the
cache file and key (a replay must reproduce the stored run, not a changed one); `readwrite` warns
naming the file and key, treats it as a miss (the model is called again) and replaces the row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from abmcts.errors import CacheMissError, ConfigError, LLMError
from abmcts.sqlite_store import Table, connect_wal, record_digest

MODES = ("readwrite", "replay", "off")
RECORD_FIELDS = ("text", "prompt_tokens", "completion_tokens", "cost", "latency_s")
RESPONSES = Table("responses", ("key", "model", "record"))
FAILURES = Table("failures", ("key", "model", "error"))
log = logging.getLogger(__name__)


def cache_key(
    model: str, messages: list[dict[str, Any]], params: Mapping[str, Any], sample_index: int
) -> str:
    """sha256 hex of canonical JSON of what determines a response (see module docstring)."""
    payload = {"model": model, "messages": messages, "params": dict(params), "sample_index": sample_index}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    """Counters for this process only (other workers keep their own)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class ResponseCache:
    """Key -> response record store; see the module docstring for the concurrency model."""

    def __init__(self, path: str | os.PathLike | None, mode: str = "readwrite") -> None:
        if mode not in MODES:
            raise ConfigError(f"cache mode: must be one of {', '.join(MODES)}, got {mode!r}")
        if mode != "off" and path is None:
            raise ConfigError(f"cache mode {mode!r} needs a cache path")
        self.path = Path(path) if path is not None else None
        self.mode = mode
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._local = threading.local()
        if mode == "replay" and not (self.path is not None and self.path.is_file()):
            raise LLMError(
                f"response cache {self.path}: file not found (replay mode needs an existing cache)"
            )
        if mode != "off":
            self._connect()  # fail fast on a corrupted or foreign file

    # Connections are per thread and per process; a pickled cache (joblib) reconnects lazily.
    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "mode": self.mode}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self.mode = state["path"], state["mode"]
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        if self.path is None:
            raise LLMError("response cache: mode 'off' has no file to open")
        try:
            conn = connect_wal(self.path, (RESPONSES, FAILURES), "response cache")
        except sqlite3.DatabaseError as exc:
            raise LLMError(
                f"response cache {self.path}: not a usable SQLite database ({exc}); move or delete the file"
            ) from None
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def get(self, key: str, model: str = "?") -> dict[str, Any] | None:
        """The stored record, or None on a miss; in replay mode a miss raises CacheMissError.

        In replay mode a recorded failure comes back as `{"error": message}`. A row failing its
        digest raises LLMError in replay mode, and is a miss (with a warning) in readwrite mode.
        """
        if self.mode == "off":
            return None
        try:
            conn = self._connect()
            row = conn.execute("SELECT model, record, digest FROM responses WHERE key = ?", (key,)).fetchone()
            if row is not None and not RESPONSES.intact((key, row[0], row[1]), row[2]):
                self._damaged(key)  # raises in replay mode
                row = None
            if row is None and self.mode == "replay":
                failed = conn.execute(
                    "SELECT model, error, digest FROM failures WHERE key = ?", (key,)
                ).fetchone()
                if failed is not None:
                    if not FAILURES.intact((key, failed[0], failed[1]), failed[2]):
                        self._damaged(key)
                    with self._lock:
                        self.stats.hits += 1
                    return {"error": failed[1]}
        except sqlite3.DatabaseError as exc:
            raise LLMError(f"response cache {self.path}: read failed ({exc})") from None
        with self._lock:
            if row is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
        if row is None:
            if self.mode == "replay":
                raise CacheMissError(
                    f"response cache {self.path}: replay miss for model {model!r}, key {key}"
                )
            return None
        return self._decode(key, row[1])

    def _damaged(self, key: str) -> None:
        """A row whose digest fails: an error in replay mode, else a miss to refetch (None)."""
        reason = (
            f"response cache {self.path}: the record for key {key} fails its digest check "
            "(changed since it was stored)"
        )
        if self.mode == "replay":
            raise LLMError(
                f"{reason}; restore the cache file, or run in readwrite mode to call the model again"
            )
        log.warning("%s; calling the model again and replacing it", reason)
        return None

    def contains(self, key: str) -> bool:
        """Would `get` answer this key without a call? (Counts nothing; replay never calls.)"""
        if self.mode != "readwrite":
            return self.mode == "replay"
        try:
            row = self._connect().execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise LLMError(f"response cache {self.path}: read failed ({exc})") from None
        return row is not None

    def put(self, key: str, record: Mapping[str, Any], model: str = "?") -> dict[str, Any]:
        """Store an error-free record unless the key exists; return the stored record.

        First writer wins, so two workers racing on one key both end up using the same response;
        a stored row that fails its digest is replaced.
        """
        missing = [f for f in RECORD_FIELDS if f not in record]
        if missing or not isinstance(record.get("text"), str):
            raise LLMError(
                f"response cache: refusing to store an incomplete record for key {key} (missing {missing})"
            )
        clean = {f: record[f] for f in RECORD_FIELDS}
        if self.mode != "readwrite":
            return clean
        blob = json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        conn = self._connect()
        try:
            digest = record_digest(key, model, blob)
            if conn.execute(RESPONSES.upsert_sql(), (key, model, blob, digest)).rowcount:
                with self._lock:
                    self.stats.writes += 1
                return clean
            row = conn.execute("SELECT record FROM responses WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise LLMError(f"response cache {self.path}: write failed ({exc})") from None
        return self._decode(key, row[0])  # another writer's, intact (a damaged row is replaced)

    def put_failure(self, key: str, error: str, model: str = "?") -> None:
        """Record that a call failed after every retry (replaced by a later failure of the same key)."""
        if self.mode != "readwrite":
            return
        try:
            self._connect().execute(
                "INSERT OR REPLACE INTO failures (key, model, error, digest) VALUES (?, ?, ?, ?)",
                (key, model, error, record_digest(key, model, error)),
            )
        except sqlite3.DatabaseError as exc:
            raise LLMError(f"response cache {self.path}: write failed ({exc})") from None

    def __len__(self) -> int:
        if self.mode == "off":
            return 0
        return self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Close this thread's connection (other threads' connections close when they exit)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _decode(self, key: str, blob: str) -> dict[str, Any]:
        try:
            record = json.loads(blob)
        except json.JSONDecodeError as exc:
            raise LLMError(f"response cache {self.path}: corrupted record for key {key} ({exc})") from None
        if not isinstance(record, dict) or any(f not in record for f in RECORD_FIELDS):
            raise LLMError(f"response cache {self.path}: corrupted record for key {key} (fields missing)")
        return record
