"""Helpers for the reliability tests: scratch projects, in-process stage runs, file snapshots,
and a loopback server that answers every call with 401 and echoes the API key back (the worst
case for key leaks: the key lands in an exception message)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from project_helpers import copy_project, run_pipeline  # noqa: F401 (re-exported for the tests)

# The smoke preset, one task after another in-process: small, fast, deterministic.
SMOKE = ["experiment=smoke", "data.limit=2", "search.budget=6", "executor=sequential", "tracking=none"]
RUN_NAME = "arc1_training-ab_mcts_a-offline-b6-s0"


# The fault-injection run (see conftest.fault_run).
# Seed 64 makes the first calls of fault/a meet every outcome (ok, nocode, 429, 500, slow,
# truncated, empty) and exhaust the retries of one call; the tests check this, not assume it.
FAULT_SEED = 64
FAULT_RATES = {
    "rate_429": 0.15,
    "rate_500": 0.12,
    "rate_slow": 0.08,
    "rate_truncated": 0.12,
    "rate_empty": 0.12,
    "rate_nocode": 0.12,
}
RETRY_AFTER_S = 0.3
MAX_RETRIES = 2
KEY_ENV = "ABMCTS_TEST_CANARY_KEY"


def run_cli(root: Path, stages: list[str], overrides: list[str]) -> tuple[int, str, str]:
    """Compose the config like the pipeline scripts and run the stages in this process.

    Returns (exit code, stdout, stderr); the code path is the scripts' own (`run_stages`),
    minus the interpreter start-up, so many bad-input cases stay fast.
    """
    from hydra import compose, initialize_config_dir

    from abmcts.cli import run_stages

    out, err = io.StringIO(), io.StringIO()
    code = 0
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with initialize_config_dir(config_dir=str(root / "conf"), version_base="1.3"):
            cfg = compose("config", overrides=list(overrides))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            run_stages(stages, cfg)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def snapshot(root: Path, skip: tuple[str, ...] = ("conf/",)) -> dict[str, str]:
    """sha256 of every file under `root` (relative path -> digest), to prove nothing changed.

    SQLite files count by their rows (opening a database may create or fold its -wal/-shm
    sidecars without changing a row), unless they are not readable databases.
    """
    digests = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.startswith(skip) or rel.endswith(("-wal", "-shm")):
            continue
        digests[rel] = _sqlite_digest(path) if path.suffix == ".sqlite" else None
        digests[rel] = digests[rel] or hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _sqlite_digest(path: Path) -> str | None:
    import sqlite3

    try:
        conn = sqlite3.connect(path)
        try:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            ]
            rows = [(t, sorted(conn.execute(f"SELECT * FROM {t}").fetchall())) for t in tables]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return "rows:" + hashlib.sha256(repr(rows).encode()).hexdigest()


def write_models(root: Path, name: str, specs: list[dict[str, Any]]) -> None:
    """A models config group option `models=<name>` in a scratch project."""
    text = yaml.safe_dump({"name": name, "specs": specs}, sort_keys=False)
    (root / "conf" / "models" / f"{name}.yaml").write_text(text)


def cache_rows(path: Path) -> int:
    """Rows in the response cache (0 if it does not exist yet); safe while a writer runs (WAL)."""
    import sqlite3

    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet
        return 0
    finally:
        conn.close()


def cache_keys(path: Path) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return sorted(row[0] for row in conn.execute("SELECT key FROM responses"))
    finally:
        conn.close()


class EchoAuthServer:
    """Loopback OpenAI-style server that rejects every call with 401, quoting the key it got."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._lock:
                    server.requests += 1
                key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                body = {"error": {"message": f"Incorrect API key provided: {key}", "code": "invalid_api_key"}}
                data = json.dumps(body).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self) -> EchoAuthServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
