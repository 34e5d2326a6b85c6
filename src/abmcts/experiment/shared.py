"""The paths every run of a checkout shares (the response and execution caches, a local sqlite
MLflow store), anchored at the DVC repository when a DVC stage runs.

`dvc queue start` runs each experiment in a temporary copy of the repository and sets DVC_ROOT to
the original one (DVC sets it for every stage). Relative shared paths anchored there make every
experiment, queued or in the workspace, read and grow the workspace's one cache and log to its one
MLflow store, instead of a throwaway copy's that is deleted with it. Outside DVC (plain runs, Hydra
multiruns) paths stay relative to where the run starts.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from abmcts.experiment.config import RootConfig

DVC_ROOT = "DVC_ROOT"
_SQLITE = "sqlite:///"


def anchor(path: str, root: Path) -> str:
    return path if Path(path).is_absolute() else str(root / path)


def anchor_uri(uri: str, root: Path) -> str:
    """A relative sqlite URI (`sqlite:///mlflow.db`) under `root`; any other URI unchanged."""
    if uri.startswith(_SQLITE) and not uri[len(_SQLITE) :].startswith("/"):
        return _SQLITE + anchor(uri[len(_SQLITE) :], root)
    return uri


def anchor_shared_paths(cfg: RootConfig) -> RootConfig:
    """`cfg` with its shared paths under $DVC_ROOT (unchanged when DVC_ROOT is not set)."""
    value = os.environ.get(DVC_ROOT)
    if not value:
        return cfg
    root = Path(value)
    cache = dataclasses.replace(
        cfg.cache, path=anchor(cfg.cache.path, root), executions_path=anchor(cfg.cache.executions_path, root)
    )
    tracking = dataclasses.replace(cfg.tracking, uri=anchor_uri(cfg.tracking.uri, root))
    return dataclasses.replace(cfg, cache=cache, tracking=tracking)
