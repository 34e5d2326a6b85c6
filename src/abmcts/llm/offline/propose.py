"""Enumerate candidate pipelines with parameters inferred from the demonstrations, and score them.

Everything here reads only demonstration pairs (inputs + outputs) parsed from the prompt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np

from abmcts.llm.offline import ops
from abmcts.llm.offline.program import Candidate, Step, run_steps

Demos = list[tuple[np.ndarray, np.ndarray]]
ALL_DIRS = ((1, 0), (-1, 0), (0, 1), (0, -1))
DIAG_DIRS = ((1, 1), (1, -1), (-1, 1), (-1, -1))
OBJECT_SELECTS = (
    "largest",
    "smallest",
    "bbox_largest",
    "most_colors",
    "top_left",
    "bottom_right",
    "densest",
    "sparsest",
    "unique_color",
    "common_color",
    "unique_shape",
)
ATTRS = (
    "size",
    "rank_desc",
    "rank_asc",
    "border",
    "shape",
    "height",
    "width",
    "is_rect",
    "holes",
    "same_shape_count",
)


def fit_color_map(preds: list[np.ndarray], outs: list[np.ndarray]) -> dict[int, int] | None:
    """Cell-wise colour map turning every prediction into its expected output, if one exists."""
    mapping: dict[int, int] = {}
    for p, o in zip(preds, outs, strict=True):
        if p.shape != o.shape:
            return None
        for a in np.unique(p):
            vals = np.unique(o[p == a])
            if len(vals) != 1 or mapping.setdefault(int(a), int(vals[0])) != int(vals[0]):
                return None
    return {a: b for a, b in mapping.items() if a != b}


def _ratio(demos: Demos, axis: int) -> tuple[int, int] | None:
    """(num, den) such that out = in * num / den on this axis for every demo, if integral."""
    rs = {(o.shape[axis], i.shape[axis]) for i, o in demos}
    fr = {(a / b) for a, b in rs}
    if len(fr) != 1:
        return None
    f = fr.pop()
    if f >= 1 and float(f).is_integer():
        return int(f), 1
    if f < 1 and float(1 / f).is_integer():
        return 1, int(round(1 / f))
    return None


def _colors(grids) -> set[int]:
    out: set[int] = set()
    for g in grids:
        out |= {int(v) for v in np.unique(g)}
    return out


def _generate(demos: Demos, bg: int) -> Iterator[tuple[str, tuple[Step, ...]]]:
    ins = [i for i, _ in demos]
    outs = [o for _, o in demos]
    same = all(i.shape == o.shape for i, o in demos)
    in_colors, out_colors = _colors(ins), _colors(outs)
    new_colors = sorted(out_colors - in_colors) or sorted(out_colors)
    gone_colors = sorted(in_colors - out_colors)
    ry, rx = _ratio(demos, 0), _ratio(demos, 1)

    yield "color", ()
    for k in range(1, 8):
        yield "geom", (("geom", {"k": k}),)
    for kind in ("h", "h2", "v", "v2", "quad", "quad2"):
        yield "symmetry", (("mirror_concat", {"kind": kind}),)
    if same:
        for d in range(4):
            yield "geom", (("gravity", {"bg": bg, "direction": d}),)
        for c in new_colors:
            yield "color", (("fill_enclosed", {"bg": bg, "color": c}),)
            yield "color", (("outline", {"bg": bg, "color": c}),)
        for m in gone_colors or sorted(in_colors - {bg}):
            for kinds in (("lr",), ("ud",), ("lr", "ud"), ("lr", "ud", "tr", "atr"), ("rot",), ("tr",)):
                yield "symmetry", (("symmetrize", {"mask": m, "kinds": kinds}),)
        for axes in (("h",), ("v",), ("h", "v")):
            yield "lines", (("connect_same", {"bg": bg, "axes": axes}),)
        for dirs in [(d,) for d in ALL_DIRS] + [
            ALL_DIRS,
            DIAG_DIRS,
            ALL_DIRS + DIAG_DIRS,
            ALL_DIRS[:2],
            ALL_DIRS[2:],
        ]:
            for stop in (False, True):
                yield "lines", (("rays", {"bg": bg, "dirs": dirs, "stop": stop}),)
        for size in (1, 2, 3):
            for diag in (False, True):
                yield "denoise", (("remove_small", {"bg": bg, "diag": diag, "size": size}),)
        for c in sorted(in_colors - {bg}):
            yield "color", (("keep_color", {"color": c, "bg": bg}),)
    else:
        yield "object", (("crop_content", {"bg": bg}),)
        for multi in (False, True):
            for diag in (False, True):
                for sel in OBJECT_SELECTS:
                    for only in (False, True):
                        yield (
                            "object",
                            (
                                (
                                    "crop_object",
                                    {"bg": bg, "diag": diag, "multi": multi, "select": sel, "only": only},
                                ),
                            ),
                        )
        for sel in ("most", "least", "unique"):
            yield "object", (("select_cell", {"select": sel}),)
        for m in sorted(in_colors):
            for kinds in (("lr",), ("ud",), ("lr", "ud"), ("lr", "ud", "tr", "atr"), ("rot",)):
                yield "symmetry", (("symmetry_patch", {"mask": m, "kinds": kinds}),)
        for axis in (0, 1):
            for op in ("and", "or", "xor", "nor", "andnot"):
                yield "logic", (("logic_halves", {"axis": axis, "op": op, "color": new_colors[0], "bg": bg}),)
            for first in (True, False):
                yield "logic", (("overlay_halves", {"axis": axis, "first": first}),)
        yield "count", (("most_common_color_fill", {"bg": bg}),)
    if ry and rx and (ry != (1, 1) or rx != (1, 1)):
        (a, da), (b, db) = ry, rx
        if da == 1 and db == 1:
            yield "scale", (("upscale", {"a": a, "b": b}),)
            for mode in range(4):
                yield "scale", (("tile", {"a": a, "b": b, "mode": mode}),)
        if a == 1 and b == 1:
            for how in ("first", "majority", "max"):
                yield "scale", (("downscale", {"a": da, "b": db, "mode": how}),)
    if all(o.shape == (i.shape[0] ** 2, i.shape[1] ** 2) for i, o in demos):
        for invert in (False, True):
            yield "scale", (("kron_self", {"bg": bg, "invert": invert}),)


def _learn_recolor_by(demos: Demos, bg: int) -> Iterator[tuple[str, tuple[Step, ...]]]:
    """Per-object recolouring tables learned from the demos (same-shape tasks only)."""
    if not all(i.shape == o.shape for i, o in demos):
        return
    for diag in (False, True):
        objs = [ops.components(i, bg, diag, False) for i, _ in demos]
        for attr in ATTRS:
            table: dict = {}
            ok = True
            for (i, o), cells_list in zip(demos, objs, strict=True):
                for cells in cells_list:
                    vals = {int(o[p]) for p in cells}
                    key = ops.object_attr(i, cells, cells_list, bg, attr)
                    if len(vals) != 1 or table.setdefault(key, vals.pop()) != o[cells[0]]:
                        ok = False
                        break
                if not ok:
                    break
            if ok and table:
                yield "object", (("recolor_by", {"bg": bg, "diag": diag, "attr": attr, "table": table}),)


def _score(preds: list[np.ndarray | None], outs: list[np.ndarray]) -> tuple[float, float]:
    exact, cells = 0, 0.0
    for p, o in zip(preds, outs, strict=True):
        if p is not None and p.shape == o.shape:
            exact += bool((p == o).all())
            cells += float((p == o).mean())
    return exact / len(outs), cells / len(outs)


def background(demos: Demos) -> int:
    counts: Counter = Counter()
    for i, _ in demos:
        counts.update(i.ravel().tolist())
    return 0 if counts[0] * 4 >= counts.most_common(1)[0][1] else counts.most_common(1)[0][0]


def ideas_for(demos: Demos, bg: int) -> list[tuple[str, tuple[Step, ...]]]:
    """Every one-step idea (op + parameters inferred from these pairs), without the identity."""
    found = [(f, s) for f, s in _generate(demos, bg) if s]
    cmap = fit_color_map([i for i, _ in demos], [o for _, o in demos])
    if cmap:
        found.append(("color", (("recolor", {"mapping": cmap}),)))
    return found + list(_learn_recolor_by(demos, bg))


class Workspace:
    """One task's demonstrations and a memo of what each pipeline outputs on them.

    Models evaluate only the few pipelines they consider, so a call costs a handful of runs, and a
    pipeline is run at most once per task however often it is reconsidered.
    """

    def __init__(self, demos: Demos):
        self.demos = demos
        self.outs = [o for _, o in demos]
        self.bg = background(demos)
        self._ideas: list[tuple[str, tuple[Step, ...]]] | None = None
        self._preds: dict[str, list[np.ndarray | None]] = {}
        self.memo: dict[str, Any] = {}  # other per-task results (e.g. the fixes for one parent)

    def ideas(self) -> list[tuple[str, tuple[Step, ...]]]:
        if self._ideas is None:
            self._ideas = ideas_for(self.demos, self.bg)
        return self._ideas

    def preds(self, steps: tuple[Step, ...]) -> list[np.ndarray | None]:
        key = repr(steps)
        if key not in self._preds:
            self._preds[key] = self.after(steps, [i for i, _ in self.demos])
        return self._preds[key]

    @staticmethod
    def after(steps: tuple[Step, ...], grids: list[np.ndarray | None]) -> list[np.ndarray | None]:
        return [None if g is None else run_steps(steps, g) for g in grids]

    def candidate(self, family: str, steps: tuple[Step, ...]) -> Candidate:
        return Candidate(family, steps, *_score(self.preds(steps), self.outs))

    def extended(self, family: str, prefix: tuple[Step, ...], post: tuple[Step, ...]) -> Candidate:
        """`prefix` then `post`, running only `post` on the memoised outputs of `prefix`."""
        key = repr(prefix + post)
        if key not in self._preds:
            self._preds[key] = self.after(post, self.preds(prefix))
        return self.candidate(family, prefix + post)

    def scored(self, family: str, steps: tuple[Step, ...], preds: list[np.ndarray | None]) -> Candidate:
        return Candidate(family, steps, *_score(preds, self.outs))

    def fixes(self, cand: Candidate) -> list[Candidate]:
        """The obvious completions of a pipeline: a colour map or a re-orientation of its outputs."""
        preds = self.preds(cand.steps)
        grids = [p for p in preds if p is not None]
        if cand.score == 1.0 or len(grids) < len(preds):
            return []
        found = []
        cmap = fit_color_map(grids, self.outs)
        if cmap:
            found.append(Candidate(cand.family, cand.steps + (("recolor", {"mapping": cmap}),), 1.0, 1.0))
        shapes_fit = all(p.shape in (o.shape, o.shape[::-1]) for p, o in zip(grids, self.outs, strict=True))
        if shapes_fit and cand.steps[-1][0] != "geom":
            for k in range(1, 8):
                c = self.extended(cand.family, cand.steps, (("geom", {"k": k}),))
                if c.score > cand.score:
                    found.append(c)
        return found
