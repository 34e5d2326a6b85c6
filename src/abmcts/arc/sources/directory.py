"""A local folder of `<task_id>.json` files (`data.path`), the layout of the ARC-AGI GitHub repos."""

from __future__ import annotations

from abmcts.arc.datasource import DataSource, DataSpec
from abmcts.arc.loaders import Solutions, Tasks, from_directory


def _load(spec: DataSpec) -> tuple[Tasks, Solutions]:
    return from_directory(spec.require("path"))


SOURCE = DataSource(load=_load, version=lambda spec: f"directory:{spec.path}", required=("path",))
