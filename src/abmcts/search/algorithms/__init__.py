"""Search algorithms by name: `search.algorithm: foo` is the module `abmcts.search.algorithms.foo`, whose
`ALGORITHM` is the class, and a dotted name (`mypackage.toy`) is a user's own module.

So adding an algorithm is one module here (holding the class, or naming one kept elsewhere) plus
`conf/search/<name>.yaml`, with no list to edit. The built-in modules only name classes kept in
TreeQuest's module layout one level up; their names are recorded in every tree's settings, so they
never change.
"""

from __future__ import annotations

from typing import Any

from abmcts.errors import ConfigError
from abmcts.registry import Registry
from abmcts.search.base import Algorithm
from abmcts.search.errors import SearchInputError

REGISTRY: Registry[type[Algorithm]] = Registry("search algorithm", __name__, "ALGORITHM")


def algorithm_class(name: str) -> type[Algorithm]:
    """The class `name` stands for; one ConfigError line (with the nearest name) if there is none.

    Its `name` must be the config name, so a tree's settings and its search state name one algorithm
    (a subclass that forgot to set it would otherwise record its parent's).
    """
    cls = REGISTRY.get(name, "search.algorithm")
    where = f"config search.algorithm={name}: {REGISTRY.module_name(name)}.ALGORITHM"
    if not (isinstance(cls, type) and issubclass(cls, Algorithm)):
        raise ConfigError(f"{where} is {cls!r}, not a subclass of abmcts.search.Algorithm")
    if getattr(cls, "name", None) != name:
        raise ConfigError(f"{where}.name is {getattr(cls, 'name', None)!r}, not {name!r}")
    return cls


def make_algorithm(name: str, **kwargs: Any) -> Algorithm:
    """Build an algorithm by its config name (``ab_mcts_a``, ``ab_mcts_m``, ``repeated_sampling``, ...);
    a bad name or argument is a SearchInputError, as every misuse of the search API is."""
    try:
        cls = algorithm_class(name)
    except ConfigError as exc:
        raise SearchInputError(str(exc)) from None
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise SearchInputError(f"search algorithm {name!r}: bad arguments {sorted(kwargs)}: {e}") from None


def builtin_algorithms() -> dict[str, type[Algorithm]]:
    """Every algorithm of this package by name (users' dotted names are found on use, not listed)."""
    return {name: algorithm_class(name) for name in REGISTRY.names()}
