"""Merging a teammate's response cache adds what yours lacks and never replaces a row of yours."""

from __future__ import annotations

import subprocess
import sys

import pytest

from abmcts.errors import InputError
from abmcts.experiment.cachemerge import merge_cache
from abmcts.llm.cache import RECORD_FIELDS, ResponseCache

from project_helpers import REPO


def record(text: str) -> dict:
    base = {"text": text, "prompt_tokens": 1, "completion_tokens": 2, "cost": 0.0, "latency_s": 0.0}
    return {f: base.get(f, 0) for f in RECORD_FIELDS}


def cache(path, rows: dict[str, str]):
    c = ResponseCache(path, "readwrite")
    for key, text in rows.items():
        c.put(key, record(text), "m")
    c.close()
    return path


def test_merge_adds_missing_rows_and_keeps_yours(tmp_path):
    ours = cache(tmp_path / "ours.sqlite", {"a": "mine", "b": "same"})
    theirs = cache(tmp_path / "theirs.sqlite", {"a": "theirs", "b": "same", "c": "new"})
    merged = merge_cache(theirs, ours)
    assert merged.added["responses"] == 1 and merged.conflicts["responses"] == 1
    c = ResponseCache(ours, "replay")
    assert c.get("a")["text"] == "mine" and c.get("b")["text"] == "same" and c.get("c")["text"] == "new"
    c.close()
    assert merge_cache(theirs, ours).added["responses"] == 0  # merging twice changes nothing
    done = subprocess.run(
        [sys.executable, str(REPO / "pipeline" / "merge_cache.py"), str(theirs), str(ours)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines()[0].endswith(
        "responses: 0 rows added, 1 keys held by both with other rows (yours kept)"
    )


def test_merge_refuses_what_is_not_the_same_kind_of_cache(tmp_path):
    import sqlite3

    ours = cache(tmp_path / "ours.sqlite", {"a": "x"})
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, blob TEXT)")
    with pytest.raises(InputError, match="has columns"):
        merge_cache(other, ours)
    with pytest.raises(InputError, match="same file"):
        merge_cache(ours, ours)
    with pytest.raises(InputError, match="not found"):
        merge_cache(tmp_path / "missing.sqlite", ours)
