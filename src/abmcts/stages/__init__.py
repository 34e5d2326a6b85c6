"""The pipeline's stages, one module each, found by name through the stage registry.

A stage is a function of the validated config that returns its summary; `<name>.py` here holds it as
`STAGE`. `abmcts.cli` runs stages by name and `abmcts.dvcdeps` reads the same registry to keep
dvc.yaml's code deps exact, so a new stage is its module, its entry point in `pipeline/` and its
entry in dvc.yaml. Stages know nothing of MLflow: the search stage takes a `monitor` and the score
stage a `report` hook, which `abmcts.tracking` fills when tracking is on. Each stage module imports
only what its own work needs, since those imports are its DVC deps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from abmcts.registry import Registry


@dataclass(frozen=True)
class Stage:
    """`run(cfg, **hooks)` and the Hydra entry point that runs the stage alone. `dvc`: a stage of
    dvc.yaml (the ranker's training and the cost estimate are run by hand). `warm_up(cfg)`: slow
    preparation started as soon as the config is valid (it must not fail the run; the stage checks)."""

    run: Callable[..., dict[str, Any]]
    entry_point: str
    dvc: bool = True
    warm_up: Callable[[Any], None] | None = None  # started on the validated config before any stage runs


STAGES: Registry[Stage] = Registry("pipeline stage", "abmcts.stages", "STAGE")
