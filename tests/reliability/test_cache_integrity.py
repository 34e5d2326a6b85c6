"""Stored results cannot change silently, and a lost write-ahead log loses nothing.

Attacks on a finished smoke run's caches: one character of a valid record changed with sqlite3
(replay must stop naming the cache file and key; readwrite refetches, warns and repairs), and a
parallel search whose `-wal` files are deleted afterwards (every response must still be there).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from rel_helpers import RUN_NAME, SMOKE, copy_project, run_cli, run_pipeline, snapshot

TREES = f"runs/{RUN_NAME}/trees"


def _trees(root: Path, run_root: str = "runs") -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / run_root / RUN_NAME / "trees").glob("*.json"))}


def _tamper_response(path: Path) -> str:
    """Change one character of the code inside the first stored response; returns its key."""
    with sqlite3.connect(path) as conn:
        key, record = conn.execute("SELECT key, record FROM responses ORDER BY key LIMIT 1").fetchone()
        text = json.loads(record)["text"]
        at = text.index("return")
        changed = record.replace(json.dumps(text)[1:-1], json.dumps(text[:at] + "R" + text[at + 1 :])[1:-1])
        assert changed != record and len(changed) == len(record)
        conn.execute("UPDATE responses SET record = ? WHERE key = ?", (changed, key))
    return key


def _tamper_execution(path: Path, skip: set[str]) -> str:
    """Change one character of the first stored execution whose key is not in `skip`."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT key, results FROM executions ORDER BY key").fetchall()
        key, results = next((k, r) for k, r in rows if k not in skip)
        changed = results[:-1] + " "  # the closing bracket: still the same length
        conn.execute("UPDATE executions SET results = ? WHERE key = ?", (changed, key))
    return key


def _keys(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute(f"SELECT key FROM {table}")}


def _one_error(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


def _intact(path: Path, table: str, key: str) -> bool:
    from abmcts.sqlite_store import record_digest

    with sqlite3.connect(path) as conn:
        row = conn.execute(f"SELECT * FROM {table} WHERE key = ?", (key,)).fetchone()
    return record_digest(*row[:-1]) == row[-1]


def test_changed_response_stops_a_replay_naming_the_cache_and_key(project):
    key = _tamper_response(project / "cache/responses.sqlite")
    before = snapshot(project)
    code, _, err = run_cli(project, ["search"], [*SMOKE, "cache.mode=replay", "run.root=replayed"])
    assert code == 2
    line = _one_error(err)
    assert "cache/responses.sqlite" in line and key in line and "digest" in line, line
    # nothing changed but the replay's own run and the programs it executed before stopping
    after = snapshot(project)
    assert {k: v for k, v in after.items() if not k.startswith("replayed/")} == {
        **before,
        "cache/executions.sqlite": after["cache/executions.sqlite"],
    }


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_changed_response_in_readwrite_is_refetched_reported_and_repaired(project, caplog):
    cache = project / "cache/responses.sqlite"
    key = _tamper_response(cache)
    code, _, err = run_cli(project, ["search"], [*SMOKE, "run.root=again"])
    assert code == 0, err
    warned = [line for line in _warnings(caplog) if key in line]
    assert len(warned) == 1 and "responses.sqlite" in warned[0] and "calling the model again" in warned[0]
    assert _trees(project, "again") == _trees(project)  # offline models answer the same again
    assert _intact(cache, "responses", key)


def test_changed_execution_stops_a_replay_and_is_rerun_in_readwrite(project, caplog):
    """Execution keys hold the (resolved) solutions path the sandbox hides, so this copy of the
    project first stores its own executions, then one of them is changed."""
    cache = project / "cache/executions.sqlite"
    inherited = _keys(cache, "executions")
    assert run_cli(project, ["search"], [*SMOKE, "run.root=first"])[0] == 0
    key = _tamper_execution(cache, inherited)
    code, _, err = run_cli(project, ["search"], [*SMOKE, "cache.mode=replay", "run.root=replayed"])
    assert code == 2
    line = _one_error(err)
    assert "cache/executions.sqlite" in line and key in line and "digest" in line, line
    code, _, err = run_cli(project, ["search"], [*SMOKE, "run.root=again"])
    assert code == 0, err
    assert any(key in line and "running the program again" in line for line in _warnings(caplog))
    assert _trees(project, "again") == _trees(project)
    assert _intact(cache, "executions", key)


def test_lost_write_ahead_logs_after_a_parallel_search_lose_nothing(tmp_path):
    """Two spawned search workers (they leave with os._exit) on a fresh cache; then the -wal files
    are deleted: every response and execution is still in the files, and a replay reproduces
    the trees byte for byte from them."""
    root = copy_project(tmp_path / "p")
    args = ["experiment=smoke", "data.limit=3", "search.budget=6", "executor=local", "executor.n_jobs=2"]
    done = run_pipeline(root, "run", *args, "tracking=none", timeout=600)
    assert done.returncode == 0, done.stderr
    trees = _trees(root)
    assert len(trees) == 3
    for store in ("responses", "executions"):
        wal = root / f"cache/{store}.sqlite-wal"
        assert not wal.exists() or wal.stat().st_size == 0  # checkpointed at the stage's end
        wal.unlink(missing_ok=True)
        (root / f"cache/{store}.sqlite-shm").unlink(missing_ok=True)
    with sqlite3.connect(root / "cache/responses.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 3 * 6
    replay = run_pipeline(root, "search", *args, "tracking=none", "cache.mode=replay", "run.root=replayed")
    assert replay.returncode == 0, replay.stderr
    assert _trees(root, "replayed") == trees
    summary = json.loads((root / f"replayed/{RUN_NAME}/search_summary.json").read_text())
    assert summary["cache"]["misses"] == 0 and summary["executions"]["misses"] == 0
