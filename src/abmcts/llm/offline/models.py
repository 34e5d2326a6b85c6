"""Named offline models: seeded program writers that weigh a few ideas per answer, each with its own family bias.

`BIASES` is the one place they are named: a new offline model `offline/<name>` is one entry there
(its family weights), then `conf/models/*.yaml` can use it. A model that is not a biased writer (a
different algorithm, a model of your own package) is a backend kind instead
(`abmcts.llm.backends.InProcessKind`, found by `backend:`), so this module never grows a list.
"""

from __future__ import annotations

import zlib
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np

from abmcts.arc.prompts import ParsedPrompt, parse_prompt
from abmcts.errors import LLMError
from abmcts.llm.offline.program import Candidate, emit, parse_spec
from abmcts.llm.offline.propose import Demos, Workspace
from abmcts.llm.offline.refine import edits

FAMILIES = ("color", "geom", "symmetry", "lines", "denoise", "object", "logic", "count", "scale")
OFF_BIAS = 0.04  # weight of a family a model does not favour: rare, but possible
SHARPNESS = 5.0  # how strongly a model prefers, among what it considered, what fits more demonstrations
EXPLORE = 0.1  # chance of answering with any considered idea, ignoring the fit
MAX_IDEAS = 4  # a fresh answer weighs 1..MAX_IDEAS one-step ideas (an LLM thinks of a few per answer)
P_FIX = 0.05  # chance a fresh answer also notices an idea's obvious completion (colour map, turn)
MAX_EDITS = 16  # a refinement weighs 4..MAX_EDITS edits of the parent, chosen by the feedback
P_FRESH = 0.2  # chance a refinement also weighs a fresh idea (start over)
CACHE_SIZE = 8

# the offline models, by name: the families each favours (any other family weighs OFF_BIAS)
BIASES: dict[str, dict[str, float]] = {
    "geometry": {"geom": 1.0, "symmetry": 0.6, "color": 0.5, "lines": 0.3},
    "color": {"color": 1.0, "denoise": 0.6, "lines": 0.6, "object": 0.4},
    "objects": {"object": 1.0, "denoise": 0.5, "count": 0.5, "color": 0.3},
    "tiling": {"scale": 1.0, "logic": 0.8, "symmetry": 0.5, "geom": 0.3},
    "symmetry": {"symmetry": 1.0, "lines": 0.6, "geom": 0.4, "logic": 0.4},
}

DESCRIBE = {
    "color": "the change is a recolouring of cells",
    "geom": "the output is a rigid transformation or a gravity shift of the input",
    "symmetry": "the output is built from mirror images of the input",
    "lines": "lines are drawn from or between coloured cells",
    "denoise": "small noisy fragments should be removed",
    "object": "the rule acts on connected objects (select, crop or recolour them)",
    "logic": "the input is two halves combined cell by cell",
    "count": "the output summarises a count or the dominant colour",
    "scale": "the output is a scaled or tiled copy of the input",
}

_workspaces: OrderedDict[str, Workspace] = OrderedDict()


def _demos(parsed: ParsedPrompt) -> Demos:
    return [(np.array(p.input), np.array(p.output)) for p in parsed.train]


def _workspace(parsed: ParsedPrompt) -> Workspace:
    """The task's memo of evaluated pipelines, shared by all models: repeated calls stay fast."""
    key = repr([(p.input, p.output) for p in parsed.train])
    if key in _workspaces:
        _workspaces.move_to_end(key)
        return _workspaces[key]
    ws = _workspaces[key] = Workspace(_demos(parsed))
    if len(_workspaces) > CACHE_SIZE:
        _workspaces.popitem(last=False)
    return ws


def _fit(c: Candidate) -> float:
    return c.score + 0.3 * c.partial


@dataclass(frozen=True)
class OfflineModel:
    """An in-process 'LLM' that writes programs from the prompt text alone.

    A fresh answer weighs a few one-step ideas (drawn by the model's family bias) and rarely their
    obvious completions; a refinement weighs a few edits of the parent that the feedback points at.
    So depth pays: a good parent is completed by refinement far more often than a fresh answer
    stumbles on the whole composition.
    """

    name: str
    bias: dict[str, float] = field(default_factory=dict)

    def _rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng([zlib.crc32(self.name.encode()), int(seed) & 0xFFFFFFFF])

    def weight(self, family: str) -> float:
        return self.bias.get(family, OFF_BIAS)

    def _choose(self, cands: list[Candidate], rng: np.random.Generator) -> int:
        if rng.random() < EXPLORE:
            return int(rng.integers(len(cands)))
        fit = np.array([_fit(c) for c in cands])
        w = np.exp(SHARPNESS * (fit - fit.max()))
        return int(rng.choice(len(cands), p=w / w.sum()))

    def _fresh(self, ws: Workspace, rng: np.random.Generator) -> list[Candidate]:
        """The few ideas (and, rarely, their completions) one fresh answer considers."""
        ideas = ws.ideas()
        sizes = Counter(f for f, _ in ideas)
        w = np.array([self.weight(f) / np.sqrt(sizes[f]) for f, _ in ideas])
        n = min(int(rng.integers(1, MAX_IDEAS + 1)), len(ideas))
        cands = [
            ws.candidate(*ideas[i]) for i in rng.choice(len(ideas), size=n, replace=False, p=w / w.sum())
        ]
        for c in list(cands):
            if rng.random() < P_FIX:
                cands += ws.fixes(c)
        return cands

    def generate(self, messages: list[dict], seed: int) -> str:
        """LLM-like answer (a line of reasoning + one python block) to the last user message."""
        user = [m for m in messages if m.get("role") == "user"]
        if not user or not isinstance(user[-1].get("content"), str):
            raise LLMError(f"offline/{self.name}: messages need a user message with text content")
        parsed = parse_prompt(user[-1]["content"])
        ws = _workspace(parsed)
        rng = self._rng(seed)
        if parsed.parent_code is not None:
            return self._refine(parsed, ws, rng)
        cands = self._fresh(ws, rng)
        cand = cands[self._choose(cands, rng)]
        return self._answer(cand, emit(cand.steps))

    def _refine(self, parsed: ParsedPrompt, ws: Workspace, rng: np.random.Generator) -> str:
        """Edit the parent where its feedback points; now and then weigh starting over too."""
        preds = [None if p is None else np.array(p) for p in parsed.parent_train_outputs or []]
        n = int(rng.integers(4, MAX_EDITS + 1))
        found = edits(
            ws, parse_spec(parsed.parent_code or ""), parsed.parent_code or "", preds, rng, n, self.weight
        )
        options = [(e.cand, e.base_code) for e in found]
        if not options or rng.random() < P_FRESH:
            options += [(c, None) for c in self._fresh(ws, rng)]
        cand, base = options[self._choose([c for c, _ in options], rng)]
        return self._answer(cand, emit(cand.steps, base_code=base), refine=True)

    def _answer(self, cand: Candidate, code: str, refine: bool = False) -> str:
        why = DESCRIBE.get(cand.family, "the rule is a grid operation")
        ops_used = ", ".join(n for n, _ in cand.steps) or "a colour map"
        lead = (
            "Looking at what the previous program got wrong, " if refine else "Comparing inputs and outputs, "
        )
        return f"{lead}{why}; I will implement it with {ops_used}.\n\n```python\n{code}```\n"


MODELS = {name: OfflineModel(name, bias) for name, bias in BIASES.items()}


def available_models() -> list[str]:
    return sorted(MODELS)


def get_model(name: str) -> OfflineModel:
    model = MODELS.get(name.removeprefix("offline/"))
    if model is None:
        raise LLMError(f"unknown offline model {name!r}; available: {available_models()}")
    return model
