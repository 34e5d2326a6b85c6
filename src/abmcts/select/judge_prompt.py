"""The judge's prompt and reply: rendered here, parsed back by offline stand-in judges.

Marker lines (`<name>` / `</name>`) stand alone at column 0; candidate code is indented by four
spaces, so no line of generated code can pose as a marker. The reply names candidates by letter,
best first: `RANKING: B > A > C`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from abmcts.arc.prompts import grid_text
from abmcts.arc.task import Grid
from abmcts.select.task_view import TaskView

LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CODE_INDENT = "    "
INSTRUCTIONS = (
    "You are judging candidate solutions to an ARC-AGI task. Every candidate program reproduces the "
    "demonstrations equally well, so decide which one captured the general rule: look at how each "
    "candidate's test outputs relate to the test inputs, compared with how the demonstration outputs "
    "relate to their inputs (size, colours, structure), and prefer the simpler program when in doubt.\n"
    "Reply with one line listing every candidate letter, best first, e.g. `RANKING: B > A > C`."
)
_RANKING = re.compile(r"RANKING:\s*([A-Z](?:\s*>\s*[A-Z])*)")


@dataclass(frozen=True)
class JudgeCandidate:
    label: str
    code: str
    test_outputs: list[Grid | None]


def _block(marker: str, body: str) -> str:
    return f"<{marker}>\n{body}\n</{marker}>"


def render_judge_prompt(task: TaskView, cands: list[JudgeCandidate], max_code_chars: int) -> str:
    parts = [INSTRUCTIONS, ""]
    for i, (grid_in, grid_out) in enumerate(task.train, 1):
        parts += [f"Example {i} input:", _block("input", grid_text(grid_in))]
        parts += [f"Example {i} output:", _block("output", grid_text(grid_out)), ""]
    for i, grid in enumerate(task.test_inputs, 1):
        parts += [f"Test input {i}:", _block("test_input", grid_text(grid)), ""]
    for c in cands:
        code = c.code if len(c.code) <= max_code_chars else c.code[:max_code_chars] + "\n# ... (truncated)"
        parts += [
            f"Candidate {c.label} program:",
            _block("code", "\n".join(CODE_INDENT + line for line in code.splitlines())),
        ]
        for j, out in enumerate(c.test_outputs, 1):
            body = "(no output: the program failed)" if out is None else grid_text(out)
            parts += [f"Candidate {c.label} output for test input {j}:", _block("candidate_output", body)]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def _blocks(text: str, marker: str) -> list[str]:
    return re.findall(rf"^<{marker}>\n(.*?)\n</{marker}>$", text, flags=re.M | re.S)


def _grid(body: str) -> Grid | None:
    try:
        return [[int(v) for v in line.split()] for line in body.splitlines()]
    except ValueError:
        return None


@dataclass(frozen=True)
class ParsedJudgePrompt:
    train: list[tuple[Grid | None, Grid | None]]  # None: a grid that does not parse
    test_inputs: list[Grid | None]
    candidates: list[JudgeCandidate]


def parse_judge_prompt(text: str) -> ParsedJudgePrompt:
    """The task and candidates back from a rendered prompt (what an offline judge may know)."""
    ins = [_grid(b) for b in _blocks(text, "input")]
    outs = [_grid(b) for b in _blocks(text, "output")]
    tests = [_grid(b) for b in _blocks(text, "test_input")]
    codes = _blocks(text, "code")
    outputs = _blocks(text, "candidate_output")
    labels = re.findall(r"^Candidate ([A-Z]) program:$", text, flags=re.M)
    per = len(tests)
    cands = []
    for k, label in enumerate(labels):
        code = (
            "\n".join(line.removeprefix(CODE_INDENT) for line in codes[k].splitlines())
            if k < len(codes)
            else ""
        )
        grids = [_grid(b) for b in outputs[k * per : (k + 1) * per]]
        cands.append(JudgeCandidate(label, code, grids))
    return ParsedJudgePrompt(list(zip(ins, outs, strict=False)), tests, cands)


def parse_ranking(reply: str | None, labels: list[str]) -> list[str] | None:
    """Labels best first from the reply's last RANKING line; None if there is none or it names a stranger.

    Labels the judge left out follow in the order they were shown.
    """
    found = _RANKING.findall(reply or "")
    if not found:
        return None
    named = [x.strip() for x in found[-1].split(">")]
    if any(x not in labels for x in named) or len(set(named)) != len(named):
        return None
    return named + [x for x in labels if x not in named]
