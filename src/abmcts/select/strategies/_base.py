"""Strategies built on another strategy (`params.base`): which one, and the params it runs with."""

from __future__ import annotations

import dataclasses
from typing import Any

from abmcts.select.params import parse_params
from abmcts.select.strategy import STRATEGIES, StrategyDef, get_strategy


def base_of(p: Any) -> tuple[StrategyDef, Any]:
    """The strategy `p.base` names and its params: its defaults, with `p.artifact` passed on when the
    base takes an artifact (the learned ranker's, directly or through its own base)."""
    base = get_strategy(p.base, "selection.params.base")
    takes_artifact = "artifact" in {f.name for f in dataclasses.fields(base.params)}
    return base, parse_params(
        base.params, {"artifact": p.artifact} if takes_artifact else None, "selection.params"
    )


def base_artifact(p: Any) -> str | None:
    """The ranker artifact the base reads (a wrapper reads what its base reads)."""
    base, params = base_of(p)
    return base.artifact(params)


def scoring_strategies() -> list[str]:
    """Built-in strategies that score candidates, so another can build on their scores."""
    return [name for name, definition in STRATEGIES.items() if definition.scorer is not None]
