"""Prompt rendering and parsing.

The wording lives in templates (conf/prompts/); grids and sections are rendered by fixed code between
fixed marker lines, so `parse_prompt` recovers the task from any template wording. Offline models read
tasks back through `parse_prompt` only, which is why a prompt never carries a test output.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmcts.arc.node import TreeNode
from abmcts.arc.task import Grid, Pair, Task, grid_problem, plain_digit_rows
from abmcts.errors import ConfigError, InputError

INITIAL_FIELDS = {"examples", "test_inputs", "n_train", "n_test"}
REQUIRED_INITIAL = {"examples", "test_inputs"}
REFINEMENT_FIELDS = INITIAL_FIELDS | {"parent_code", "feedback", "n_correct", "parent_test_outputs"}
REQUIRED_REFINEMENT = REQUIRED_INITIAL | {"parent_code", "feedback", "parent_test_outputs"}

# Marker lines (each alone on its line). Sections the parser reads:
M_INPUT, M_OUTPUT, M_TEST = "input", "output", "test_input"
M_PARENT_OUT, M_PARENT_ERR, M_PARENT_TEST, M_PARENT_TEST_ERR = (
    "parent_output",
    "parent_error",
    "parent_test_output",
    "parent_test_error",
)
M_EXPECTED, M_CODE = "expected_output", "parent_code"
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class PromptTemplates:
    """The wording of the two prompts; `{placeholders}` are filled by the render functions."""

    initial: str
    refinement: str

    def __post_init__(self) -> None:
        _check_fields("initial", self.initial, INITIAL_FIELDS, REQUIRED_INITIAL)
        _check_fields("refinement", self.refinement, REFINEMENT_FIELDS, REQUIRED_REFINEMENT)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> PromptTemplates:
        if not isinstance(data, Mapping):
            raise ConfigError(f"prompt templates {source}: expected a mapping, got {type(data).__name__}")
        extra = set(data) - {"initial", "refinement"}
        if extra:
            raise ConfigError(f"prompt templates {source}: unknown key(s) {sorted(extra)}")
        for key in ("initial", "refinement"):
            if not isinstance(data.get(key), str):
                raise ConfigError(f"prompt templates {source}: key {key!r} must be a string")
        return cls(initial=data["initial"], refinement=data["refinement"])

    @classmethod
    def from_yaml(cls, path: str | Path) -> PromptTemplates:
        import yaml  # pyyaml ships with omegaconf; only needed when loading outside Hydra

        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"prompt templates {path}: {exc}") from exc
        return cls.from_dict(data, source=str(path))


def _check_fields(name: str, template: str, allowed: set[str], required: set[str]) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"prompt template {name!r}: {exc}") from exc
    unknown = fields - allowed
    if unknown:
        raise ConfigError(f"prompt template {name!r}: unknown placeholder(s) {sorted(unknown)}")
    missing = required - fields
    if missing:
        raise ConfigError(f"prompt template {name!r}: missing placeholder(s) {sorted(missing)}")


@dataclass(frozen=True)
class ParsedPrompt:
    train: list[Pair]
    test_inputs: list[Grid]
    parent_code: str | None
    parent_train_outputs: list[Grid | None] | None


def grid_text(grid: Grid) -> str:
    """One row per line, cells separated by spaces (each row joined at C speed when the grid is all
    ints 0..9, the usual case; anything else cell by cell, with the same text)."""
    rows = plain_digit_rows(grid)
    if rows is None:
        return "\n".join(" ".join(str(v) for v in row) for row in grid)
    return _rows_text(rows)


def _rows_text(rows: list[bytes]) -> str:
    return "\n".join(" ".join(row.decode()) for row in rows)


def _shown_grid(out: Any) -> str | None:
    """`grid_text(out)` if `out` is a valid grid (`grid_problem` finds nothing), else None; one pass
    over the usual grid of plain digits, which both checks and renders it."""
    if out is None:
        return None
    rows = plain_digit_rows(out)
    if rows is not None:
        return _rows_text(rows)
    return grid_text(out) if grid_problem(out) is None else None


def _block(marker: str, body: str) -> str:
    return f"<{marker}>\n{body}\n</{marker}>"


@dataclass(frozen=True)
class _TaskText:
    """The parts of a prompt that depend on the task alone, rendered once per task: every call of a
    search rendered them again (about half of a replay's prompt CPU, ~8% of its worker CPU)."""

    task: Task
    examples: str
    tests: str
    expected: tuple[str, ...]


_TASK_TEXT: dict[int, _TaskText] = {}  # id(task) -> its text; the entry holds the task, so the id stays its
_TASK_TEXT_LIMIT = 256


def _task_text(task: Task) -> _TaskText:
    text = _TASK_TEXT.get(id(task))
    if text is None or text.task is not task:
        if len(_TASK_TEXT) >= _TASK_TEXT_LIMIT:
            _TASK_TEXT.clear()
        expected = tuple(f"Expected output:\n{_block(M_EXPECTED, grid_text(p.output))}" for p in task.train)
        text = _TASK_TEXT[id(task)] = _TaskText(task, _examples(task), _tests(task), expected)
    return text


def _examples(task: Task) -> str:
    parts = []
    for i, pair in enumerate(task.train, 1):
        parts.append(
            f"Example {i} input ({len(pair.input)}x{len(pair.input[0])}):\n{_block(M_INPUT, grid_text(pair.input))}\n"
            f"Example {i} output ({len(pair.output)}x{len(pair.output[0])}):\n{_block(M_OUTPUT, grid_text(pair.output))}"
        )
    return "\n\n".join(parts)


def _tests(task: Task) -> str:
    return "\n\n".join(
        f"Test input {i} ({len(g)}x{len(g[0])}):\n{_block(M_TEST, grid_text(g))}"
        for i, g in enumerate(task.test_inputs, 1)
    )


def _error_line(error: str | None) -> str:
    text = " ".join((error or "no output").split())
    return text[:MAX_ERROR_CHARS]


def render_initial(task: Task, templates: PromptTemplates) -> str:
    text = _task_text(task)
    return templates.initial.format(
        examples=text.examples,
        test_inputs=text.tests,
        n_train=len(task.train),
        n_test=len(task.test_inputs),
    )


def render_refinement(
    task: Task,
    templates: PromptTemplates,
    parent_code: str,
    train_outputs: Sequence[Grid | None],
    test_outputs: Sequence[Grid | None],
    train_errors: Sequence[str | None] | None = None,
    test_errors: Sequence[str | None] | None = None,
) -> str:
    """Prompt to improve `parent_code`, showing per demonstration whether it was right.

    An output of None means the program failed on that grid; its error (if given) is shown instead.
    """
    n = len(task.train)
    if len(train_outputs) != n or len(test_outputs) != len(task.test_inputs):
        raise InputError(
            f"render_refinement task {task.task_id!r}: got {len(train_outputs)} train / {len(test_outputs)} "
            f"test outputs for {n} demonstrations / {len(task.test_inputs)} test inputs"
        )
    text = _task_text(task)
    feedback, n_correct = [], 0
    for i, (pair, out) in enumerate(zip(task.train, train_outputs, strict=True)):
        err = train_errors[i] if train_errors else None
        shown = _shown_grid(out)
        if shown is not None:
            ok = out == pair.output
            n_correct += ok
            head = f"Example {i + 1}: {'correct' if ok else 'wrong'}"
            body = f"Your output:\n{_block(M_PARENT_OUT, shown)}"
        else:
            head = f"Example {i + 1}: wrong (error)"
            body = f"Error:\n{_block(M_PARENT_ERR, _error_line(err))}"
        feedback.append(f"{head}\n{body}\n{text.expected[i]}")
    feedback.append(f"Your program is correct for {n_correct} of {n} examples.")
    tests = []
    for i, out in enumerate(test_outputs):
        shown = _shown_grid(out)
        if shown is not None:
            tests.append(f"Your output on test input {i + 1}:\n{_block(M_PARENT_TEST, shown)}")
        else:
            err = test_errors[i] if test_errors else None
            tests.append(
                f"Your program failed on test input {i + 1}:\n{_block(M_PARENT_TEST_ERR, _error_line(err))}"
            )
    code = parent_code.strip("\n")
    return templates.refinement.format(
        examples=text.examples,
        test_inputs=text.tests,
        n_train=n,
        n_test=len(task.test_inputs),
        parent_code=_block(M_CODE, f"```python\n{code}\n```"),
        feedback="\n\n".join(feedback),
        n_correct=n_correct,
        parent_test_outputs="\n\n".join(tests),
    )


def _parse_grid(lines: list[str], where: str) -> Grid:
    try:
        grid = [[int(tok) for tok in line.split()] for line in lines]
    except ValueError as exc:
        raise InputError(f"prompt {where}: not a grid of digits ({exc})") from exc
    problem = grid_problem(grid)
    if problem:
        raise InputError(f"prompt {where}: {problem}")
    return grid


_MARKERS = (
    M_INPUT,
    M_OUTPUT,
    M_TEST,
    M_PARENT_OUT,
    M_PARENT_ERR,
    M_PARENT_TEST,
    M_PARENT_TEST_ERR,
    M_EXPECTED,
    M_CODE,
)
_SECTION = re.compile(r"<(" + "|".join(_MARKERS) + r")>\n(.*?)\n</\1>", re.DOTALL)


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """(marker, body lines) for every marker block, in order of appearance.

    A block is `<name>` + newline + body + newline + `</name>`, wherever it sits on its lines, so
    template text glued to a placeholder does not hide a section.
    """
    out = [(m.group(1), m.group(2).split("\n")) for m in _SECTION.finditer(text)]
    opened = sum(text.count(f"<{name}>\n") for name in _MARKERS)
    if opened != len(out):
        raise InputError(f"prompt: {opened - len(out)} marker section(s) are never closed")
    return out


def _strip_fence(lines: list[str]) -> str:
    if lines and lines[0].strip().startswith("```"):
        lines = lines[1:]
    if lines and lines[-1].strip() == "```":
        lines = lines[:-1]
    return "\n".join(lines)


def parse_prompt(text: str) -> ParsedPrompt:
    """Recover demonstrations, test inputs and (for refinement) the parent's code and outputs."""
    inputs: list[Grid] = []
    outputs: list[Grid] = []
    tests: list[Grid] = []
    parent_out: list[Grid | None] = []
    code = None
    for name, body in _sections(text):
        if name == M_INPUT:
            inputs.append(_parse_grid(body, f"example {len(inputs) + 1} input"))
        elif name == M_OUTPUT:
            outputs.append(_parse_grid(body, f"example {len(outputs) + 1} output"))
        elif name == M_TEST:
            tests.append(_parse_grid(body, f"test input {len(tests) + 1}"))
        elif name == M_PARENT_OUT:
            parent_out.append(_parse_grid(body, f"parent output {len(parent_out) + 1}"))
        elif name == M_PARENT_ERR:
            parent_out.append(None)
        elif name == M_CODE:
            code = _strip_fence(body)
    if len(inputs) != len(outputs) or not inputs:
        raise InputError(f"prompt: found {len(inputs)} example inputs and {len(outputs)} outputs")
    if not tests:
        raise InputError("prompt: no test input found")
    if code is not None and len(parent_out) != len(inputs):
        raise InputError(f"prompt: {len(parent_out)} parent outputs for {len(inputs)} examples")
    train = [Pair(i, o) for i, o in zip(inputs, outputs, strict=True)]
    return ParsedPrompt(train, tests, code, parent_out if code is not None else None)


def prompt_hash(messages: Sequence[Mapping[str, Any]]) -> str:
    """Short stable id of a message list (first 16 hex digits of its sha256)."""
    blob = json.dumps(list(messages), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def messages_for(task: Task, templates: PromptTemplates, parent: TreeNode | None) -> list[dict[str, str]]:
    """The prompt that expands `parent`: a refinement of its program, or a fresh start when there
    is no parent or the parent holds no program (its call failed or returned no code)."""
    if parent is None or parent["code"] is None:
        text = render_initial(task, templates)
    else:
        n_train = len(task.train)
        errors = parent["exec_errors"] or [None] * (n_train + len(task.test_inputs))
        text = render_refinement(
            task,
            templates,
            parent["code"],
            parent["train_outputs"],
            parent["test_outputs"],
            train_errors=errors[:n_train],
            test_errors=errors[n_train:],
        )
    return [{"role": "user", "content": text}]
