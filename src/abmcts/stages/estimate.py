"""Preflight, run by hand: the configured run's expected and worst-case cost and wall time."""

from __future__ import annotations

from abmcts.experiment.estimate import estimate_stage
from abmcts.stages import Stage

STAGE = Stage(run=estimate_stage, entry_point="pipeline/estimate.py", dvc=False)
