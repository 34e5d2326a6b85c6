"""Offline models propose real, self-contained programs from the prompt text alone."""

from pathlib import Path

import pytest

from abmcts.arc.extract import extract_code
from abmcts.arc.prompts import PromptTemplates, render_initial, render_refinement
from abmcts.arc.task import Pair, Task
from abmcts.errors import InputError, LLMError
from abmcts.llm.offline import available_models, get_model
from abmcts.llm.offline.program import emit, parse_spec

TEMPLATES = PromptTemplates.from_yaml(
    Path(__file__).resolve().parents[2] / "conf" / "prompts" / "default.yaml"
)


def run(code, grid):
    ns: dict = {}
    exec(code, ns)  # our own emitted code, run in a fresh namespace
    return ns["transform"](grid)


def flip_task() -> Task:
    grids = [[[1, 2, 0], [0, 3, 0]], [[4, 0], [0, 0], [5, 6]], [[7, 7, 1, 0]]]
    return Task("flip", tuple(Pair(g, [row[::-1] for row in g]) for g in grids), ([[1, 0, 2], [3, 4, 0]],))


def recolor_flip_task() -> Task:
    def rule(g):
        return [[{1: 2, 2: 1}.get(v, v) for v in row[::-1]] for row in g]

    grids = [[[1, 2, 0], [0, 1, 0]], [[2, 0], [0, 0], [1, 1]], [[1, 1, 2, 0]]]
    return Task("rf", tuple(Pair(g, rule(g)) for g in grids), ([[0, 1], [2, 2]],))


def prompt(task):
    return [{"role": "user", "content": render_initial(task, TEMPLATES)}]


def test_names_and_unknown_model():
    assert {"geometry", "color", "objects", "tiling"} <= set(available_models())
    assert get_model("offline/geometry").name == "geometry"
    with pytest.raises(LLMError, match="unknown offline model"):
        get_model("nope")


def test_answer_is_llm_like_and_self_contained():
    text = get_model("geometry").generate(prompt(flip_task()), seed=0)
    assert text.count("```python") == 1 and not text.startswith("```")
    code = extract_code(text)
    assert "def transform" in code and "from abmcts" not in code and "import abmcts" not in code
    out = run(code, [[1, 0, 2], [3, 4, 0]])
    assert isinstance(out, list) and all(isinstance(r, list) for r in out)


def test_seeded_deterministic_and_diverse():
    model = get_model("color")
    msgs = prompt(recolor_flip_task())
    assert model.generate(msgs, 3) == model.generate(msgs, 3)
    codes = {extract_code(model.generate(msgs, s)) for s in range(20)}
    assert len(codes) >= 3


def test_solves_simple_task_on_unseen_test_input():
    task = flip_task()
    hits = 0
    for s in range(60):
        code = extract_code(get_model("geometry").generate(prompt(task), s))
        hits += run(code, task.test_inputs[0]) == [[2, 0, 1], [0, 4, 3]]
    assert hits >= 3  # a fresh answer weighs only a few ideas, so even easy tasks take some samples


def test_models_have_different_biases():
    task = Task("t", (Pair([[1, 0], [0, 0]], [[1, 0, 0, 1], [0, 0, 0, 0]]),), ([[2, 0], [0, 3]],))
    firsts = {}
    for name in ("geometry", "tiling", "objects"):
        ops = [parse_spec(extract_code(get_model(name).generate(prompt(task), s)))[0][0] for s in range(30)]
        firsts[name] = {op: ops.count(op) for op in set(ops)}
    assert firsts["geometry"] != firsts["tiling"] != firsts["objects"]


def test_refinement_fixes_wrong_colours_of_foreign_parent():
    task = recolor_flip_task()
    parent = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
    outs = [[row[::-1] for row in p.input] for p in task.train]
    test_outs = [[row[::-1] for row in g] for g in task.test_inputs]
    msgs = [{"role": "user", "content": render_refinement(task, TEMPLATES, parent, outs, test_outs)}]
    fixed = 0
    for s in range(20):
        code = extract_code(get_model("geometry").generate(msgs, s))
        fixed += all(run(code, p.input) == p.output for p in task.train)
    assert fixed >= 12


def test_refinement_edits_own_pipeline():
    task = flip_task()
    parent = emit((("geom", {"k": 1}),))  # wrong rotation
    outs = [run(parent, p.input) for p in task.train]
    msgs = [
        {
            "role": "user",
            "content": render_refinement(task, TEMPLATES, parent, outs, [run(parent, task.test_inputs[0])]),
        }
    ]
    solved = sum(
        run(extract_code(get_model("geometry").generate(msgs, s)), task.test_inputs[0])
        == [[2, 0, 1], [0, 4, 3]]
        for s in range(10)
    )
    assert solved >= 5


def test_spec_round_trip_and_bad_prompt():
    steps = (("recolor", {"mapping": {1: 2}}), ("tile", {"a": 2, "b": 1, "mode": 0}))
    assert parse_spec(emit(steps)) == steps
    assert parse_spec("def transform(g):\n    return g") is None
    with pytest.raises(InputError):
        get_model("color").generate([{"role": "user", "content": "no grids here"}], 0)
    with pytest.raises(LLMError):
        get_model("color").generate([{"role": "system", "content": "x"}], 0)


def refinement_messages(task, parent, shown=None):
    """Refinement prompt for `parent`; `shown` overrides the parent outputs the feedback displays."""
    outs = shown or [run(parent, p.input) for p in task.train]
    tests = [run(parent, g) for g in task.test_inputs]
    return [{"role": "user", "content": render_refinement(task, TEMPLATES, parent, outs, tests)}]


def solves_train(code, task):
    return all(run(code, p.input) == p.output for p in task.train)


FLIP = (("geom", {"k": 7}),)  # left-right mirror


def test_refinement_completes_parent_missing_one_step_far_more_often_than_fresh():
    task = recolor_flip_task()
    parent = emit(FLIP)
    assert all(run(parent, p.input) == [r[::-1] for r in p.input] for p in task.train)
    msgs = refinement_messages(task, parent)
    for name in available_models():
        model = get_model(name)
        refined = sum(solves_train(extract_code(model.generate(msgs, s)), task) for s in range(20))
        fresh = sum(solves_train(extract_code(model.generate(prompt(task), s)), task) for s in range(20))
        assert refined >= 15 and fresh <= 5, (name, refined, fresh)


def test_refinement_follows_the_feedback():
    """Same parent code, different feedback: a colour swap is fixed by a colour map, a turn by a turn."""
    task = flip_task()
    parent = emit(FLIP)
    swapped = [[[{1: 2, 2: 1}.get(v, v) for v in row] for row in p.output] for p in task.train]
    turned = [[list(r) for r in zip(*p.output, strict=True)] for p in task.train]
    last_steps = {}
    for label, shown in (("swapped", swapped), ("turned", turned)):
        msgs = refinement_messages(task, parent, shown)
        specs = [parse_spec(extract_code(get_model("color").generate(msgs, s))) for s in range(20)]
        last_steps[label] = [spec[-1][0] for spec in specs if spec]
    assert last_steps["swapped"].count("recolor") >= 12
    assert last_steps["turned"].count("geom") >= 12


def test_refinement_replaces_a_wrong_last_step():
    task = recolor_flip_task()
    parent = emit(FLIP + (("geom", {"k": 2}),))  # right first step, wrong second one
    msgs = refinement_messages(task, parent)
    fixed = sum(solves_train(extract_code(get_model("geometry").generate(msgs, s)), task) for s in range(20))
    assert fixed >= 10


def test_post_processing_of_foreign_code_can_be_stacked():
    task = recolor_flip_task()
    parent = "def transform(grid):\n    return [list(r) for r in zip(*grid)]\n"  # transpose
    for _ in range(3):
        msgs = refinement_messages(task, parent)
        parent = extract_code(get_model("color").generate(msgs, 0))
        assert isinstance(run(parent, task.test_inputs[0]), list)
    assert parse_spec(parent) is not None or "_previous_transform_" in parent
