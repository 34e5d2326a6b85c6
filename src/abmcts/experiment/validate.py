"""Turn a composed Hydra/OmegaConf config into a validated RootConfig, failing fast and clearly.

Everything a stage will look up by name (search algorithm and its parameters, selection strategy,
offline models, data source) is checked here against the code's own registries, so a typo stops
the first stage before it does any work instead of failing a later one or a worker.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from abmcts.arc.datasource import data_source
from abmcts.errors import AbmctsError, ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.keys import did_you_mean, schema_keys
from abmcts.experiment.paths import data_spec
from abmcts.llm.backends import BackendContext, backend_of
from abmcts.search.algorithms import algorithm_class, make_algorithm
from abmcts.select.strategy import check_selection


def validate_config(cfg: DictConfig | dict[str, Any]) -> RootConfig:
    """Merge `cfg` into the schema; unknown keys, wrong types, bad choices and names raise ConfigError."""
    schema = OmegaConf.structured(RootConfig)
    raw = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(cfg)
    raw = OmegaConf.masked_copy(raw, [k for k in raw if k != "hydra"]) if "hydra" in raw else raw
    try:
        merged = OmegaConf.merge(schema, raw)
        root: RootConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    except OmegaConfBaseException as exc:
        raise ConfigError(_one_line(exc)) from None
    _check_choices(root, "")
    _check_finite(root, "")
    _check_ranges(root)
    _check_names(root)
    _check_data_source(root)
    _check_extras(root)
    return root


# The optional extra an executor backend needs, and a module that is there only when it is installed.
BACKEND_EXTRAS = {"dask": ("dask", "distributed"), "ray": ("ray", "ray")}


def _check_extras(root: RootConfig) -> None:
    backend = root.executor.backend
    if backend in BACKEND_EXTRAS:
        extra, module = BACKEND_EXTRAS[backend]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"config executor={backend}: needs the {extra!r} extra (pip install 'abmcts[{extra}]')"
            )


def _check_choices(node: Any, prefix: str) -> None:
    """Every field declared with `config.choice(...)` holds one of its values."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        allowed = f.metadata.get("choices")
        if allowed is not None and value not in allowed:
            raise ConfigError(f"config {prefix}{f.name}={value!r}: must be one of {', '.join(allowed)}")
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            _check_choices(value, f"{prefix}{f.name}.")


def _check_finite(node: Any, prefix: str) -> None:
    """No float setting may be inf or nan: each is a time, a price, a cap or a share, and an
    infinite one would crash later (sleep, JSON) instead of here. (Model specs check their own.)"""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"config {prefix}{f.name}={value!r}: must be a finite number")
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            _check_finite(value, f"{prefix}{f.name}.")


def _check_ranges(root: RootConfig) -> None:
    checks = [
        ("seed", root.seed, root.seed >= 0),
        ("search.budget", root.search.budget, root.search.budget >= 1),
        ("search.batch_size", root.search.batch_size, root.search.batch_size >= 1),
        ("search.checkpoint_every", root.search.checkpoint_every, root.search.checkpoint_every >= 1),
        ("search.checkpoint_min_s", root.search.checkpoint_min_s, root.search.checkpoint_min_s >= 0),
        ("executor.n_jobs", root.executor.n_jobs, root.executor.n_jobs != 0),
        ("sandbox.workers", root.sandbox.workers, root.sandbox.workers >= 1),
        ("sandbox.timeout_s", root.sandbox.timeout_s, root.sandbox.timeout_s > 0),
        ("sandbox.memory_mb", root.sandbox.memory_mb, root.sandbox.memory_mb >= 64),
        (
            "executor.tasks_in_flight",
            root.executor.tasks_in_flight,
            _at_least(root.executor.tasks_in_flight, 1),
        ),
        ("run.max_cost_usd", root.run.max_cost_usd, _at_least(root.run.max_cost_usd, 0)),
        ("run.max_calls", root.run.max_calls, _at_least(root.run.max_calls, 1)),
        ("search.max_cost_usd", root.search.max_cost_usd, _at_least(root.search.max_cost_usd, 0)),
        ("data.offset", root.data.offset, root.data.offset >= 0),
        ("data.limit", root.data.limit, root.data.limit is None or root.data.limit >= 1),
        ("models.specs", len(root.models.specs), len(root.models.specs) >= 1),
        ("tracking.trace_sample", root.tracking.trace_sample, 0.0 <= root.tracking.trace_sample <= 1.0),
        ("tracking.tree_views", root.tracking.tree_views, root.tracking.tree_views >= 0),
    ]
    for name, value, ok in checks:
        if not ok:
            raise ConfigError(f"config {name}={value!r}: out of range")
    names = [m.name for m in root.models.specs]
    if len(set(names)) != len(names):
        raise ConfigError(f"config models.specs: duplicate model names {names}")


def _check_names(root: RootConfig) -> None:
    """Names the stages resolve later, resolved now against the registries that will serve them."""
    search = root.search
    algorithm_class(search.algorithm)  # an unknown name: one line with the nearest
    try:
        make_algorithm(search.algorithm, seed=root.seed, **search.params)
    except (AbmctsError, ValueError, TypeError) as exc:
        raise ConfigError(f"config search.params={dict(search.params)!r}: {exc}") from None
    check_selection(root.selection)  # the strategy's name, params, ranker artifact, judge model
    problems = []  # every model's, so one rerun fixes all
    for i, spec in enumerate(root.models.specs):
        backend = backend_of(spec, f"models.specs[{i}].backend")
        problems += [
            f"config models.specs[{i}].model={spec.model!r}: {p}"
            for p in backend.check(spec, BackendContext())
        ]
    if problems:
        raise ConfigError("; ".join(problems))


def _check_data_source(root: RootConfig) -> None:
    """`data.source` names a source (built-in or a dotted module) and its required fields are set."""
    data_source(data_spec(root))


def _at_least(value: float | None, minimum: float) -> bool:
    """An optional setting: unset, or a number >= minimum (a NaN is neither)."""
    return value is None or value >= minimum


def _one_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    keep = [line for line in lines if not line.startswith(("object_type", "full_key:"))]
    full_key = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("full_key:")), "")
    head = keep[0] if keep else type(exc).__name__
    if full_key and head.startswith("Key ") and " not in " in head:  # a misspelt key: name the nearest
        head += did_you_mean(full_key, schema_keys())
    return f"config {full_key}: {head}" if full_key else f"config: {head}"
