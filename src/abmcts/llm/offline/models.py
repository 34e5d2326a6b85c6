"""Named offline models: seeded samplers over the candidate programs, each with its own family bias."""

from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from abmcts.arc.prompts import ParsedPrompt, parse_prompt
from abmcts.errors import LLMError
from abmcts.llm.offline.program import Candidate, emit, parse_spec
from abmcts.llm.offline.propose import Demos, evaluate, fit_color_map, propose_all

FAMILIES = ("color", "geom", "symmetry", "lines", "denoise", "object", "logic", "count", "scale")
OFF_BIAS = 0.04  # weight of a family a model does not favour: rare, but possible
SHARPNESS = 5.0  # how strongly a model prefers candidates that fit more demonstrations
EXPLORE = 0.15  # chance of ignoring the fit altogether and proposing any candidate of a favoured family
CACHE_SIZE = 64

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

_pool_cache: OrderedDict[str, list[Candidate]] = OrderedDict()


def _demos(parsed: ParsedPrompt) -> Demos:
    return [(np.array(p.input), np.array(p.output)) for p in parsed.train]


def _pool(parsed: ParsedPrompt) -> list[Candidate]:
    """Scored candidates for these demonstrations, memoised: repeated calls on a task stay fast."""
    key = repr([(p.input, p.output) for p in parsed.train])
    if key in _pool_cache:
        _pool_cache.move_to_end(key)
        return _pool_cache[key]
    pool = propose_all(_demos(parsed))
    _pool_cache[key] = pool
    if len(_pool_cache) > CACHE_SIZE:
        _pool_cache.popitem(last=False)
    return pool


@dataclass(frozen=True)
class OfflineModel:
    """An in-process 'LLM' that writes programs from the prompt text alone."""

    name: str
    bias: dict[str, float] = field(default_factory=dict)

    def _rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng([zlib.crc32(self.name.encode()), int(seed) & 0xFFFFFFFF])

    def _sample(self, cands: list[Candidate], rng: np.random.Generator) -> Candidate:
        fam = np.array([self.bias.get(c.family, OFF_BIAS) for c in cands])
        if rng.random() < EXPLORE:
            w = (fam >= 0.3) * 1.0 + 1e-9
        else:
            fit = np.array([c.score + 0.3 * c.partial for c in cands])
            w = fam * np.exp(SHARPNESS * (fit - fit.max()))
        return cands[int(rng.choice(len(cands), p=w / w.sum()))]

    def generate(self, messages: list[dict], seed: int) -> str:
        """LLM-like answer (a line of reasoning + one python block) to the last user message."""
        user = [m for m in messages if m.get("role") == "user"]
        if not user or not isinstance(user[-1].get("content"), str):
            raise LLMError(f"offline/{self.name}: messages need a user message with text content")
        parsed = parse_prompt(user[-1]["content"])
        rng = self._rng(seed)
        if parsed.parent_code is not None:
            return self._refine(parsed, rng)
        cand = self._sample(_pool(parsed), rng)
        return self._answer(cand, emit(cand.steps))

    def _refine(self, parsed: ParsedPrompt, rng: np.random.Generator) -> str:
        """Edit the parent: post-process its outputs, or vary its own pipeline, or start afresh."""
        demos = _demos(parsed)
        outs = [o for _, o in demos]
        spec = parse_spec(parsed.parent_code)
        pool = _pool(parsed)
        options: list[tuple[Candidate, str | None]] = []
        preds = parsed.parent_train_outputs
        if all(p is not None for p in preds):
            parr = [np.array(p) for p in preds]
            cmap = fit_color_map(parr, outs)
            if cmap:
                options.append(
                    (Candidate("color", (("recolor", {"mapping": cmap}),), 1.0, 1.0), parsed.parent_code)
                )
            post_demos = list(zip(parr, outs, strict=True))
            for k in range(1, 8):
                for c in evaluate("geom", (("geom", {"k": k}),), post_demos):
                    if c.score > 0:
                        options.append((c, parsed.parent_code))
        if spec is not None:
            head = spec[0][0] if spec else None
            for c in pool:
                if c.steps and c.steps[0][0] == head and c.steps != spec:
                    options.append((c, None))
            for c in evaluate("color", spec, demos):
                if c.steps != spec:
                    options.append((c, None))
        fresh = self._sample(pool, rng)
        options.append((fresh, None))
        cand, base = self._sample_option(options, rng)
        if base is not None:
            return self._answer(cand, emit(cand.steps, base_code=base), refine=True)
        return self._answer(cand, emit(cand.steps), refine=True)

    def _sample_option(
        self, options: list[tuple[Candidate, str | None]], rng: np.random.Generator
    ) -> tuple[Candidate, str | None]:
        idx = {id(c): n for n, (c, _) in enumerate(options)}
        chosen = self._sample([c for c, _ in options], rng)
        return options[idx[id(chosen)]]

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
