"""Where a run came from (git commit, config fingerprint, package versions, data version), as tags.

Issue 11's `abmcts.experiment.provenance.run_provenance(cfg)` is the one definition; until it is
on this branch, `_fallback` computes the same keys so the tags exist either way.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict
from importlib import metadata
from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths

PACKAGES = ("abmcts", "numpy", "litellm", "mlflow", "hydra-core")
GIT_TAG = "mlflow.source.git.commit"  # MLflow's own tag: the UI shows it as the run's source version


def run_provenance(cfg: RootConfig) -> dict[str, Any]:
    """`fingerprint`, `git_commit`, `packages` {name: version}, `data_version`."""
    try:
        from abmcts.experiment.provenance import run_provenance as provided
    except ImportError:
        return _fallback(cfg)
    return provided(cfg)


def provenance_tags(cfg: RootConfig) -> dict[str, str]:
    info = run_provenance(cfg)
    tags = {
        "abmcts.fingerprint": str(info.get("fingerprint") or ""),
        "abmcts.data_version": str(info.get("data_version") or ""),
        "abmcts.packages": json.dumps(info.get("packages") or {}, sort_keys=True),
    }
    if info.get("git_commit"):
        tags[GIT_TAG] = str(info["git_commit"])
    return tags


def _fallback(cfg: RootConfig) -> dict[str, Any]:
    config = asdict(cfg)
    config.pop("tracking", None)
    tasks = RunPaths.of(cfg).tasks
    return {
        "fingerprint": hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[
            :16
        ],
        "git_commit": _git_commit(),
        "packages": {name: _version(name) for name in PACKAGES},
        "data_version": hashlib.sha256(tasks.read_bytes()).hexdigest()[:16] if tasks.exists() else None,
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
