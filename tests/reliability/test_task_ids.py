"""Task ids become file names (trees, submissions, tree pages): a hostile id from any data source
is refused when the data is loaded, with one error line naming the id and the file, and nothing
is written outside the project (no tree beside or above the run directory, no markup file name)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest

from rel_helpers import SMOKE, run_cli, snapshot

GOOD = {"train": [{"input": [[1, 2]], "output": [[2, 1]]}], "test": [{"input": [[3, 4]], "output": [[4, 3]]}]}
HOSTILE = ["../../../../escape", "<img src=x onerror=alert(1)>", ".hidden", "a..b", "", "x" * 129]


@contextlib.contextmanager
def serve(folder: Path):
    """A loopback HTTP server for `folder`."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _one_error(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


def _outside_writes(tmp: Path, project: Path, before: set[Path]) -> list[Path]:
    """Files that appeared under the test's tmp dir but outside the project."""
    return [p for p in tmp.rglob("*") if p.is_file() and project not in p.parents and p not in before]


@pytest.mark.parametrize("bad_id", ["../../../../escape", "<img src=x onerror=alert(1)>"])
def test_url_source_refuses_a_hostile_task_id(project, tmp_path, bad_id):
    """The issue's attack: a sha256-pinned URL file whose task id climbs out of the run directory."""
    site = tmp_path / "site"
    site.mkdir()
    data = json.dumps({"good1": GOOD, bad_id: GOOD}).encode()
    (site / "tasks.json").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    before_outside = {p for p in tmp_path.rglob("*") if p.is_file()}
    with serve(site) as url:
        args = [*SMOKE, "data=url", f"data.url={url}/tasks.json", f"data.sha256={sha}"]
        code, _, err = run_cli(project, ["fetch", "search"], args)
    assert code == 2
    line = _one_error(err)
    assert repr(bad_id) in line and "data/url/download/tasks.json" in line and url in line, line
    assert not (project / "data/url/tasks.json").exists()  # fetch wrote no task list
    assert not (project / "runs" / SMOKE_RUN_URL).exists()
    assert _outside_writes(tmp_path, project, before_outside) == []
    assert not [p for p in tmp_path.rglob("*escape*")] and not [p for p in tmp_path.rglob("*<img*")]


SMOKE_RUN_URL = "url-ab_mcts_a-offline-b6-s0"


@pytest.mark.parametrize("bad_id", HOSTILE)
def test_edited_tasks_file_refuses_a_hostile_task_id(project, bad_id):
    """A hand-edited `tasks.json` is loaded by the same check (search stage)."""
    path = project / "data/arc1_training/tasks.json"
    tasks = json.loads(path.read_text())
    tasks[bad_id] = GOOD
    path.write_text(json.dumps(tasks))
    before = snapshot(project)
    code, _, err = run_cli(project, ["search"], [*SMOKE, "data.limit=null"])
    assert code == 2
    line = _one_error(err)
    assert repr(bad_id) in line and "tasks.json" in line, line
    assert snapshot(project) == before


def test_directory_source_refuses_a_markup_file_name(project):
    folder = project / "incoming"
    folder.mkdir()
    (folder / "good1.json").write_text(json.dumps(GOOD))
    (folder / "<img src=x onerror=alert(1)>.json").write_text(json.dumps(GOOD))
    before = snapshot(project)
    code, _, err = run_cli(project, ["fetch"], [*SMOKE, "data=directory", f"data.path={folder}"])
    assert code == 2
    line = _one_error(err)
    assert "'<img src=x onerror=alert(1)>'" in line and "incoming" in line, line
    assert snapshot(project) == before


def test_solutions_file_ids_are_checked(tmp_path):
    from abmcts.arc.loaders import load_solutions
    from abmcts.arc.task import TaskError

    path = tmp_path / "solutions.json"
    path.write_text(json.dumps({"../x": [[[1]]]}))
    with pytest.raises(TaskError, match=r"solutions.json: task id '\.\./x' is not allowed"):
        load_solutions(path)


def test_ordinary_ids_pass():
    from abmcts.arc.task import check_task_id

    for ok in ["007bbfb7", "13e47133", "task_1.v2", "A-b", "x" * 128]:
        assert check_task_id(ok, "src") == ok
