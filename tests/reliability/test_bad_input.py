"""Bad input: one clear `error:` line naming what and where, exit code 2, earlier results intact.

A finished smoke run is the baseline; each case corrupts one input of a copy of it, runs a stage
the way the pipeline scripts do (`run_stages`, in this process for speed; Hydra's own override
errors in a real subprocess) and checks that no other file changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from rel_helpers import RUN_NAME, SMOKE, run_cli, run_pipeline, snapshot, write_models

GOOD_TASK = {
    "train": [{"input": [[1, 2]], "output": [[2, 1]]}],
    "test": [{"input": [[3, 4]], "output": [[4, 3]]}],
}
TREES = f"runs/{RUN_NAME}/trees"


def first_tree(root: Path) -> Path:
    return sorted((root / TREES).glob("*.json"))[0]


def _task_dir(name: str, bad: object) -> Callable[[Path], list[str]]:
    """A folder with one good task and `<name>.json` holding `bad` (a dict, or raw text)."""

    def setup(root: Path) -> list[str]:
        folder = root / "incoming"
        folder.mkdir()
        (folder / "good1.json").write_text(json.dumps(GOOD_TASK))
        (folder / f"{name}.json").write_text(bad if isinstance(bad, str) else json.dumps(bad))
        return ["data=directory", f"data.path={folder}"]

    return setup


def _pair(grid_in: object) -> dict:
    return {"train": [{"input": grid_in, "output": [[1]]}], "test": [{"input": [[1]]}]}


DIRECTORY_CASES = {
    "ragged": (_pair([[1, 2], [3]]), ["ragged.json", "'ragged'", "train pair 0 input", "ragged grid"]),
    "colour": (_pair([[1, 10]]), ["colour.json", "train pair 0 input", "cell (0,1) is 10"]),
    "size": (_pair([[1]] * 31), ["size.json", "train pair 0 input", "31 rows (max 30)"]),
    "nokey": ({"test": [{"input": [[1]]}]}, ["nokey.json", "'nokey'", "missing key 'train'"]),
    "wrongtype": ({"train": "abc", "test": [{"input": [[1]]}]}, ["wrongtype.json", "'train' must be"]),
    "celltype": (_pair([["1"]]), ["celltype.json", "cell (0,0) is '1'"]),
    "notjson": ('{"train": [', ["notjson.json", "malformed JSON"]),
}


def _corrupt(
    path_of: Callable[[Path], Path], data: bytes | Callable[[bytes], bytes]
) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        path = path_of(root)
        path.write_bytes(data(path.read_bytes()) if callable(data) else data)
        return []

    return setup


def _tasks_json(root: Path) -> Path:
    return root / "data/arc1_training/tasks.json"


def _ragged_tasks(raw: bytes) -> bytes:
    tasks = json.loads(raw)
    first = sorted(tasks)[0]
    tasks[first]["train"][1]["output"][0].append(7)
    return json.dumps(tasks).encode()


def _solutions_json(root: Path) -> Path:
    return root / "data/arc1_training/solutions.json"


def _without_first_task(raw: bytes) -> bytes:
    solutions = json.loads(raw)
    del solutions[sorted(solutions)[0]]
    return json.dumps(solutions).encode()


def _ragged_first_solution(raw: bytes) -> bytes:
    solutions = json.loads(raw)
    solutions[sorted(solutions)[0]][0][0].append(7)
    return json.dumps(solutions).encode()


def _tree_edit(edit: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    """Apply an in-place `edit` to the tree (its return value is ignored)."""

    def change(raw: bytes) -> bytes:
        tree = json.loads(raw)
        edit(tree)
        return json.dumps(tree).encode()

    return change


def _wal_lost(name: str) -> Callable[[Path], list[str]]:
    """The cache `name` as a file whose write-ahead log was lost before its first checkpoint
    (its table lived only in the log): a valid SQLite file in WAL mode holding no table."""

    def setup(root: Path) -> list[str]:
        path = root / "cache" / name
        path.unlink()
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
        return []

    return setup


def _models(specs: list[dict]) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        write_models(root, "bad", specs)
        return ["models=bad"]

    return setup


# (stage, setup -> extra overrides, fragments the error line must contain)
CASES: dict[str, tuple[str, Callable[[Path], list[str]], list[str]]] = {
    **{f"taskdir-{name}": ("fetch", _task_dir(name, bad), frags) for name, (bad, frags) in DIRECTORY_CASES.items()},
    "taskdir-missing": ("fetch", lambda r: ["data=directory", f"data.path={r / 'nowhere'}"], ["nowhere", "not a directory"]),
    "tasks-garbage": ("search", _corrupt(_tasks_json, b"\x00\xff\xfe garbage"), ["tasks file", "tasks.json", "not UTF-8"]),
    "tasks-truncated": ("search", _corrupt(_tasks_json, lambda b: b[: len(b) // 2]), ["tasks.json", "malformed JSON"]),
    "tasks-ragged": ("search", _corrupt(_tasks_json, _ragged_tasks), ["tasks.json", "'007bbfb7' train pair 1 output", "ragged"]),
    "tasks-wrongshape": ("search", _corrupt(_tasks_json, b"[1, 2]"), ["tasks.json", "expected a JSON object"]),
    "override-wrongtype": ("search", lambda r: ["search.budget=lots"], ["search.budget", "'lots'"]),
    "override-unknownkey": ("search", lambda r: ["+search.budgett=3"], ["search.budgett", "not in 'SearchConfig'"]),
    "override-badchoice": ("search", lambda r: ["cache.mode=sometimes"], ["cache.mode='sometimes'", "readwrite"]),
    "override-range": ("search", lambda r: ["search.budget=0"], ["search.budget=0", "out of range"]),
    "model-offline-unknown": ("search", _models([{"name": "offline/nope", "model": "offline/nope"}]), ["'offline/nope'", "unknown offline model"]),
    "model-bad-field": ("search", _models([{"name": "m", "model": "offline/geometry", "max_concurrency": 0}]), ["'m'", "max_concurrency", "got 0"]),
    "cache-garbage": ("search", _corrupt(lambda r: r / "cache/responses.sqlite", b"\x13\x37" * 4096), ["responses.sqlite", "not a usable SQLite database"]),
    "execcache-garbage": ("search", _corrupt(lambda r: r / "cache/executions.sqlite", b"\x13\x37" * 4096), ["executions.sqlite"]),
    "cache-wal-lost": ("search", _wal_lost("responses.sqlite"), ["response cache", "responses.sqlite", "no table 'responses'", "write-ahead log"]),
    "execcache-wal-lost": ("search", _wal_lost("executions.sqlite"), ["execution cache", "executions.sqlite", "no table 'executions'"]),
    **{f"override-{key}-{value}": ("search", lambda r, o=f"{key}={value}": [o], [f"config {key}={value}", "finite"])
       for key in ("sandbox.timeout_s", "search.checkpoint_min_s", "run.max_cost_usd", "search.max_cost_usd", "tracking.trace_sample")
       for value in ("inf", "nan")},
    "override-seed-negative": ("search", lambda r: ["seed=-1"], ["config seed=-1", "out of range"]),
    "override-offset-past-end": ("search", lambda r: ["data.offset=400"], ["config data.offset=400", "arc1_training", "400 tasks"]),
    "select-offset-past-end": ("select", lambda r: ["data.offset=1000"], ["config data.offset=1000", "400 tasks"]),
    "model-price-inf": ("search", _models([{"name": "m", "model": "openai/x", "input_cost_per_token": float("inf"), "output_cost_per_token": 1e-6}]), ["'m'", "input_cost_per_token", "finite", "inf"]),
    "model-price-negative": ("search", _models([{"name": "m", "model": "openai/x", "input_cost_per_token": -1.0, "output_cost_per_token": 1e-6}]), ["'m'", "input_cost_per_token", "-1.0"]),
    "model-timeout-nan": ("search", _models([{"name": "m", "model": "offline/geometry", "timeout_s": float("nan")}]), ["'m'", "timeout_s", "nan"]),
    "tree-settings-edited": ("search", _corrupt(first_tree, _tree_edit(lambda t: t["settings"].update({"search.reward": "partial"}))), ["tree checkpoint", "007bbfb7.json", "fingerprint"]),
    "select-tree-settings-edited": ("select", _corrupt(first_tree, _tree_edit(lambda t: t["settings"].update({"search.reward": "partial"}))), ["tree file", "007bbfb7.json", "fingerprint"]),
    "score-tree-settings-edited": ("score", _corrupt(first_tree, _tree_edit(lambda t: t["settings"].update({"search.reward": "partial"}))), ["tree file", "007bbfb7.json", "fingerprint"]),
    "tree-truncated": ("search", _corrupt(first_tree, lambda b: b[: len(b) // 2]), ["tree checkpoint", "007bbfb7.json", "malformed JSON"]),
    "tree-list": ("search", _corrupt(first_tree, b"[]"), ["tree checkpoint", "007bbfb7.json", "not a tree file"]),
    "tree-nodes-str": ("search", _corrupt(first_tree, _tree_edit(lambda t: t.update(nodes="abc"))), ["007bbfb7.json", "'nodes' must be a list"]),
    "tree-node-nokey": ("search", _corrupt(first_tree, _tree_edit(lambda t: t["nodes"][2].pop("model"))), ["007bbfb7.json", "node 2 has no field 'model'"]),
    "tree-lost-nodes": ("search", _corrupt(first_tree, _tree_edit(lambda t: t.update(nodes=t["nodes"][:3]))), ["007bbfb7.json", "3 nodes, search_state has 6"]),
    "tree-format": ("search", _corrupt(first_tree, _tree_edit(lambda t: t.update(format=9))), ["007bbfb7.json", "unknown tree format 9"]),
    "tree-outputs-index": ("select", _corrupt(first_tree, _tree_edit(lambda t: t["nodes"][1].update(outputs=99))), ["007bbfb7.json", "node 1 field 'outputs'", "99"]),
    "tree-output-grid": ("search", _corrupt(first_tree, _tree_edit(lambda t: t["outputs"][0].update(train=[["01", "2"]]))), ["007bbfb7.json", "outputs[0] train[0]", "bad grid"]),
    "tree-state-shape": ("search", _corrupt(first_tree, _tree_edit(lambda t: t.update(search_state=[1]))), ["007bbfb7.json", "corrupted"]),
    "select-node-reward": ("select", _corrupt(first_tree, _tree_edit(lambda t: t["nodes"][0].update(reward="high"))), ["tree file", "007bbfb7.json", "node 0 field 'reward'", "'high'"]),
    "score-tree-list": ("score", _corrupt(first_tree, b"[]"), ["tree file", "007bbfb7.json", "did not finish"]),
    "score-solutions-truncated": ("score", _corrupt(_solutions_json, lambda b: b[: len(b) // 2]), ["solutions.json", "malformed JSON"]),
    "score-solutions-no-task": ("score", _corrupt(_solutions_json, _without_first_task), ["solutions.json", "no test outputs for task '007bbfb7'"]),
    "score-solutions-bad-grid": ("score", _corrupt(_solutions_json, _ragged_first_solution), ["solutions.json", "'007bbfb7' test output 0"]),
    "select-tree-other-task": ("select", _corrupt(first_tree, _tree_edit(lambda t: t.update(task_id="abc"))), ["007bbfb7.json", "holds task 'abc'"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_clearly_and_changes_nothing(project, case):
    stage, setup, fragments = CASES[case]
    extra = setup(project)
    before = snapshot(project)
    code, _, err = run_cli(project, [stage], [*SMOKE, *extra])
    assert code == 2, err
    _assert_one_error_line(err, fragments)
    assert snapshot(project) == before


def _assert_one_error_line(stderr: str, fragments: list[str]) -> None:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


def test_missing_api_key_names_the_env_var(project, monkeypatch):
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    before = snapshot(project)
    code, _, err = run_cli(project, ["search"], [*SMOKE, "models=frontier"])
    assert code == 2
    _assert_one_error_line(err, ["'o4-mini'", "OPENAI_API_KEY", "not set"])
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy")
    code, _, err = run_cli(project, ["search"], [*SMOKE, "models=frontier"])
    assert code == 2
    _assert_one_error_line(err, ["'gemini-2.5-pro'", "GEMINI_API_KEY", "not set"])
    assert snapshot(project) == before


def test_unknown_litellm_model_string(project):
    """A model string litellm cannot route is refused before any search (imports litellm: ~5 s)."""
    write_models(project, "bad", [{"name": "x", "model": "nosuchprovider/some-model"}])
    before = snapshot(project)
    code, _, err = run_cli(project, ["search"], [*SMOKE, "models=bad"])
    assert code == 2
    _assert_one_error_line(err, ["'x'", "nosuchprovider/some-model", "litellm does not know"])
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("override", "fragments"),
    [("search=no_such_search", ["no_such_search", "search"]), ("search.budgett=3", ["search.budgett"])],
)
def test_bad_hydra_override_in_a_real_process(project, override, fragments):
    """Overrides Hydra itself rejects: non-zero exit, the option named, no traceback, nothing written."""
    before = snapshot(project)
    done = run_pipeline(project, "search", *SMOKE, override, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert all(fragment in done.stderr for fragment in fragments), done.stderr
    assert snapshot(project) == before
