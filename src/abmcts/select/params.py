"""Strategy parameters: each strategy declares a frozen dataclass; YAML `params:` is checked against it."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from abmcts.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class NoParams:
    """For strategies without parameters: any key in `params:` is an error."""


def parse_params(cls: type, data: Mapping[str, Any] | None, where: str) -> Any:
    """An instance of `cls` from `data`; an unknown key or a value of the wrong type is a ConfigError."""
    data = dict(data or {})
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise ConfigError(f"{where}.{unknown[0]}: unknown parameter (known: {known})")
    for name, value in data.items():
        if not _fits(hints[name], value):
            raise ConfigError(f"{where}.{name}: bad value {value!r} (want {_type_name(hints[name])})")
    try:
        return cls(**data)
    except ValueError as exc:  # __post_init__ range checks
        raise ConfigError(f"{where}: {exc}") from None


def _fits(hint: Any, value: Any) -> bool:
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is bool:
        return isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(arg, value) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    return isinstance(value, origin or hint)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))
