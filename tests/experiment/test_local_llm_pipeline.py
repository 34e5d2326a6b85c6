"""Issue 5: the real-LLM path end to end. A llama.cpp server on loopback serves SmolLM2-135M; the
pipeline runs Multi-model AB-MCTS over it and an offline model, then replays with the server gone."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest

from project_helpers import copy_project, run_pipeline

pytestmark = [pytest.mark.llm_server, pytest.mark.slow]

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip(
        "llama_cpp is not installed here; `./dev test` installs it (extra local-llm)", allow_module_level=True
    )

from abmcts.llm.serve import LocalServer  # noqa: E402

ARGS = [
    "experiment=smoke",
    "models=local_offline_mix",
    'data.task_ids=["6150a2bd","d037b0a7"]',
    "search.budget=6",
    "search.params.model_selection=stack",
    "executor=sequential",
    "models.specs.0.params.max_tokens=160",
]
RUN = "runs/arc1_training-ab_mcts_a-local_offline_mix-b6-s0"


def trees_of(root: Path, run: str = RUN) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / run / "trees").glob("*.json"))}


def test_local_llm_multi_model_search_and_replay(tmp_path):
    root = copy_project(tmp_path)
    with LocalServer(threads=1, n_ctx=4096) as server:
        env = {"ABMCTS_LOCAL_PORT": server.api_base.rsplit(":", 1)[1].split("/")[0]}
        done = run_pipeline(root, "run", *ARGS, env=env, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]

    trees = [json.loads(b) for b in trees_of(root).values()]
    assert len(trees) == 2
    nodes = [n for t in trees for n in t["nodes"]]
    assert len(nodes) == 12
    local = [n for n in nodes if n["model"] == "local/smollm2"]
    assert local, "the search never called the local model"
    for n in local:  # real traffic: tokens counted by the server, a program or a recorded failure
        assert n["prompt_tokens"] > 100 and n["completion_tokens"] > 0
        assert n["code"] is not None or n["error"]
        assert 0.0 <= n["reward"] <= 1.0
    rows = sqlite3.connect(root / "cache/responses.sqlite").execute(
        "select count(*) from responses where model = 'openai/smollm2'"
    )
    assert rows.fetchone()[0] == len({(n["prompt_hash"], n["sample_index"]) for n in local})

    # the server is stopped: a replay must not need it, and must write the same trees
    done = run_pipeline(
        root, "run", *ARGS, "cache.mode=replay", "run.root=replayed", env={"ABMCTS_LOCAL_PORT": "9"}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert trees_of(root, "replayed/" + RUN.split("/", 1)[1]) == trees_of(root)
    metrics = json.loads((root / RUN / "sakana/metrics.json").read_text())
    assert metrics["per_model"]["local/smollm2"]["calls"] == len(local)
