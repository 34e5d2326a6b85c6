"""`dvc repro` and `dvc exp run -S` drive the same stages in a scratch git+DVC repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from abmcts.experiment.dvcdeps import STAGES, expand, stage_files

from project_helpers import REPO, copy_project, read_tree

SMOKE = ["experiment=smoke", "data.limit=2", "search.budget=4", "tracking=none", "executor.n_jobs=1"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, **GIT_ENV, "PATH": bindir + os.pathsep + os.environ["PATH"], "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dvc_repo(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("dvc"), with_src=True)
    shutil.copytree(REPO / ".dvc", root / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    shutil.copy(REPO / ".gitignore", root / ".gitignore")
    sh(root, "git", "init", "-q")
    sh(root, sys.executable, "pipeline/params.py", *SMOKE)
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "init")
    return root


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_depends_on_exactly_the_code_it_imports(stage):
    """dvc.yaml lists a stage's entry point and the modules its stage module imports, no more:
    editing the plots reruns only `score`, editing a selection strategy never reruns the search."""
    declared = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"][stage]["deps"]
    assert expand(REPO, declared) == stage_files(REPO, stage)


def test_stage_closures_are_what_they_should_be():
    assert "src/abmcts/plots.py" in stage_files(REPO, "score")
    assert "src/abmcts/plots.py" not in stage_files(REPO, "search")
    assert not any(f.startswith("src/abmcts/select/") for f in stage_files(REPO, "search"))
    assert "src/abmcts/sandbox/_worker.py" in stage_files(REPO, "search")  # run as a script, not imported
    assert not any("offline" in f for f in stage_files(REPO, "fetch"))


def test_library_code_imports_llm_names_from_their_modules():
    """`abmcts.llm` loads its names lazily; importing them from the package would hide the
    dependency from the stage closures above."""
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "src").rglob("*.py")
        if p.name != "__init__.py" and "from abmcts.llm import " in p.read_text()
    ]
    assert offenders == []


def test_dvc_repro_runs_all_stages_and_reports_metrics(dvc_repo):
    sh(dvc_repo, "dvc", "repro")
    shown = json.loads(sh(dvc_repo, "dvc", "metrics", "show", "--json").stdout)
    (metrics,) = [m["data"] for m in shown[""]["data"].values()]
    assert metrics["n_tasks"] == 2 and metrics["calls"] == 8
    plots = sh(dvc_repo, "dvc", "plots", "show", "--json").stdout
    assert "pass_at_k.json" in plots and "model_allocation.png" in plots
    status = sh(dvc_repo, "dvc", "status").stdout
    assert "changed" not in status  # a second repro has nothing to do
    sh(dvc_repo, "git", "add", "-A")
    sh(dvc_repo, "git", "commit", "-qm", "repro")


def test_dvc_exp_run_with_hydra_override(dvc_repo):
    """`-S` composes conf/ (Hydra) into params.yaml; the experiment's run lands in its own dir."""
    sh(dvc_repo, "dvc", "exp", "run", "-S", "search=repeated_sampling", *[f"-S{o}" for o in SMOKE])
    params = (dvc_repo / "params.yaml").read_text()
    assert "algorithm: repeated_sampling" in params
    run = dvc_repo / "runs" / "arc1_training-repeated_sampling-offline-b4-s0"
    metrics = json.loads((run / "sakana" / "metrics.json").read_text())
    assert metrics["calls"] == 8
    # every call of the repeated-sampling run starts from the root
    trees = [read_tree(p) for p in (run / "trees").glob("*.json")]
    assert all(n["parent"] is None for t in trees for n in t["nodes"])
