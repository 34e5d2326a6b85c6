"""Programs as pipelines of `ops` steps: running them in-process and emitting self-contained source."""

from __future__ import annotations

import ast
import inspect
import types
from dataclasses import dataclass
from functools import cache

import numpy as np

from abmcts.llm.offline import ops

Step = tuple[str, dict]
SPEC_PREFIX = "# program: "
PREVIOUS = "# previous program"


@dataclass(frozen=True)
class Candidate:
    """One proposed pipeline, its family (for model biases) and how it did on the demonstrations."""

    family: str
    steps: tuple[Step, ...]
    score: float
    partial: float


def _is_grid(g) -> bool:
    return g.ndim == 2 and 1 <= g.shape[0] <= 30 and 1 <= g.shape[1] <= 30


def run_steps(steps: tuple[Step, ...], grid: np.ndarray) -> np.ndarray | None:
    """Apply the pipeline; None if it fails or any step yields something that is not an ARC grid.

    Checking every step (not only the last) keeps stacked size changes from blowing up memory.
    """
    g = grid
    try:
        for name, kw in steps:
            g = getattr(ops, name)(g, **kw)
            if g is None:
                return None
            g = np.asarray(g)
            if not _is_grid(g):
                return None
    except Exception:  # a proposal failing on a demonstration is an expected outcome
        return None
    return np.asarray(g)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


@cache
def _closure(name: str) -> tuple[str, ...]:
    """`name` and every ops function it calls, in a stable order."""
    out, todo = [], [name]
    while todo:
        n = todo.pop()
        if n in out:
            continue
        out.append(n)
        fn = getattr(ops, n)
        todo += sorted(m for m in _names(fn.__code__) if inspect.isfunction(getattr(ops, m, None)))
    return tuple(sorted(out))


@cache
def _source(name: str) -> str:
    return inspect.getsource(getattr(ops, name)).strip("\n")


def _py(value):
    """Plain Python literals (numpy scalars would not survive repr/literal_eval)."""
    if isinstance(value, dict):
        return {_py(k): _py(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_py(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def emit(steps: tuple[Step, ...], base_code: str | None = None) -> str:
    """Source defining `transform`; with `base_code`, the steps post-process that program's output."""
    steps = tuple((n, _py(kw)) for n, kw in steps)
    needed = sorted({f for n, _ in steps for f in _closure(n)})
    lines = []
    if base_code is not None:  # a fresh name per level, so post-processing can be stacked
        prev = f"_previous_transform_{base_code.count(PREVIOUS)}"
        lines += [base_code.rstrip("\n"), "", f"{prev} = transform  {PREVIOUS}", ""]
    lines += ["import numpy as np", ""]
    for n in needed:
        lines += [_source(n), ""]
    lines += [
        "",
        SPEC_PREFIX + repr(list(steps)) if base_code is None else "# post-processing of the previous program",
    ]
    lines += ["def transform(grid):"]
    src = f"{prev}(grid)" if base_code is not None else "grid"
    lines += [f"    g = np.array({src}, dtype=int)"]
    for n, kw in steps:
        args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
        lines += [f"    g = {n}(g{', ' + args if args else ''})"]
    lines += ["    return np.asarray(g).tolist()", ""]
    return "\n".join(lines)


def parse_spec(code: str) -> tuple[Step, ...] | None:
    """The pipeline an offline model wrote into its own program, or None for foreign code."""
    for line in code.splitlines():
        if line.startswith(SPEC_PREFIX):
            try:
                steps = ast.literal_eval(line[len(SPEC_PREFIX) :])
                return tuple((str(n), dict(kw)) for n, kw in steps)
            except (ValueError, SyntaxError, TypeError):
                return None
    return None
