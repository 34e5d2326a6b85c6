"""Tracking's store: a new sqlite store made from the template is the store MLflow would have made itself: the same
schema and migration head, its Default experiment with this store's own artifact location, and
the tracking pipeline works on it; an existing store and other URIs are never touched; and MLflow
sends no telemetry from a tracked run."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from abmcts.tracking.runs import connect
from abmcts.tracking.seed import seed_sqlite_store


def schema(path: Path) -> tuple:
    """Tables with their columns and indexes, the migration head and the Default experiment (column
    lists, not CREATE texts: MLflow's own migrations word a table's constraints in varying order)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        names = [
            r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        tables = {
            name: (
                db.execute(f"PRAGMA table_info('{name}')").fetchall(),
                sorted(r[1] for r in db.execute(f"PRAGMA index_list('{name}')")),
            )
            for name in names
        }
        head = db.execute("SELECT version_num FROM alembic_version").fetchall()
        default = db.execute(
            "SELECT name, artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = 0"
        ).fetchall()
    return tables, head, default


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "abmcts" / "mlflow"


def test_a_seeded_store_is_the_one_mlflow_makes(tmp_path, cache, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    MlflowClient("sqlite:///made.db").search_experiments()  # MLflow's own, in the same directory
    client, experiment_id = connect("sqlite:///seeded.db", "abmcts")
    assert client.get_experiment(experiment_id).name == "abmcts"
    assert schema(tmp_path / "seeded.db") == schema(tmp_path / "made.db")
    assert (tmp_path / "seeded.db").stat().st_size > 0 and len(list(cache.iterdir())) == 1
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_the_template_is_made_once_and_existing_stores_are_left_alone(tmp_path, cache):
    seed_sqlite_store(f"sqlite:///{tmp_path / 'a.db'}")
    (template,) = cache.iterdir()
    made = template.stat().st_mtime_ns
    seed_sqlite_store(f"sqlite:///{tmp_path / 'b' / 'c.db'}")  # a missing folder is made too
    assert template.stat().st_mtime_ns == made and (tmp_path / "b" / "c.db").exists()
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"not mine")
    for uri in (
        f"sqlite:///{existing}",
        "sqlite:///:memory:",
        f"postgresql://db/{tmp_path}",
        "file:./mlruns",
    ):
        seed_sqlite_store(uri)
    assert existing.read_bytes() == b"not mine" and len(list(tmp_path.glob("*.db"))) == 2


RACE = """
import sys
from abmcts.tracking.runs import connect
client, experiment_id = connect(sys.argv[1], "abmcts")
print(experiment_id)
"""


def test_processes_seeding_one_store_at_once_share_it(tmp_path, cache):
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, uri], stdout=subprocess.PIPE, env=env) for _ in range(3)
    ]
    ids = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs) and len(ids) == 1
    assert not list(tmp_path.glob(".*seeding"))


TELEMETRY = """
import os
os.environ.pop("MLFLOW_DISABLE_TELEMETRY", None)
os.environ.pop("DO_NOT_TRACK", None)
from abmcts.tracking.runs import connect
connect("sqlite:///store.db", "abmcts")
from mlflow.telemetry.client import get_telemetry_client
from mlflow.telemetry.utils import is_telemetry_disabled
print(is_telemetry_disabled(), get_telemetry_client())
"""


def test_tracking_never_sends_mlflow_telemetry(tmp_path, cache):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_CURRENT_TEST")}
    out = subprocess.run(
        [sys.executable, "-c", TELEMETRY], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "None"]
