"""Files survive a SIGKILL in the middle of a write: a tree file is always the old or the new
version (atomic rename), and a response cache keeps every row it acknowledged (SQLite WAL)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable

KILLS = 8

# Writes version 0, 1, 2, ... of an ~8 MB JSON object to one path, printing each finished write.
# With "pause" it also prints "fsync" and waits just before the temp file's fsync and rename, so
# the kill lands exactly between writing the new bytes and replacing the old file.
ATOMIC_WRITER = """
import os, sys, time
from abmcts.io import atomic_write_json
path, first, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "pause"
real_fsync = os.fsync
def fsync(fd):
    if pause:
        print("fsync", flush=True)
        time.sleep(0.5)
    real_fsync(fd)
os.fsync = fsync
for version in range(first, 10**9):
    atomic_write_json(path, {"version": version, "payload": f"{version}:" + "x" * 8_000_000 + f":{version}"})
    print(version, flush=True)
"""

# Stores responses one by one in the response cache, reporting each acknowledged key.
CACHE_WRITER = """
import sys
from abmcts.llm.cache import ResponseCache
cache = ResponseCache(sys.argv[1])
for i in range(int(sys.argv[2]), 10**9):
    record = {"text": "x" * 20_000 + str(i), "prompt_tokens": i, "completion_tokens": 1, "cost": 0.0, "latency_s": 0.0}
    cache.put(f"key-{i}", record, model="m")
    print(i, flush=True)
"""


def _run_and_kill(
    script: str, args: list[str], ready: Callable[[list[str]], bool], delay_s: float
) -> list[str]:
    """Start `script`, read its lines until `ready(lines)`, wait `delay_s`, SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    while not ready(lines):
        line = proc.stdout.readline()
        assert line, f"writer died: {proc.stderr.read()[-2000:]}"
        lines.append(line.strip())
    time.sleep(delay_s)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return [line for line in lines + rest.split() if line.isdigit()]


def test_atomic_write_json_leaves_old_or_new_file(tmp_path):
    """Kills at random instants, and kills between writing a new version and the rename."""
    path = tmp_path / "tree.json"
    rng = random.Random(7)
    version = 0
    for kill in range(KILLS):
        paused = kill % 2 == 1
        ready = (
            (lambda lines: len(lines) > 1 and lines[-1] == "fsync")
            if paused
            else (lambda lines: len(lines) >= 1)
        )
        delay = 0.0 if paused else rng.uniform(0, 0.2)
        args = [str(path), str(version), "pause" if paused else "run"]
        last = int(_run_and_kill(ATOMIC_WRITER, args, ready, delay)[-1])
        data = json.loads(path.read_bytes())  # never a torn file
        # the last acknowledged version, or (random kill) the next one if the rename beat the print
        assert data["version"] == last if paused else data["version"] in (last, last + 1)
        assert data["payload"] == f"{data['version']}:" + "x" * 8_000_000 + f":{data['version']}"
        version = data["version"] + 1
    # the paused kills left their unrenamed temp files: hidden names that no reader picks up
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert len(leftovers) >= KILLS // 2
    assert all(name.startswith(".tree.json.") and name.endswith(".tmp") for name in leftovers)


def test_response_cache_keeps_acknowledged_rows_across_kills(tmp_path):
    from abmcts.llm.cache import ResponseCache

    db = tmp_path / "responses.sqlite"
    rng = random.Random(11)
    start = 0
    for _ in range(KILLS):
        acknowledged = _run_and_kill(
            CACHE_WRITER, [str(db), str(start)], lambda lines: len(lines) >= 3, rng.uniform(0, 0.1)
        )
        cache = ResponseCache(db)
        conn = cache._connect()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for i in range(int(acknowledged[-1]) + 1):  # every acknowledged row is there and whole
            record = cache.get(f"key-{i}")
            assert record is not None and record["text"].endswith(str(i)) and record["prompt_tokens"] == i
        start = len(cache)
        assert start in (int(acknowledged[-1]) + 1, int(acknowledged[-1]) + 2)
        cache.close()
