"""Which dotted config keys exist, and the nearest one to a typo (did-you-mean).

The schema is `RootConfig`: a key is known when it walks through its dataclass fields; anything
below a free-form mapping (`search.params`, `selection.params`, `selection.judge`) or a list
(`models.specs`) is the owner's to check (`validate_config` does).
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from abmcts.experiment.config import RootConfig


@cache
def _schema() -> dict[str, bool]:
    """Every dotted key of the schema -> True when anything may follow below it."""
    keys: dict[str, bool] = {}

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            key, hint = f"{prefix}{f.name}", hints[f.name]
            if isinstance(hint, type) and dataclasses.is_dataclass(hint):
                keys[key] = False
                walk(hint, f"{key}.")
            else:
                keys[key] = typing.get_origin(hint) is not None or hint is Any  # dict, list, X | None

    walk(RootConfig, "")
    return keys


def is_known(key: str) -> bool:
    parts = key.split(".")
    schema = _schema()
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in schema:
            return i == len(parts) or schema[head]
    return False


def schema_keys() -> list[str]:
    return list(_schema())


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the nearest of `candidates`, else an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
