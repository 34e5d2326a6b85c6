"""A download checked against its sha256 (`data.url`, `data.sha256`): a JSON mapping of tasks, or an
archive of task files (`data.path` names their folder inside it, else the one folder or the split's)."""

from __future__ import annotations

from pathlib import Path

from abmcts.arc.datasource import DataSource, DataSpec
from abmcts.arc.loaders import Solutions, Tasks, from_download


def _load(spec: DataSpec) -> tuple[Tasks, Solutions]:
    url, sha256 = spec.require("url"), spec.require("sha256")
    return from_download(url, sha256, spec.folder / "download", subdir=spec.path, split=spec.split)


def _location(spec: DataSpec, tasks_file: Path) -> str:
    return spec.require("url")


SOURCE = DataSource(
    load=_load,
    version=lambda spec: f"url:{spec.sha256}",
    required=("url", "sha256"),
    location=_location,
)
