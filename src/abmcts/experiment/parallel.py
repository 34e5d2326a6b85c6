"""Run many tasks' searches with joblib: local processes by default, a Dask or Ray cluster by config.

Each worker process builds its model client and sandbox pool once and reuses them for every task
it is given; a task's result is its tree file on disk, so workers return only a small summary.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from abmcts.arc.prompts import PromptTemplates
from abmcts.arc.task import Task
from abmcts.errors import ConfigError
from abmcts.experiment.config import CacheConfig, ExecutorConfig, RootConfig, SandboxConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import tree_settings
from abmcts.experiment.runner import TaskSearch

_WORKER_STATE: dict[str, Any] = {}
RAY_OBJECT_STORE_BYTES = 128 << 20  # tasks and summaries are tiny; CI containers may have a small /dev/shm


def build_client(cfg: RootConfig) -> Any:
    """The model client for this config; fails fast on unknown models or missing API keys."""
    from abmcts.llm.cache import ResponseCache
    from abmcts.llm.client import LLMClient

    specs = {m.name: m for m in cfg.models.specs}
    return LLMClient(specs, ResponseCache(cfg.cache.path, cfg.cache.mode))


def build_executor(cfg: SandboxConfig, forbidden: list[str], cache: CacheConfig | None = None) -> Any:
    """The sandbox pool; generated programs cannot open the `forbidden` paths (the solutions).

    With `cache` (mode not off, `executions` on) results are cached beside the response cache
    (see `abmcts.sandbox.cache`), keyed on code, input grids and these limits.
    """
    from abmcts.sandbox.pool import Executor

    forbidden_paths = [str(Path(p).resolve()) for p in forbidden]
    executor = Executor(
        n_workers=cfg.workers,
        timeout_s=cfg.timeout_s,
        memory_mb=cfg.memory_mb,
        forbidden_paths=forbidden_paths,
    )
    if cache is None or cache.mode == "off" or not cache.executions:
        return executor
    from abmcts.sandbox.cache import CachedExecutor

    limits = {"timeout_s": cfg.timeout_s, "memory_mb": cfg.memory_mb, "forbidden": forbidden_paths}
    return CachedExecutor(executor, cache.executions_path, limits)


def _worker_resources(cfg: RootConfig) -> tuple[Any, Any]:
    """Client and sandbox pool of this process, rebuilt only when the config changes."""
    key = repr((cfg.models, cfg.cache, cfg.sandbox, cfg.data_dir, cfg.data.name))
    if _WORKER_STATE.get("key") != key:
        _close_worker_resources()
        solutions = RunPaths.of(cfg).solutions
        executor = build_executor(cfg.sandbox, [str(solutions.parent)], cfg.cache)
        _WORKER_STATE.update(key=key, client=build_client(cfg), executor=executor)
    return _WORKER_STATE["client"], _WORKER_STATE["executor"]


def _close_worker_resources() -> None:
    executor = _WORKER_STATE.pop("executor", None)
    if executor is not None:
        executor.close()
    _WORKER_STATE.clear()


atexit.register(_close_worker_resources)


def search_one(cfg: RootConfig, task: Task, tree_path: str) -> dict[str, Any]:
    """Search one task to its budget (resuming any checkpoint) and summarise it."""
    start = time.perf_counter()
    client, executor = _worker_resources(cfg)
    before = client.cache.stats.as_dict()
    exec_before = _exec_stats(executor)
    templates = PromptTemplates(initial=cfg.prompts.initial, refinement=cfg.prompts.refinement)
    models = [m.name for m in cfg.models.specs]
    search = TaskSearch(
        task,
        cfg.search,
        client,
        models,
        executor,
        templates,
        tree_path,
        seed=cfg.seed,
        provenance=tree_settings(cfg, task),
    )
    record = search.run()
    after, exec_after = client.cache.stats.as_dict(), _exec_stats(executor)
    return {
        "task_id": task.task_id,
        "calls": len(record["nodes"]),
        "best_reward": max((n["reward"] for n in record["nodes"]), default=0.0),
        "cost": sum(n["cost"] for n in record["nodes"]),
        "cached": search.cached,  # per node id; None for nodes resumed from a checkpoint
        "cache": {k: after[k] - before.get(k, 0) for k in after},
        "executions": {k: exec_after[k] - exec_before.get(k, 0) for k in exec_after},
        "timings_s": {**search.timings, "task": time.perf_counter() - start},
    }


def _exec_stats(executor: Any) -> dict[str, int]:
    stats = getattr(executor, "stats", None)
    return stats.as_dict() if stats is not None else {}


def local_workers(n_jobs: int) -> int:
    """Workers of a throwaway local cluster, read as joblib reads n_jobs (-1 = all CPUs, -2 = all but one)."""
    return n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + n_jobs)


@contextlib.contextmanager
def joblib_backend(cfg: ExecutorConfig) -> Iterator[dict[str, Any]]:
    """joblib settings for the configured backend; `dask` and `ray` connect to (or start) a cluster."""
    if cfg.backend == "ray":
        with _ray_backend(cfg) as backend:
            yield backend
        return
    if cfg.backend != "dask":
        backend = {"sequential": "sequential", "threading": "threading"}.get(cfg.backend, "loky")
        yield {"backend": backend, "n_jobs": 1 if backend == "sequential" else cfg.n_jobs}
        return
    from dask.distributed import Client, LocalCluster

    cluster = None
    if cfg.address:
        client = Client(cfg.address)
    else:
        cluster = LocalCluster(
            n_workers=local_workers(cfg.n_jobs),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,  # a throwaway cluster: no dashboard
        )
        client = Client(cluster)
    try:
        yield {"backend": "dask", "n_jobs": -1}
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _ray_backend(cfg: ExecutorConfig) -> Iterator[dict[str, Any]]:
    """Connect to the Ray cluster at `cfg.address`, or start a quiet local one of n_jobs CPUs."""
    if not cfg.address:
        # Ray's single-machine mode: every process on 127.0.0.1 (read when Ray is first imported), so
        # like Dask's LocalCluster it needs no token (Ray would otherwise write ~/.ray/auth_token)
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError:
        raise ConfigError("config executor=ray: Ray is not installed; pip install 'abmcts[ray]'") from None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports sent from our runs
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}  # worker logs: /tmp/ray/session_latest
    if cfg.address:
        ray.init(address=cfg.address, **quiet)
    else:
        ray.init(
            address="local",  # a new instance, even if RAY_ADDRESS or a `ray start` cluster is around
            num_cpus=local_workers(cfg.n_jobs),
            include_dashboard=False,
            object_store_memory=RAY_OBJECT_STORE_BYTES,
            **quiet,
        )
    register_ray()
    try:
        yield {"backend": "ray", "n_jobs": -1}  # one task per CPU of the cluster
    finally:
        ray.shutdown()  # stops the local instance; with an address, only disconnects


def run_tasks(
    cfg: RootConfig,
    tasks: list[Task],
    paths: RunPaths,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict]:
    """Search all tasks; results come back as they finish so the progress bar moves.

    `on_result(summary)` runs in this (the main) process as each task's summary arrives, e.g. to
    log live progress; it runs while the workers go on searching.
    """
    from joblib import Parallel, delayed, parallel_config
    from tqdm import tqdm

    build_client(cfg)  # fail fast (unknown model, missing key) before any worker starts
    if cfg.cache.mode != "off" and cfg.cache.executions:
        from abmcts.sandbox.cache import open_store

        open_store(cfg.cache.executions_path).close()  # created once, before the workers
    paths.trees.mkdir(parents=True, exist_ok=True)
    jobs = [delayed(search_one)(cfg, task, str(paths.tree(task.task_id))) for task in tasks]
    try:
        with joblib_backend(cfg.executor) as backend, parallel_config(**backend):
            # joblib's ray backend is a multiprocessing pool: lists only, so its bar moves at the end
            return_as = "list" if cfg.executor.backend == "ray" else "generator_unordered"
            results = Parallel(return_as=return_as)(jobs)
            collected = []
            for result in tqdm(results, total=len(jobs), desc=f"search {cfg.run.name}", disable=not progress):
                collected.append(result)
                if on_result is not None:
                    on_result(result)
    finally:  # in-process tasks: also after an error, or the next run reuses a stale client and pool
        if cfg.executor.backend == "sequential":
            _close_worker_resources()
    return sorted(collected, key=lambda r: r["task_id"])
