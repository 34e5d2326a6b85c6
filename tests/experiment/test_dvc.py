"""`dvc repro` and `dvc exp run -S` drive the same stages in a scratch git+DVC repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from abmcts.dvcdeps import dvc_stages, expand, stage_files

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


@pytest.mark.parametrize("stage", sorted(dvc_stages()))
def test_each_stage_depends_on_exactly_the_code_it_imports(stage):
    """dvc.yaml lists a stage's entry point and the modules its stage module imports, no more:
    editing the plots reruns only `score`, editing a selection strategy never reruns the search."""
    declared = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"][stage]["deps"]
    assert expand(REPO, declared) == stage_files(REPO, stage)


def test_stage_closures_are_what_they_should_be():
    """Editing a dashboard reruns nothing; editing the engine never reruns selection."""
    search, select, score = (stage_files(REPO, s) for s in ("search", "select", "score"))
    assert "src/abmcts/score/plots.py" in score
    assert "src/abmcts/score/plots.py" not in search
    assert not any(f.startswith("src/abmcts/select/") for f in search)
    assert "src/abmcts/sandbox/_worker.py" in search  # run as a script, not imported
    assert not any(f.startswith(("src/abmcts/search/vis/", "src/abmcts/treeview/")) for f in search)
    assert not any("offline" in f for f in stage_files(REPO, "fetch"))
    for stage in (search, select, score):
        assert not any(f.startswith("src/abmcts/tracking/") for f in stage)
    for engine in ("src/abmcts/search/", "src/abmcts/sandbox/", "src/abmcts/experiment/runner.py"):
        assert not any(f.startswith(engine) for f in select), engine


def test_library_code_imports_llm_names_from_their_modules():
    """`abmcts.llm` loads its names lazily; importing them from the package would hide the
    dependency from the stage closures above."""
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "src").rglob("*.py")
        if p.name != "__init__.py" and "from abmcts.llm import " in p.read_text()
    ]
    assert offenders == []


def test_dvc_yaml_writes_exactly_the_fixed_run_paths():
    """DVC's outputs are the paths the stages write with run.dir=exp, all under exp/ (never runs/,
    where plain runs live), and neither cache is an output DVC could replace."""
    from abmcts.experiment.config import RootConfig
    from abmcts.experiment.paths import DVC_RUN_DIR, RunPaths

    dvc = yaml.safe_load((REPO / "dvc.yaml").read_text())
    assert f"run.dir={DVC_RUN_DIR}" in dvc["vars"][1]["hydra_args"]
    cfg = RootConfig()
    cfg.run.dir = DVC_RUN_DIR
    paths = RunPaths.of(cfg)
    declared = set()
    for stage in dvc["stages"].values():
        for kind in ("outs", "metrics", "plots"):
            declared |= {next(iter(o)) if isinstance(o, dict) else o for o in stage.get(kind, [])}
    declared = {d for d in declared if not d.startswith("${data_dir}")}
    written = {
        paths.trees, paths.task_ids, paths.config, paths.provenance, paths.search_summary,
        paths.attempts, paths.selection, paths.submission, paths.submissions,
        paths.metrics, paths.summary, paths.pass_at_k, paths.per_task,
        *(paths.plots / f"{name}.png" for name in ("pass_at_k", "model_allocation", "cost")),
    }  # fmt: skip
    assert declared == {str(p) for p in written}
    assert all(d.startswith(f"{DVC_RUN_DIR}/") for d in declared)
    (metrics,) = dvc["stages"]["score"]["metrics"]
    assert next(iter(metrics)) == str(paths.summary)


def test_queued_experiments_share_the_workspace_caches(tmp_path, monkeypatch):
    """DVC runs a queued experiment in a temporary copy and points DVC_ROOT at the workspace:
    relative cache paths and a relative sqlite MLflow store resolve there, absolute ones stay."""
    from abmcts.experiment.config import RootConfig
    from abmcts.experiment.shared import anchor_shared_paths

    cfg = RootConfig()
    cfg.cache.executions_path = "/elsewhere/executions.sqlite"
    assert anchor_shared_paths(cfg) is cfg  # outside DVC: unchanged
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    anchored = anchor_shared_paths(cfg)
    assert anchored.cache.path == str(tmp_path / "cache/responses.sqlite")
    assert anchored.cache.executions_path == "/elsewhere/executions.sqlite"
    assert anchored.tracking.uri == f"sqlite:///{tmp_path}/mlflow.db"
    cfg.tracking.uri = "http://127.0.0.1:5000"
    assert anchor_shared_paths(cfg).tracking.uri == "http://127.0.0.1:5000"


def summary_metrics(repo: Path) -> dict[str, dict]:
    """`dvc exp show --json`: each experiment's name -> its summary.json metrics (and its state)."""
    shown = json.loads(sh(repo, "dvc", "exp", "show", "--json").stdout)
    found = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            for rev in exp["revs"]:
                metrics = (rev.get("data") or {}).get("metrics") or {}
                data = metrics.get("exp/selection/summary.json", {}).get("data")
                found[rev["name"]] = {"state": rev.get("data", {}).get("status"), **(data or {})}
    return found


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cache_rows(path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return {key for (key,) in conn.execute("SELECT key FROM responses")}


def test_dvc_repro_runs_all_stages_and_reports_metrics(dvc_repo):
    sh(dvc_repo, "dvc", "repro")
    shown = json.loads(sh(dvc_repo, "dvc", "metrics", "show", "--json").stdout)
    (metrics,) = [m["data"] for m in shown[""]["data"].values()]
    assert metrics == {**metrics, "calls": 8}
    assert set(metrics) == {"pass_at_budget", "pass_at_2", "official_score", "calls", "cost_usd"}
    assert all(isinstance(v, int | float) for v in metrics.values())
    plots = sh(dvc_repo, "dvc", "plots", "show", "--json").stdout
    assert "pass_at_k.png" in plots and "model_allocation.png" in plots
    status = sh(dvc_repo, "dvc", "status").stdout
    assert "changed" not in status  # a second repro has nothing to do
    sh(dvc_repo, "git", "add", "-A")
    sh(dvc_repo, "git", "commit", "-qm", "repro")


@pytest.mark.slow
def test_plain_runs_and_the_cache_survive_dvc_experiments(dvc_repo, tmp_path):
    """Plain runs (default-named and named) and the response cache come through `dvc exp run`
    and `dvc exp apply` byte for byte and row for row; `dvc exp show --json` compares the
    experiments by number; `dvc exp apply` restores an experiment's trees; `dvc plots diff`
    renders offline."""
    sh(dvc_repo, sys.executable, "pipeline/run.py", *SMOKE)
    sh(dvc_repo, sys.executable, "pipeline/run.py", *SMOKE, "run.name=mine", "search=repeated_sampling")
    runs = files(dvc_repo / "runs")
    assert {"arc1_training-ab_mcts_a-offline-b4-s0/sakana/metrics.json", "mine/sakana/metrics.json"} <= set(
        runs
    )
    cache = dvc_repo / "cache" / "responses.sqlite"
    rows = cache_rows(cache)
    inode = cache.stat().st_ino

    # `-S` composes conf/ afresh (Hydra), so every experiment states the smoke overrides too
    sh(
        dvc_repo,
        "dvc",
        "exp",
        "run",
        "-n",
        "rs",
        "-S",
        "search=repeated_sampling",
        *[f"-S{o}" for o in SMOKE],
    )
    assert "algorithm: repeated_sampling" in (dvc_repo / "params.yaml").read_text()
    rs_trees = files(dvc_repo / "exp" / "trees")
    assert len(rs_trees) == 2
    trees = [read_tree(dvc_repo / "exp" / "trees" / name) for name in rs_trees]
    assert all(n["parent"] is None for t in trees for n in t["nodes"])  # repeated sampling: all roots
    sh(dvc_repo, "dvc", "exp", "run", "-n", "seed1", "-S", "seed=1", *[f"-S{o}" for o in SMOKE])
    assert files(dvc_repo / "exp" / "trees") != rs_trees

    sh(dvc_repo, "dvc", "exp", "apply", "rs")
    assert files(dvc_repo / "exp" / "trees") == rs_trees  # the experiment's trees, restored
    assert files(dvc_repo / "runs") == runs  # plain runs: untouched
    assert cache.stat().st_ino == inode and cache_rows(cache) >= rows  # the cache: never replaced or shrunk

    metrics = summary_metrics(dvc_repo)
    assert {"rs", "seed1"} <= set(metrics)
    for name in ("rs", "seed1"):
        assert isinstance(metrics[name]["pass_at_2"], float) and metrics[name]["calls"] == 8

    out = tmp_path / "plots"
    sh(dvc_repo, "dvc", "plots", "diff", "rs", "seed1", "-o", str(out))
    page = (out / "index.html").read_text()
    assert "<script" not in page and "http" not in page  # nothing to fetch: renders offline
    images = sorted(p.name for p in (out / "static").iterdir())
    assert len(images) == 6 and all(p.endswith(".png") for p in images)
    assert page.count("<img") == 6
    # and a browser with no network draws them: the screenshot is mostly not blank page
    from PIL import Image

    from abmcts.treeview.browser import screenshot

    shot = screenshot((out / "index.html").as_uri(), tmp_path / "plots.png", size="1400,1000")
    gray = Image.open(shot).convert("L")
    drawn = sum(gray.histogram()[:200])  # pixels darker than the page
    assert drawn > 0.05 * gray.width * gray.height


@pytest.mark.slow
def test_a_queued_sweep_with_two_workers_finishes_and_shows(tmp_path_factory):
    """`dvc exp run --queue` x3, `dvc queue start -j 2`: all three finish and show with numbers,
    and they searched through the workspace's response cache (DVC_ROOT), not their temporary
    copies' (deleted with them)."""
    root = copy_project(tmp_path_factory.mktemp("queue"), with_src=True)
    shutil.copytree(REPO / ".dvc", root / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    shutil.copy(REPO / ".gitignore", root / ".gitignore")
    (root / "dvc.lock").unlink()
    sh(root, "git", "init", "-q")
    sh(root, sys.executable, "pipeline/params.py", *SMOKE)
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "init")
    for seed in (1, 2, 3):
        sh(
            root,
            "dvc",
            "exp",
            "run",
            "--queue",
            "-n",
            f"s{seed}",
            f"-Sseed={seed}",
            *[f"-S{o}" for o in SMOKE],
        )
    sh(root, "dvc", "queue", "start", "-j", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = sh(root, "dvc", "queue", "status").stdout
        if not any(word in status for word in ("Queued", "Running")):
            break
        time.sleep(3)
    assert status.count("Success") == 3, status
    metrics = summary_metrics(root)
    assert {"s1", "s2", "s3"} <= set(metrics)
    assert all(isinstance(metrics[f"s{s}"]["pass_at_2"], float) for s in (1, 2, 3))
    assert len(cache_rows(root / "cache" / "responses.sqlite")) >= 8  # grown by the queued runs
    assert not (root / "runs").exists()
