"""Tree files read once per process while their bytes are unchanged: never stale, never weaker."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_treefile import NODES

from abmcts.arc.treefile import TreeEncoder
from abmcts.errors import InputError
from abmcts.experiment import treecache
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.rundata import load_run_trees
from abmcts.experiment.treecache import read_tree, remember
from abmcts.experiment.view import RunView
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.score import score_stage
from abmcts.stages.search import search_stage
from abmcts.stages.select import select_stage

from project_helpers import smoke_config


@pytest.fixture(autouse=True)
def _empty_cache():
    remember({})
    yield
    remember({})


def write_tree(path: Path, nodes: list[dict] = NODES, **top) -> None:
    encoder = TreeEncoder()
    for n in nodes:
        encoder.add(n)
    path.write_text(encoder.dumps({"task_id": "t", "complete": True, **top}))


def rewrite_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    stat = path.stat()
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


def cached_read(path: Path, check=lambda top: None) -> dict:
    reads: dict = {}
    tree = read_tree(path, check, reads)
    remember(reads)
    return tree


def count_parses(monkeypatch) -> list:
    parsed: list = []
    real = treecache.parse_json
    monkeypatch.setattr(treecache, "parse_json", lambda *a: parsed.append(a[1]) or real(*a))
    return parsed


def test_an_unchanged_file_is_parsed_once_and_read_the_same(tmp_path, monkeypatch):
    path = tmp_path / "t.json"
    write_tree(path, algorithm="x")
    parsed = count_parses(monkeypatch)
    first = cached_read(path)
    again = read_tree(path)
    assert parsed == [path]
    assert again == first and again["nodes"] == NODES and again["algorithm"] == "x"
    assert "outputs" not in again


def test_a_file_rewritten_with_the_same_size_and_mtime_is_read_again(tmp_path):
    path = tmp_path / "t.json"
    write_tree(path)
    cached_read(path)
    rewrite_keeping_size_and_mtime(path, '"task_id":"t"', '"task_id":"u"')
    assert read_tree(path)["task_id"] == "u"


def test_a_file_corrupted_after_it_was_cached_is_refused_with_the_usual_error(tmp_path):
    path = tmp_path / "t.json"
    write_tree(path)
    cached_read(path)
    rewrite_keeping_size_and_mtime(path, '"test":[["7"]]', '"test":[["a"]]')
    with pytest.raises(InputError, match=r"^tree file .*t\.json: outputs\[0\] test\[0\]: bad grid"):
        read_tree(path)
    rewrite_keeping_size_and_mtime(path, '"test":[["a"]]', '"test":[["7"]]')
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(InputError, match=r"^tree file .*t\.json: malformed JSON"):
        read_tree(path)


def test_the_callers_check_runs_on_every_read_cached_or_not(tmp_path):
    path = tmp_path / "t.json"
    write_tree(path, complete=False)
    seen = []
    cached_read(path, seen.append)
    read_tree(path, seen.append)
    assert seen == [{"task_id": "t", "complete": False, "format": 2}] * 2

    def refuse(top):
        raise InputError("refused")

    with pytest.raises(InputError, match="^refused$"):
        read_tree(path, refuse)


def test_editing_a_returned_tree_leaves_the_next_read_intact(tmp_path):
    path = tmp_path / "t.json"
    write_tree(path)
    tree = cached_read(path)
    tree["task_id"] = "edited"
    tree["nodes"][0]["reward"] = 0.0
    tree["nodes"].pop()
    again = read_tree(path)
    assert again["task_id"] == "t" and again["nodes"] == NODES


def test_only_the_latest_load_is_held(tmp_path, monkeypatch):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_tree(a)
    write_tree(b, task_id="b")
    cached_read(a)
    cached_read(b)
    parsed = count_parses(monkeypatch)
    read_tree(b)
    read_tree(a)
    assert parsed == [a]


def test_stages_in_one_process_share_reads_but_see_a_tampered_tree(tmp_path, monkeypatch):
    cfg = smoke_config(tmp_path, "runs", "data.limit=2", "executor=sequential")
    fetch_stage(cfg)
    search_stage(cfg, progress=False)
    remember({})
    select_stage(cfg)
    paths = RunPaths.of(cfg)
    tid = sorted(paths.trees.glob("*.json"))[0].stem
    view = RunView(cfg)
    cached_page = view.page(tid)
    parsed = count_parses(monkeypatch)
    score_stage(cfg)
    assert parsed == []  # the score read what the select read
    remember({})
    assert view.page(tid) == cached_page  # the same page from a fresh read
    assert parsed == [paths.tree(tid)]

    load_run_trees(cfg)
    version = json.loads(paths.tree(tid).read_text())["settings"]["data.version"]
    old = f'"data.version":"{version}"'
    rewrite_keeping_size_and_mtime(paths.tree(tid), old, old[:-2] + chr(ord(old[-2]) ^ 1) + '"')
    with pytest.raises(InputError, match=r"settings do not match its fingerprint"):
        score_stage(cfg)
    with pytest.raises(InputError, match=r"settings do not match its fingerprint"):
        load_run_trees(cfg)


def test_a_command_forgets_the_trees_when_its_stages_are_done(tmp_path):
    """`cli.run_stages` ends holding nothing: a multirun's next job searches without the last
    run's trees in memory (the select stage left them held)."""
    from abmcts.cli import run_stages

    cfg = smoke_config(tmp_path, "runs", "data.limit=1", "executor=sequential", "tracking=none")
    run_stages(["fetch", "search"], cfg)
    load_run_trees(cfg)
    assert treecache._LATEST
    run_stages(["select"], cfg)
    assert treecache._LATEST == {}
