"""Refinement edits: the changes an offline model considers when shown a parent program and its feedback.

The feedback (the parent's outputs beside the expected ones) drives the edits: the pairs (parent
output, expected output) are a task of their own, and the one-step ideas that fit it are the
candidate fixes to append. A wrong output shape favours replacing steps; right shapes with wrong
cells favour appending a fix (colour map, fill, lines, ...). Own programs (with a `# program:` spec)
are edited step by step; foreign programs are post-processed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from abmcts.llm.offline.program import Candidate, Step
from abmcts.llm.offline.propose import Workspace, fit_color_map, ideas_for

# How much each kind of edit is considered, by what the feedback shows.
KIND_WEIGHTS = {
    "shape": {"append": 1.0, "replace_last": 1.0, "replace_head": 1.0, "restart": 1.0, "drop_last": 1.0},
    "cells": {"append": 2.0, "replace_last": 1.0, "replace_head": 0.3, "restart": 0.3, "drop_last": 1.0},
}


@dataclass(frozen=True)
class Edit:
    """A refined program: `cand.steps` alone, or post-processing `base_code` when that is set."""

    cand: Candidate
    base_code: str | None
    kind: str


def diagnosis(preds: list[np.ndarray | None], outs: list[np.ndarray]) -> str:
    """'shape' if some output has the wrong size (or failed), else 'cells'."""
    bad = any(p is None or p.shape != o.shape for p, o in zip(preds, outs, strict=True))
    return "shape" if bad else "cells"


def _residual(ws: Workspace, preds: list[np.ndarray | None]) -> list[tuple[str, tuple[Step, ...]]]:
    """One-step ideas turning the parent's outputs into the expected ones (memoised per parent)."""
    key = "residual:" + repr([None if p is None else (p.shape, p.tobytes()) for p in preds])
    if key not in ws.memo:
        pairs = [(p, o) for p, o in zip(preds, ws.outs, strict=True) if p is not None]
        ws.memo[key] = ideas_for(pairs, ws.bg) if pairs else []
    return ws.memo[key]


def color_fix(preds: list[np.ndarray | None], outs: list[np.ndarray]) -> tuple[Step, ...] | None:
    if any(p is None for p in preds):
        return None
    cmap = fit_color_map(preds, outs)  # type: ignore[arg-type]
    return (("recolor", {"mapping": cmap}),) if cmap else None


def edits(
    ws: Workspace,
    spec: tuple[Step, ...] | None,
    code: str,
    preds: list[np.ndarray | None],
    rng: np.random.Generator,
    n_edits: int,
    weight: Callable[[str], float],
) -> list[Edit]:
    """A few edits of the parent, sampled by what the feedback points at and the model's taste.

    `spec` is the parent's own pipeline (None for foreign code), `preds` its outputs on the
    demonstrations as shown in the prompt; `weight(family)` is the model's bias.
    """
    options: list[tuple[str, str, tuple[Step, ...], tuple[Step, ...]]] = []  # kind, family, prefix, post
    for fam, post in _residual(ws, preds):
        options.append(("append", fam, spec or (), post))
    if spec:
        if len(spec) >= 2:
            prefix = spec[:-1]
            for fam, post in _residual(ws, ws.preds(prefix)):
                if post != spec[-1:]:
                    options.append(("replace_last", fam, prefix, post))
            options.append(("drop_last", "color", prefix, ()))
        for fam, head in ws.ideas():
            if head != spec[:1]:
                options.append(("replace_head", fam, head, spec[1:]))
                if len(spec) >= 2:
                    options.append(("restart", fam, head, ()))
    found = _obvious(ws, "append", spec, code, preds)
    if spec and len(spec) >= 2:
        found += _obvious(ws, "replace_last", spec[:-1], code, ws.preds(spec[:-1]))
    if not options:
        return found
    kinds = KIND_WEIGHTS[diagnosis(preds, ws.outs)]
    w = np.array([kinds[k] * weight(fam) for k, fam, _, _ in options])
    picks = rng.choice(len(options), size=min(n_edits, len(options)), replace=False, p=w / w.sum())
    for i in sorted(picks):
        kind, fam, prefix, post = options[i]
        if kind == "append":
            found.append(_make(ws, kind, fam, spec, code, preds, post))
        elif kind in ("replace_last", "drop_last"):
            found.append(Edit(ws.extended(fam, prefix, post), None, kind))
        else:
            found.append(Edit(ws.candidate(fam, prefix + post), None, kind))
    return found


def _obvious(
    ws: Workspace, kind: str, spec: tuple[Step, ...] | None, code: str, preds: list[np.ndarray | None]
) -> list[Edit]:
    """Fixes any reader of the diff notices: a consistent colour swap, a turned or mirrored output."""
    if any(p is None for p in preds):
        return []
    found = []
    fix = color_fix(preds, ws.outs)
    if fix:
        found.append(_make(ws, kind, "color", spec, code, preds, fix))
    now = ws.scored("geom", (), preds).score
    for k in range(1, 8):
        turn = _make(ws, kind, "geom", spec, code, preds, (("geom", {"k": k}),))
        if turn.cand.score > now:
            found.append(turn)
    return found


def _make(
    ws: Workspace,
    kind: str,
    family: str,
    spec: tuple[Step, ...] | None,
    code: str,
    preds: list[np.ndarray | None],
    post: tuple[Step, ...],
) -> Edit:
    """`post` after the parent, judged on the parent's outputs as the feedback shows them."""
    cand = ws.scored(family, (spec or ()) + post, Workspace.after(post, preds))
    return Edit(cand, None if spec is not None else code, kind)
