"""`offline/judge`: a deterministic stand-in for an LLM judge. It reads only the prompt text.

It parses the demonstrations, test inputs and candidates back from the judge prompt and ranks the
candidates the way a careful reader would: outputs that obey what every demonstration obeys
(size, palette, symmetry; see `abmcts.select.plausibility`), that change about as much of the grid
as the demonstrations do, and shorter programs. It never runs code and never sees a test output's
correctness. A prompt it cannot read gets a reply without a ranking (the strategy keeps its order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abmcts.select.judge_prompt import JudgeCandidate, parse_judge_prompt
from abmcts.select.plausibility import Relations, check_output


def _changed(a: np.ndarray, b: np.ndarray) -> float | None:
    return float(np.mean(a != b)) if a.shape == b.shape else None


def _score(cand: JudgeCandidate, rel: Relations, tests: list[np.ndarray], change: float | None) -> float:
    total = 0.0
    for grid_in, out in zip(tests, cand.test_outputs, strict=False):
        if out is None:
            total -= 5.0
            continue
        grid = np.array(out)
        total += sum(check_output(rel, grid_in, grid).values())
        moved = _changed(grid_in, grid)
        if change is not None and moved is not None:
            total -= 2.0 * abs(moved - change)
    return total / max(len(tests), 1) - 0.05 * math.log1p(len(cand.code))


@dataclass(frozen=True)
class OfflineJudge:
    name: str = "judge"

    def generate(self, messages: list[dict], seed: int) -> str:
        prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        parsed = parse_judge_prompt(prompt)
        if not parsed.candidates or not parsed.train or any(g is None for pair in parsed.train for g in pair):
            return "I cannot read the task in this prompt."
        demos = [(np.array(i), np.array(o)) for i, o in parsed.train]
        rel = Relations.of(demos)
        changes = [c for c in (_changed(i, o) for i, o in demos) if c is not None]
        change = float(np.mean(changes)) if len(changes) == len(demos) else None
        tests = [np.array(g) for g in parsed.test_inputs if g is not None]
        scored = sorted(parsed.candidates, key=lambda c: (-_score(c, rel, tests, change), c.label))
        order = " > ".join(c.label for c in scored)
        return f"Comparing each candidate's test outputs with the demonstrations.\nRANKING: {order}\n"


JUDGE = OfflineJudge()
# The offline models only a judge can use (by name, as in `model: offline/judge`); any
# program-writing offline model may judge too.
OFFLINE_JUDGES = {JUDGE.name: JUDGE}
