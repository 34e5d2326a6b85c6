"""Turn a composed Hydra/OmegaConf config into a validated RootConfig, failing fast and clearly."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from abmcts.errors import ConfigError
from abmcts.experiment.config import CHOICES, RootConfig


def validate_config(cfg: DictConfig | dict[str, Any]) -> RootConfig:
    """Merge `cfg` into the schema: unknown keys, wrong types and bad choices raise ConfigError."""
    schema = OmegaConf.structured(RootConfig)
    raw = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(cfg)
    raw = OmegaConf.masked_copy(raw, [k for k in raw if k != "hydra"]) if "hydra" in raw else raw
    try:
        merged = OmegaConf.merge(schema, raw)
        root: RootConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    except OmegaConfBaseException as exc:
        raise ConfigError(_one_line(exc)) from None
    for dotted, allowed in CHOICES.items():
        value = OmegaConf.select(OmegaConf.structured(root), dotted)
        if value not in allowed:
            raise ConfigError(f"config {dotted}={value!r}: must be one of {', '.join(allowed)}")
    _check_ranges(root)
    return root


def _check_ranges(root: RootConfig) -> None:
    checks = [
        ("search.budget", root.search.budget, root.search.budget >= 1),
        ("search.batch_size", root.search.batch_size, root.search.batch_size >= 1),
        ("search.checkpoint_every", root.search.checkpoint_every, root.search.checkpoint_every >= 1),
        ("search.checkpoint_min_s", root.search.checkpoint_min_s, root.search.checkpoint_min_s >= 0),
        ("executor.n_jobs", root.executor.n_jobs, root.executor.n_jobs != 0),
        ("executor.sandbox_workers", root.executor.sandbox_workers, root.executor.sandbox_workers >= 1),
        ("executor.timeout_s", root.executor.timeout_s, root.executor.timeout_s > 0),
        (
            "executor.tasks_in_flight",
            root.executor.tasks_in_flight,
            _at_least(root.executor.tasks_in_flight, 1),
        ),
        ("run.max_cost_usd", root.run.max_cost_usd, _at_least(root.run.max_cost_usd, 0)),
        ("search.max_cost_usd", root.search.max_cost_usd, _at_least(root.search.max_cost_usd, 0)),
        ("data.offset", root.data.offset, root.data.offset >= 0),
        ("data.limit", root.data.limit, root.data.limit is None or root.data.limit >= 1),
        ("models.specs", len(root.models.specs), len(root.models.specs) >= 1),
    ]
    for name, value, ok in checks:
        if not ok:
            raise ConfigError(f"config {name}={value!r}: out of range")
    names = [m.name for m in root.models.specs]
    if len(set(names)) != len(names):
        raise ConfigError(f"config models.specs: duplicate model names {names}")


def _at_least(value: float | None, minimum: float) -> bool:
    """An optional setting: unset, or a number >= minimum (a NaN is neither)."""
    return value is None or value >= minimum


def _one_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    keep = [line for line in lines if not line.startswith(("object_type", "full_key:"))]
    full_key = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("full_key:")), "")
    head = keep[0] if keep else type(exc).__name__
    return f"config {full_key}: {head}" if full_key else f"config: {head}"
