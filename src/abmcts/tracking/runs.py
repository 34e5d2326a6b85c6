"""Run groups: a Hydra multirun is one parent run, a pipeline run one run under it, each selection
strategy one child of that; stages find their run by tags, so separate processes (DVC stages,
sweep jobs) join the same group.

Tags used for finding runs: `abmcts.kind` (sweep | pipeline | selection), `abmcts.run_key`
(a hash of the run directory, its settings and task ids: one pipeline run per run, across resumes) and `abmcts.sweep` (a hash of the multirun's sweep directory and
command line). The parent link is MLflow's own `mlflow.parentRunId`, which the UI nests by.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmcts.arc.datasource import data_location
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths, data_spec
from abmcts.experiment.provenance import digest, run_settings
from abmcts.experiment.taskset import selected_task_ids
from abmcts.io import read_json
from abmcts.tracking.provenance import provenance_tags
from abmcts.tracking.redact import REDACTED, redact
from abmcts.tracking.seed import seed_sqlite_store

log = logging.getLogger(__name__)

KIND, RUN_KEY, SWEEP = "abmcts.kind", "abmcts.run_key", "abmcts.sweep"
PARENT = "mlflow.parentRunId"
NOTE = "mlflow.note.content"  # shown as the run's description in the UI
END_REASON = "abmcts.end_reason"
_OPEN: dict[tuple[str, ...], str] = {}  # runs this process created or joined, by their finding key


@dataclass(frozen=True)
class Tracker:
    """An open MLflow run and the client that writes to it."""

    client: Any
    experiment_id: str
    run_id: str


@dataclass(frozen=True)
class Sweep:
    key: str
    job: int
    label: str


def connect(uri: str, experiment: str) -> tuple[Any, str]:
    """Client and experiment id (the experiment created on first use: the one place that does so);
    also points mlflow's global tracing at the same store."""
    import mlflow
    from mlflow.tracking import MlflowClient

    seed_sqlite_store(uri)
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    return client, found.experiment_id if found else client.create_experiment(experiment)


def current_sweep() -> Sweep | None:
    """This Hydra multirun job's sweep, or None outside a multirun."""
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode
    except ImportError:
        return None
    if not HydraConfig.initialized():
        return None
    hydra = HydraConfig.get()
    if hydra.mode != RunMode.MULTIRUN:
        return None
    sweep_dir = str(Path(hydra.sweep.dir).resolve())
    key = hashlib.sha256("\0".join([sweep_dir, *sys.argv]).encode()).hexdigest()[:16]
    return Sweep(key=key, job=int(hydra.job.num), label=" ".join(sys.argv[1:])[:200])


def _quote(value: str) -> str:
    return "'" + value.replace("'", "") + "'"  # our tag values are hex digests and run ids


def latest_run(client: Any, experiment_id: str, tags: dict[str, str]) -> str | None:
    """The newest run carrying all `tags`."""
    where = " and ".join(f"tags.`{k}` = {_quote(v)}" for k, v in tags.items())
    runs = client.search_runs([experiment_id], where, max_results=1, order_by=["attribute.start_time DESC"])
    return runs[0].info.run_id if runs else None


def _sweep_parent(client: Any, experiment_id: str, sweep: Sweep) -> str:
    """Job 0 creates the multirun's parent; later jobs (this process or another) find it by tag."""
    key = ("sweep", client.tracking_uri, sweep.key)
    run_id = _OPEN.get(key)
    if run_id is None and sweep.job != 0:
        run_id = latest_run(client, experiment_id, {KIND: "sweep", SWEEP: sweep.key})
    if run_id is None:
        run = client.create_run(
            experiment_id,
            run_name=f"multirun {sweep.key[:6]}",
            tags={KIND: "sweep", SWEEP: sweep.key, NOTE: f"Hydra multirun: {sweep.label}"},
        )
        run_id = run.info.run_id
    _OPEN[key] = run_id
    return run_id


def run_key(cfg: RootConfig) -> str:
    """A run's identity for MLflow: its directory, settings and task ids. A resume (same three) finds
    its pipeline run again; another DVC experiment in the same fixed directory (other settings) or
    another task selection gets its own."""
    paths = RunPaths.of(cfg)
    ids = selected_task_ids(cfg, list(read_json(paths.tasks, "tasks file")))
    parts = [str(paths.run_dir.resolve()), digest(run_settings(cfg)), *ids]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _pipeline_run(client: Any, experiment_id: str, cfg: RootConfig, stage: str, parent: str | None) -> str:
    """One pipeline run per run (`run_key`): the first stage to run creates it, every later stage
    and every resume reopens it (in a sweep, moved under the sweep that resumes it)."""
    run_dir = str(RunPaths.of(cfg).run_dir.resolve())
    identity = run_key(cfg)
    key = ("pipeline", client.tracking_uri, identity)
    run_id = _OPEN.get(key)
    wanted = {KIND: "pipeline", RUN_KEY: identity}
    if run_id is None:
        run_id = latest_run(client, experiment_id, wanted)
        if run_id is not None and stage == "search":
            log.info("MLflow: resuming pipeline run %r (%s) of %s", cfg.run.name, run_id, run_dir)
    if run_id is not None and parent is not None:
        client.set_tag(run_id, PARENT, parent)
    if run_id is None:
        tags = {
            **wanted,
            **({PARENT: parent} if parent else {}),
            "abmcts.run_dir": run_dir,
            "data": cfg.data.name,
            "search": cfg.search.name,
            "models": cfg.models.name,
            "run": cfg.run.name,
            **provenance_tags(cfg),
        }
        run_id = client.create_run(experiment_id, run_name=cfg.run.name, tags=tags).info.run_id
        log_dataset(client, run_id, cfg, context="search")
    _OPEN[key] = run_id
    return run_id


def log_dataset(client: Any, run_id: str, cfg: RootConfig, context: str) -> None:
    """The run's ARC tasks as an MLflow dataset input (name, digest, source): the Dataset column."""
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.entities import DatasetInput, InputTag

    paths = RunPaths.of(cfg)
    ids = selected_task_ids(cfg, list(read_json(paths.tasks, "tasks file")))
    digest = hashlib.sha256(paths.tasks.read_bytes() + "\0".join(ids).encode()).hexdigest()[:16]
    data = cfg.data
    raw_source = data_location(data_spec(cfg), paths.tasks)
    name = (
        data.name
        if data.task_ids is None and data.offset == 0 and data.limit is None
        else f"{data.name}[{len(ids)}]"
    )
    with warnings.catch_warnings():  # a local path matches two registered source kinds; either is right
        warnings.simplefilter("ignore", UserWarning)
        source = resolve_dataset_source(raw_source)
    # mlflow marks Dataset.profile @abstractmethod without ABCMeta: MetaDataset is concrete at runtime
    dataset = MetaDataset(source=source, name=name, digest=digest)  # type: ignore[abstract]
    entity = DatasetInput(dataset._to_mlflow_entity(), tags=[InputTag("mlflow.data.context", context)])
    client.log_inputs(run_id, datasets=[entity])


def _end(client: Any, run_ids: list[str], status: str, reason: str | None) -> None:
    for run_id in run_ids:
        if reason is not None:
            clean = redact({"reason": reason})["reason"]
            text = clean if clean == REDACTED else str(clean)[:1000]
            client.set_tag(run_id, END_REASON, text)
            client.set_tag(run_id, NOTE, f"{status}: {text}")
        client.set_terminated(run_id, status=status)


@contextlib.contextmanager
def stage_run(cfg: RootConfig, stage: str) -> Iterator[Tracker]:
    """The pipeline run (and sweep parent) marked RUNNING for the stage; ended FINISHED, FAILED or
    KILLED (Ctrl-C) with the reason as a tag and as the run's description."""
    client, experiment_id = connect(cfg.tracking.uri, cfg.tracking.experiment)
    sweep = current_sweep()
    parent = _sweep_parent(client, experiment_id, sweep) if sweep else None
    run_id = _pipeline_run(client, experiment_id, cfg, stage, parent)
    group = [run_id, *([parent] if parent else [])]
    for rid in group:
        client.update_run(rid, status="RUNNING")
    try:
        yield Tracker(client, experiment_id, run_id)
    except KeyboardInterrupt:
        _end(client, group, "KILLED", f"{stage} stage interrupted (KeyboardInterrupt)")
        raise
    except BaseException as exc:
        _end(client, group, "FAILED", f"{stage} stage failed: {type(exc).__name__}: {exc}")
        raise
    _end(client, group, "FINISHED", None)


def forget_open_runs() -> None:
    """Drop this process's memory of open runs (tests; a new sweep in the same process)."""
    _OPEN.clear()
