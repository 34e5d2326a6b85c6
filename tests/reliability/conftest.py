"""Reliability fixtures: one pipeline run against misbehaving loopback model servers, shared by the
fault and the secrets tests (litellm costs ~5 s to import, so the run happens once per session)."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rel_helpers import (  # noqa: E402
    FAULT_RATES,
    FAULT_SEED,
    KEY_ENV,
    MAX_RETRIES,
    RETRY_AFTER_S,
    RUN_NAME,
    SMOKE,
    EchoAuthServer,
    copy_project,
    run_cli,
    run_pipeline,
    write_models,
)


@dataclass
class FaultRun:
    root: Path
    returncode: int
    stdout: str
    stderr: str
    outcomes: list[str]  # the fault server's chat requests, in arrival order
    times: list[float]
    echo_requests: int
    canary: str


@pytest.fixture(scope="session")
def fault_run(tmp_path_factory) -> FaultRun:
    """run.py (fetch, search, select, score, MLflow) with two remote models on loopback:
    `fault/a` on the fault-injection server (71% faulty answers) and `echo/b` on a server that
    rejects every call with 401 and quotes the API key; both read a canary key from the env."""
    from abmcts.testing.provider import ProviderConfig, ProviderSimulator

    root = copy_project(tmp_path_factory.mktemp("faults"))
    canary = f"sk-canary-{uuid.uuid4()}"
    config = ProviderConfig(**FAULT_RATES, retry_after_s=RETRY_AFTER_S, slow_s=4.0, seed=FAULT_SEED)
    with ProviderSimulator(config) as srv, EchoAuthServer() as echo:
        common = {"api_key_env": KEY_ENV, "max_concurrency": 1, "max_retries": MAX_RETRIES, "backoff_s": 0.01}
        write_models(
            root,
            "faulty",
            [
                {
                    "name": "fault/a",
                    "model": "openai/fault-a",
                    "api_base": srv.api_base,
                    "timeout_s": 1.5,
                    **common,
                },
                {
                    "name": "echo/b",
                    "model": "openai/echo-b",
                    "api_base": echo.api_base,
                    "timeout_s": 5.0,
                    **common,
                },
            ],
        )
        done = run_pipeline(
            root,
            "run",
            "experiment=smoke",
            "data.limit=1",
            "search.budget=12",
            "executor=sequential",
            "models=faulty",
            "tracking=mlflow_local",
            env={KEY_ENV: canary},
        )
        log = srv.completions()
        return FaultRun(
            root=root,
            returncode=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            outcomes=[r.outcome for r in log],
            times=[r.t for r in log],
            echo_requests=echo.requests,
            canary=canary,
        )


@pytest.fixture(scope="session")
def smoke_baseline(tmp_path_factory) -> Path:
    """A finished smoke run (all four stages, sequential, no tracking), made once per session."""
    root = copy_project(tmp_path_factory.mktemp("baseline"))
    code, _, err = run_cli(root, ["fetch", "search", "select", "score"], SMOKE)
    assert code == 0, err
    assert (root / f"runs/{RUN_NAME}/sakana/metrics.json").exists()
    # the run's caches may still be open in this process (the event loop's thread keeps its
    # connections): fold their write-ahead logs into the files, so a copy of a file is the whole
    # database and a test that corrupts it really corrupts it
    for store in (root / "cache").glob("*.sqlite"):
        with contextlib.closing(sqlite3.connect(store)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return root


@pytest.fixture
def project(smoke_baseline, tmp_path) -> Path:
    """A private copy of the finished smoke run, for a test to corrupt or rerun."""
    root = tmp_path / "p"
    shutil.copytree(smoke_baseline, root)
    return root
