"""Is a test output plausible for this task? Checks learned from the demonstrations alone.

Each check infers a relation every demonstration obeys (output size vs input size, which colours
an output may use, whether outputs are mirror-symmetric, whether an output ever equals its input)
and asks whether a candidate's test output obeys it too. A relation the demonstrations do not
agree on is unknown and never counts against a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Demos = list[tuple[np.ndarray, np.ndarray]]
CHECKS = ("shape", "palette", "symmetry", "not_identity", "not_blank")


def _palette(g: np.ndarray) -> set[int]:
    return set(np.flatnonzero(np.bincount(g.ravel(), minlength=10)).tolist())


def _symmetries(g: np.ndarray) -> set[str]:
    found = set()
    if np.array_equal(g, g[::-1]):
        found.add("rows")
    if np.array_equal(g, g[:, ::-1]):
        found.add("cols")
    if g.shape[0] == g.shape[1] and np.array_equal(g, g.T):
        found.add("diag")
    return found


@dataclass(frozen=True)
class Relations:
    """What all demonstrations agree on (None = they do not agree, so no check)."""

    same_shape: bool
    fixed_shape: tuple[int, int] | None
    ratio: tuple[float, float] | None
    new_colors: frozenset[int] | None  # colours outputs add beyond their input's (None: outputs drop inputs)
    symmetries: frozenset[str]
    identity_seen: bool
    multi_color: bool

    @classmethod
    def of(cls, demos: Demos) -> Relations:
        shapes = [(i.shape, o.shape) for i, o in demos]
        same = all(i == o for i, o in shapes)
        outs = {o for _, o in shapes}
        fixed = next(iter(outs)) if len(outs) == 1 and len(demos) > 1 else None
        ratios = {(o[0] / i[0], o[1] / i[1]) for i, o in shapes}
        new = frozenset().union(*(_palette(o) - _palette(i) for i, o in demos))
        syms = (
            frozenset.intersection(*(frozenset(_symmetries(o)) for _, o in demos)) if demos else frozenset()
        )
        return cls(
            same_shape=same,
            fixed_shape=fixed,
            ratio=next(iter(ratios)) if len(ratios) == 1 else None,
            new_colors=new if demos else None,
            symmetries=syms,
            identity_seen=any(i.shape == o.shape and np.array_equal(i, o) for i, o in demos),
            multi_color=all(len(_palette(o)) > 1 for _, o in demos),
        )


def check_output(rel: Relations, test_input: np.ndarray, output: np.ndarray) -> dict[str, bool]:
    """Each named check for one test output (True = plausible or unknown)."""
    if rel.same_shape:
        shape_ok = output.shape == test_input.shape
    elif rel.fixed_shape is not None:
        shape_ok = output.shape == rel.fixed_shape
    elif rel.ratio is not None:
        want = (round(test_input.shape[0] * rel.ratio[0]), round(test_input.shape[1] * rel.ratio[1]))
        shape_ok = output.shape == want
    else:
        shape_ok = True
    colors = _palette(output)
    palette_ok = rel.new_colors is None or colors <= _palette(test_input) | rel.new_colors
    identity = output.shape == test_input.shape and np.array_equal(output, test_input)
    return {
        "shape": bool(shape_ok),
        "palette": bool(palette_ok),
        "symmetry": rel.symmetries <= _symmetries(output),
        "not_identity": rel.identity_seen or not identity,
        "not_blank": not rel.multi_color or len(colors) > 1,
    }


def plausibility(rel: Relations, test_inputs: list[np.ndarray], outputs: list) -> dict[str, float]:
    """Per check, the share of test inputs whose output passes (a missing output fails every check)."""
    totals = dict.fromkeys(CHECKS, 0.0)
    for grid_in, out in zip(test_inputs, outputs, strict=False):
        if out is None:
            continue
        for name, ok in check_output(rel, grid_in, np.array(out)).items():
            totals[name] += ok
    n = max(len(test_inputs), 1)
    return {name: total / n for name, total in totals.items()}
