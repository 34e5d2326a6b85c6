"""The learned ranker's model: a logistic model over candidate features in a versioned JSON artifact.

The artifact (`ranker_v1.json` beside this module) is written by `abmcts.select.train_ranker` from
ARC-AGI-1 training trees only; it records its feature names, version, the training data and the
SHA-256 of the training set, so a score on another split is never a score on its own training data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from abmcts.errors import ConfigError
from abmcts.select.candidates import FEATURES, Candidate

ARTIFACT_DIR = Path(__file__).resolve().parent
DEFAULT_ARTIFACT = "ranker_v1.json"
ARTIFACT_VERSION = 1


@dataclass(frozen=True)
class LinearModel:
    """Standardised features -> logit. `mean`/`scale` come from the training set."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def logit(self, values: list[float]) -> float:
        z = ((v - m) / s for v, m, s in zip(values, self.mean, self.scale, strict=True))
        return self.bias + sum(w * x for w, x in zip(self.weights, z, strict=True))

    def score(self, c: Candidate) -> float:
        return self.logit([c.features[name] for name in self.features])

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
        }


def artifact_path(name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() or path.parent != Path(".") else ARTIFACT_DIR / name


@cache
def _read(name: str) -> dict[str, Any]:
    path = artifact_path(name)
    where = f"selection.params.artifact {path}"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot read ranker artifact ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != ARTIFACT_VERSION:
        raise ConfigError(f"{where}: not a version {ARTIFACT_VERSION} ranker artifact")
    return data


def training_task_ids(name: str) -> frozenset[str]:
    """The task ids the artifact's model was fitted on (empty if it does not say)."""
    return frozenset((_read(name).get("training") or {}).get("task_ids") or ())


def training_slack(name: str) -> float:
    """The reward slack of the candidate sets the model was fitted on (0: best-reward tier only)."""
    return float((_read(name).get("training") or {}).get("reward_slack") or 0.0)


@cache
def load_model(name: str) -> LinearModel:
    """The artifact's model; a missing, foreign or stale file is one ConfigError naming it."""
    where = f"selection.params.artifact {artifact_path(name)}"
    model = _read(name).get("model") or {}
    unknown = [f for f in model.get("features", []) if f not in FEATURES]
    if unknown:
        raise ConfigError(f"{where}: unknown feature {unknown[0]!r} (this code computes {list(FEATURES)})")
    try:
        lm = LinearModel(
            tuple(model["features"]),
            tuple(float(v) for v in model["mean"]),
            tuple(float(v) for v in model["scale"]),
            tuple(float(v) for v in model["weights"]),
            float(model["bias"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: malformed model ({exc!r})") from None
    n = len(lm.features)
    if not (len(lm.mean) == len(lm.scale) == len(lm.weights) == n) or not all(
        math.isfinite(v) and s > 0 for v, s in zip(lm.weights, lm.scale, strict=True)
    ):
        raise ConfigError(f"{where}: malformed model (lengths or values)")
    return lm
