"""TaskSearch's cheap paths give the same bytes as the plain ones: tree writes, prompts, checkpoints."""

from __future__ import annotations

import json

import pytest

from abmcts.arc.prompts import prompt_hash
from abmcts.arc.treefile import TREE_FORMAT
from abmcts.experiment import runner
from abmcts.io import dumps_json, read_json

from project_helpers import read_tree
from runner_helpers import TASK, TEMPLATES, search


def test_tree_file_is_canonical_compact_json_of_the_record(tmp_path):
    task_search = search(tmp_path)
    record = task_search.run()
    text = (tmp_path / "t1.json").read_text()
    doc = json.loads(text)
    assert text == dumps_json(doc)  # canonical: sorted keys, no spaces
    assert doc["format"] == TREE_FORMAT == 2
    # every program flips the grid the same way: one stored output set, named by every node
    assert doc["outputs"] == [{"train": [["21"], ["43"]], "test": [["65"]]}]
    assert {node["outputs"] for node in doc["nodes"]} == {0}
    assert read_tree(tmp_path / "t1.json")["nodes"] == record["nodes"]
    assert len(record["nodes"]) == 12 and record["complete"]
    assert all(node["reward"] == 1.0 for node in record["nodes"])


def test_resumed_search_writes_the_same_bytes(tmp_path):
    full = tmp_path / "full"
    search(full).run()
    part = tmp_path / "part"
    first = search(part, checkpoint_every=4)
    # stop after the first checkpoint: a client that fails the run after 4 calls
    first.client.acomplete_many = _stop_after(first.client.acomplete_many, 4)
    with pytest.raises(Killed):
        first.run()
    assert len(read_json(part / "t1.json", "tree")["nodes"]) == 4
    resumed = search(part, checkpoint_every=4)
    resumed.run()
    assert resumed.client.calls == 8  # only the calls after the checkpoint
    assert (part / "t1.json").read_bytes() == (full / "t1.json").read_bytes()


class Killed(Exception):
    """The run dies here (a KeyboardInterrupt inside a coroutine would end the event loop instead)."""


def _stop_after(acomplete_many, n):
    seen = []

    async def wrapped(requests, task=None):
        if len(seen) >= n:
            raise Killed
        seen.extend(requests)
        return await acomplete_many(requests, task)

    return wrapped


@pytest.mark.parametrize("min_s,expected_writes", [(0.0, 12 // 2 + 1), (3600.0, 1)])
def test_checkpoint_min_seconds_skips_intermediate_writes(tmp_path, monkeypatch, min_s, expected_writes):
    writes = []
    real = runner.atomic_write_text
    monkeypatch.setattr(
        runner, "atomic_write_text", lambda path, text: (writes.append(path), real(path, text))
    )
    search(tmp_path, checkpoint_every=2, checkpoint_min_s=min_s).run()
    assert len(writes) == expected_writes


def test_each_prompt_is_rendered_once_per_parent(tmp_path, monkeypatch):
    rendered = []
    real = runner.messages_for
    monkeypatch.setattr(
        runner, "messages_for", lambda task, t, parent: rendered.append(parent) or real(task, t, parent)
    )
    task_search = search(tmp_path)
    record = task_search.run()
    parents = [n["parent"] for n in record["nodes"]]
    assert len(rendered) == len(set(parents))
    expected = runner.messages_for(TASK, TEMPLATES, None)
    roots = [n for n in record["nodes"] if n["parent"] is None]
    assert all(n["prompt_hash"] == prompt_hash(expected) for n in roots)
    assert set(task_search.timings) == set(runner.PHASES)
