"""A model backend litellm does not cover is a module plus a `conf/models/<name>.yaml`, nothing else.

The toy backend lives outside the package (a dotted module name on PYTHONPATH) with its config
file in `conf/models/`: a billed "API" that answers every prompt with one program (turn the grid
half a turn) at the spec's price. The whole pipeline runs with it under a run cost cap.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml

from abmcts.errors import ConfigError
from abmcts.llm.ledger import SpendLedger

from project_helpers import copy_project, read_tree, run_pipeline, smoke_config

PRICE_IN, PRICE_OUT = 1e-6, 4e-6
SOLVED, UNSOLVED = "3c9b0459", "007bbfb7"  # a half turn solves the first one only

TOY_BACKEND = '''
"""A toy backend: a billed API that answers every prompt with one fixed program."""
from dataclasses import dataclass

from abmcts.llm.backends import Answer, RemoteKind, approx_tokens

PROGRAM = "Turn it.\\n```python\\ndef transform(grid):\\n    return [row[::-1] for row in grid[::-1]]\\n```\\n"


@dataclass
class FixedAnswer:
    spec: object
    timed = False

    async def call(self, messages, key):
        prompt, completion = sum(approx_tokens(m["content"]) for m in messages), approx_tokens(PROGRAM)
        return Answer(PROGRAM, prompt, completion, BACKEND.cost(self.spec, prompt, completion))


class HalfTurnKind(RemoteKind):
    def open(self, spec, context):
        return FixedAnswer(spec)


BACKEND = HalfTurnKind()
'''


@pytest.fixture
def toy(tmp_path):
    """The toy backend's package, outside the repository, and a folder for config files."""
    package = tmp_path / "plugins" / "toybackends"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "halfturn.py").write_text(textwrap.dedent(TOY_BACKEND))
    (tmp_path / "conf" / "models").mkdir(parents=True)
    return tmp_path


def write_models(conf: Path, name: str, specs: list[dict]) -> None:
    (conf / "models" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "specs": specs}))


@pytest.mark.slow
def test_a_backend_module_outside_the_package_runs_the_pipeline(toy):
    root = copy_project(toy / "project")
    spec = {
        "name": "toy/halfturn",
        "model": "halfturn-1",
        "backend": "toybackends.halfturn",
        "params": {"max_tokens": 100},
        "input_cost_per_token": PRICE_IN,
        "output_cost_per_token": PRICE_OUT,
    }
    write_models(root / "conf", "toy", [spec])  # the one config file, beside the shipped ones
    run = toy / "run"
    pythonpath = os.pathsep.join([str(toy / "plugins"), os.environ.get("PYTHONPATH", "")])
    done = run_pipeline(
        root,
        "run",
        "experiment=smoke",
        "models=toy",
        f"data.task_ids=[{SOLVED},{UNSOLVED}]",
        "search.budget=3",
        "run.max_cost_usd=1.0",  # a cap: the kind's price and billing must hold
        f"run.dir={run}",
        env={"PYTHONPATH": pythonpath},
    )
    assert done.returncode == 0, done.stderr[-3000:]

    trees = {p.stem: read_tree(p) for p in (run / "trees").glob("*.json")}
    assert sorted(trees) == sorted([SOLVED, UNSOLVED])
    nodes = [n for t in trees.values() for n in t["nodes"]]
    assert len(nodes) == 6 and {n["model"] for n in nodes} == {"toy/halfturn"}
    for n in nodes:
        assert "grid[::-1]" in n["code"]
        assert n["cost"] == pytest.approx(n["prompt_tokens"] * PRICE_IN + n["completion_tokens"] * PRICE_OUT)
    assert max(n["reward"] for n in trees[SOLVED]["nodes"]) == 1.0
    assert max(n["reward"] for n in trees[UNSOLVED]["nodes"]) < 1.0

    metrics = json.loads((run / "selection" / "metrics.json").read_text())
    assert metrics["pass_at_2"] == 0.5 and metrics["calls"] == 6
    totals = SpendLedger(run / "spend.sqlite").totals()  # billed: every call went through the ledger
    assert totals.entries == 6 and totals.n_open == 0
    assert totals.settled == pytest.approx(sum(n["cost"] for n in nodes))


def test_an_unknown_backend_is_named_before_any_work(toy, tmp_path):
    write_models(toy / "conf", "typo", [{"name": "m", "model": "halfturn-1", "backend": "halfturm"}])
    with pytest.raises(
        ConfigError,
        match=r"config models.specs\[0\].backend=halfturm: no such model backend .*known: litellm, offline",
    ):
        smoke_config(tmp_path, "run", f"hydra.searchpath=[file://{toy / 'conf'}]", "models=typo")


def test_every_unknown_offline_model_is_named_at_once(toy, tmp_path):
    write_models(
        toy / "conf", "two", [{"name": "a", "model": "offline/nope"}, {"name": "b", "model": "offline/"}]
    )
    with pytest.raises(ConfigError) as caught:
        smoke_config(tmp_path, "run", f"hydra.searchpath=[file://{toy / 'conf'}]", "models=two")
    message = str(caught.value)
    assert "models.specs[0].model='offline/nope': unknown offline model 'nope'" in message
    assert "models.specs[1].model='offline/': unknown offline model ''" in message
