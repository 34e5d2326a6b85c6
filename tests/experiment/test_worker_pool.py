"""Worker processes start before the checks and the MLflow run: the first request waits for neither."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import contextmanager

from abmcts.experiment.parallel import run_tasks, start_workers
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.rundata import load_run_tasks
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage

from project_helpers import REPO, smoke_config


def test_the_search_does_not_wait_for_the_monitor_s_setup(tmp_path):
    """The monitor's setup (an MLflow run, in the pipeline) waits until a tree is on disk: had the
    search waited for the setup, it would never finish it."""
    cfg = smoke_config(tmp_path, "run", "executor=local", "executor.n_jobs=2", "data.limit=4")
    fetch_stage(cfg)
    trees, seen = RunPaths.of(cfg).trees, []

    @contextmanager
    def monitor(_cfg):
        deadline = time.monotonic() + 120
        while not any(trees.glob("*.json")):
            if time.monotonic() > deadline:
                raise TimeoutError("no tree was written while the monitor was setting up")
            time.sleep(0.05)
        yield seen.append

    summary = search_stage(cfg, progress=False, monitor=monitor)
    assert summary["tasks"] == 4
    assert sorted(r["task_id"] for r in seen) == sorted(p.stem for p in trees.glob("*.json"))


CHECK = """
import json, sys
from pathlib import Path
from abmcts.errors import AbmctsError
from abmcts.stages.search import search_stage
from project_helpers import smoke_config
tmp = Path(sys.argv[1])
cfg = smoke_config(tmp, "run", "executor=local", "executor.n_jobs=2", "models=keyed",
                   f"hydra.searchpath=[file://{tmp / 'conf'}]")
try:
    search_stage(cfg, progress=False)
    error = None
except AbmctsError as exc:
    error = str(exc)
print(json.dumps({"error": error, "litellm_here": "litellm" in sys.modules}))
"""


def test_a_worker_s_model_error_is_one_line_and_this_process_never_imports_litellm(tmp_path):
    (tmp_path / "conf" / "models").mkdir(parents=True)
    (tmp_path / "conf" / "models" / "keyed.yaml").write_text(
        json.dumps(
            {
                "name": "keyed",
                "specs": [{"name": "k", "model": "openai/k", "api_key_env": "ABMCTS_NO_SUCH_KEY"}],
            }
        )
    )
    fetch_stage(smoke_config(tmp_path, "run"))
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO / 'src'}:{REPO / 'tests'}"},
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (
        out["error"]
        == "model 'k' (openai/k): environment variable ABMCTS_NO_SUCH_KEY (api_key_env) is not set"
    )
    assert out["litellm_here"] is False  # the workers checked the model; only they need litellm


def test_one_pool_serves_several_batches_of_tasks(tmp_path):
    """As a call-budgeted search's passes use it: the same processes, batch after batch."""
    cfg = smoke_config(tmp_path, "run", "executor=local", "executor.n_jobs=2", "data.limit=4")
    fetch_stage(cfg)
    tasks, paths = list(load_run_tasks(cfg).values()), RunPaths.of(cfg)
    with start_workers(cfg, len(tasks)) as pool:
        pids = sorted(p.pid for p in pool.procs)
        first = run_tasks(cfg, tasks[:3], paths, progress=False, pool=pool)
        second = run_tasks(cfg, tasks[3:], paths, progress=False, pool=pool)
        assert sorted(p.pid for p in pool.procs) == pids and all(p.is_alive() for p in pool.procs)
    assert [r["task_id"] for r in first + second] == [t.task_id for t in tasks]
    assert all(r["calls"] == 8 for r in first + second)
    assert not any(p.is_alive() for p in pool.procs)  # closed: every lane ended, every worker exited
