"""Run many tasks' searches: each search is a coroutine, so a process keeps many in flight.

The scheduler (`executor.backend`):

* `local` (the default): `executor.n_jobs` worker processes on this machine (one: this process).
  Each takes tasks from a shared queue and keeps up to `tasks_in_flight` of them searching at once
  on its event loop: model calls go out through litellm's async API, programs run in the sandbox
  pool (on threads, off the loop) and offline models on a thread pool. Each model's limits
  (`max_concurrency`, `rpm`, `tpm`) are split across the processes (`abmcts.llm.limits.share_of`),
  so they hold for the machine. Several processes are there for the CPU-bound work (offline models,
  search, the execution cache), which one process's GIL would serialise.
* `sequential`: in this process, one task after another (debugging, profiling).
* `dask` / `ray`: joblib jobs of `tasks_in_flight` tasks each on a cluster; every worker process
  runs its job's tasks the same way. Limits are divided by `n_jobs` in each worker process, so they
  hold cluster-wide when n_jobs is the cluster's number of worker processes.

Every process reserves and settles its paid requests in the run's spend ledger (a SQLite file in
the run directory, `abmcts.llm.ledger`), so the spend caps hold across all of them; the main
process opens it first (settling what a killed run left open) and the progress bar reads it.

At batch size 1 every task's search is the sequential AB-MCTS loop, so trees do not depend on the
backend or on how many tasks are in flight. Each worker process builds its model client and
sandbox pool once; a task's result is its tree file on disk, so workers send back small summaries.

Start-up (what delays the first request): the local workers are forked from a fork server that
imports the search runtime, and litellm when a remote model is configured (~4 s), once for all of
them; the search stage starts them before its checks (`start_workers`), and their client build is
the models' check, so this process never imports litellm. Its own checks and the MLflow run
(entered on a thread by the stage) overlap their start.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import logging
import math
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from abmcts.arc.node import TreeNode
from abmcts.arc.prompts import PromptTemplates
from abmcts.arc.task import Task
from abmcts.errors import AbmctsError, ConfigError
from abmcts.experiment.config import CacheConfig, ExecutorConfig, RootConfig, SandboxConfig
from abmcts.experiment.forkserver import entry_script_not_rerun, start_fork_server
from abmcts.experiment.gc_schedule import schedule_collections
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.progress import RunProgress
from abmcts.experiment.provenance import tree_settings
from abmcts.experiment.runner import TaskSearch
from abmcts.experiment.spend import check_caps, model_problems, needs_ledger, open_ledger, run_account
from abmcts.llm.aio import run_sync
from abmcts.llm.backends import backend_of
from abmcts.llm.client import ONE_PROCESS, LimitShare
from abmcts.llm.limits import share_of
from abmcts.sqlite_store import checkpoint

_WORKER_STATE: dict[str, Any] = {}
RAY_OBJECT_STORE_BYTES = 128 << 20  # tasks and summaries are tiny; CI containers may have a small /dev/shm
PROGRESS_EVERY_S = 0.25  # how often a worker process reports calls and spend between task results
Job = tuple[Task, str, int | None]  # a task, its tree file, its call limit (None: the search budget)
Report = Callable[[str, Any], None]  # ("task", summary) | ("progress", (calls, cost))


def build_client(cfg: RootConfig, share: LimitShare = ONE_PROCESS, ledger: bool = False) -> Any:
    """The model client for this config; fails fast on unknown models, missing API keys, and (with
    a cost cap) models without a price or a max_tokens, all of them in one error. With `ledger`
    (and a paid model) its requests go through the run's spend ledger."""
    from abmcts.llm.cache import ResponseCache
    from abmcts.llm.client import LLMClient

    specs = {m.name: m for m in cfg.models.specs}
    problems = model_problems(cfg, list(specs.values()))
    if problems:
        raise ConfigError("; ".join(problems))
    account = run_account(cfg, "search") if ledger and needs_ledger(cfg.models.specs) else None
    return LLMClient(specs, ResponseCache(cfg.cache.path, cfg.cache.mode), share=share, account=account)


def build_executor(cfg: SandboxConfig, forbidden: list[str], cache: CacheConfig | None = None) -> Any:
    """The sandbox pool; generated programs cannot open the `forbidden` paths (the solutions).

    With `cache` (mode not off, `executions` on) results are cached beside the response cache
    (`cache.executions_path`, see `abmcts.sandbox.cache`), keyed on code, input grids and these limits.
    """
    from abmcts.sandbox.pool import Executor

    forbidden_paths = [str(Path(p).resolve()) for p in forbidden]
    executor = Executor(
        n_workers=cfg.workers,
        timeout_s=cfg.timeout_s,
        memory_mb=cfg.memory_mb,
        forbidden_paths=forbidden_paths,
        allow_unconfined=cfg.allow_unconfined,
    )
    if cache is None or cache.mode == "off" or not cache.executions:
        return executor
    from abmcts.sandbox.cache import CachedExecutor

    # "confined": results of programs that could read the answers (earlier sandboxes, or
    # allow_unconfined) must never answer for a confined run
    limits = {
        "timeout_s": cfg.timeout_s,
        "memory_mb": cfg.memory_mb,
        "forbidden": forbidden_paths,
        "confined": bool(executor.isolation.get("confined")),
    }
    return CachedExecutor(executor, cache.executions_path, limits, cache.mode)


def _worker_resources(cfg: RootConfig, share: LimitShare) -> tuple[Any, Any]:
    """Client and sandbox pool of this process, rebuilt only when the config or the share changes."""
    key = repr((cfg.models, cfg.cache, cfg.sandbox, cfg.data_dir, cfg.data.name, cfg.run, cfg.search, share))
    if _WORKER_STATE.get("key") != key:
        _close_worker_resources()
        solutions = RunPaths.of(cfg).solutions
        executor = build_executor(cfg.sandbox, [str(solutions.parent)], cfg.cache)
        _WORKER_STATE.update(key=key, client=build_client(cfg, share, ledger=True), executor=executor)
    return _WORKER_STATE["client"], _WORKER_STATE["executor"]


def _close_worker_resources() -> None:
    executor, client = _WORKER_STATE.pop("executor", None), _WORKER_STATE.pop("client", None)
    if executor is not None:
        executor.close()
    if client is not None:
        client.close()
        if client.account is not None:
            client.account.close()
    _WORKER_STATE.clear()


atexit.register(_close_worker_resources)


class _Meter:
    """Calls and spend of this process, reported at most every PROGRESS_EVERY_S; cache counters
    handed to each finished task as the change since the previous one (exact sums over tasks)."""

    def __init__(self, client: Any, executor: Any, report: Report) -> None:
        self.client, self.executor, self.report = client, executor, report
        self.calls, self.cost, self.last_report = 0, 0.0, time.monotonic()
        self.cache, self.executions = client.cache.stats.as_dict(), _exec_stats(executor)

    def node(self, node: TreeNode) -> None:
        self.calls += 1
        self.cost += node["cost"]
        if time.monotonic() - self.last_report >= PROGRESS_EVERY_S:
            self.flush()

    def flush(self) -> None:
        if self.calls:
            self.report("progress", (self.calls, self.cost))
        self.calls, self.cost, self.last_report = 0, 0.0, time.monotonic()

    def task_done(self, summary: dict[str, Any]) -> None:
        cache, executions = self.client.cache.stats.as_dict(), _exec_stats(self.executor)
        summary["cache"] = {k: cache[k] - self.cache.get(k, 0) for k in cache}
        summary["executions"] = {k: executions[k] - self.executions.get(k, 0) for k in executions}
        self.cache, self.executions = cache, executions
        self.flush()
        self.report("task", summary)


def _exec_stats(executor: Any) -> dict[str, int]:
    stats = getattr(executor, "stats", None)
    return stats.as_dict() if stats is not None else {}


async def search_tasks(
    cfg: RootConfig,
    next_task: Callable[[], Awaitable[Job | None]],
    in_flight: int,
    share: LimitShare,
    report: Report,
) -> None:
    """Keep up to `in_flight` searches running, taking tasks from `next_task()` until it gives None.

    A task's summary (keys: task_id, calls, best_reward, cost, stop_reason, cached, cache,
    executions, timings_s) is reported as it finishes; an error cancels the other searches and is raised.
    """
    schedule_collections()  # whichever process this is: a local worker, Dask's, Ray's, or the caller
    client, executor = _worker_resources(cfg, share)
    templates = PromptTemplates(initial=cfg.prompts.initial, refinement=cfg.prompts.refinement)
    models = [m.name for m in cfg.models.specs]
    meter = _Meter(client, executor, report)

    async def lane() -> None:
        while (item := await next_task()) is not None:
            task, tree_path, call_limit = item
            start = time.perf_counter()
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
                on_node=meter.node,
                call_limit=call_limit,
            )
            record = await search.arun()
            meter.task_done(
                {
                    "task_id": task.task_id,
                    "calls": len(record["nodes"]),
                    "best_reward": max((n["reward"] for n in record["nodes"]), default=0.0),
                    "cost": sum(n["cost"] for n in record["nodes"]),
                    "stop_reason": record.get("stop_reason"),
                    "cached": search.cached,  # per node id; None for nodes resumed from a checkpoint
                    "timings_s": {**search.timings, "task": time.perf_counter() - start},
                }
            )

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(in_flight):
                group.create_task(lane())
    except BaseExceptionGroup as errors:  # the first search's error, as a sequential run raises it
        raise errors.exceptions[0] from None


def _collect_tasks(out: list[dict[str, Any]]) -> Report:
    return lambda kind, payload: out.append(payload) if kind == "task" else None


def tasks_in_flight(cfg: RootConfig, n_processes: int) -> int:
    """Tasks each process keeps searching: `executor.tasks_in_flight`, or enough to fill the
    process's share of every remote model's `max_concurrency` at the configured batch size.

    In-process models (offline; `BackendKind.in_process`) are CPU-bound in this process: more
    searches in flight would only interleave them (measured: a replay 15% slower with 10 than
    with 1), so they add one search, not their concurrency.
    """
    if cfg.executor.backend == "sequential":
        return 1
    if cfg.executor.tasks_in_flight is not None:
        return cfg.executor.tasks_in_flight
    remote = [m for m in cfg.models.specs if not backend_of(m).in_process]
    slots = sum(share_of(m.max_concurrency, 0, n_processes) for m in remote)
    return max(1, math.ceil(slots / cfg.search.batch_size))


def local_processes(cfg: RootConfig, n_tasks: int) -> int:
    """Worker processes the local scheduler starts for `n_tasks` tasks (1: this process)."""
    if cfg.executor.backend == "sequential":
        return 1
    return max(1, min(local_workers(cfg.executor.n_jobs), n_tasks))


def sum_counts(items: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Counters (cache hits, timings...) of several task summaries or passes, added up by key."""
    total: dict[str, float] = {}
    for item in items:
        for key, value in item.items():
            total[key] = total.get(key, 0) + value
    return total


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
    if cfg.backend != "dask":  # local and sequential run without joblib (see run_tasks)
        yield {"backend": "sequential", "n_jobs": 1}
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
    quiet: dict[str, Any] = {
        "logging_level": logging.ERROR,
        "log_to_driver": False,
    }  # worker logs: /tmp/ray/session_latest
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
    limits: Mapping[str, int] | None = None,
    pool: WorkerPool | None = None,
) -> list[dict]:
    """Search all tasks; `on_result(summary)` is called here as each task's summary arrives.

    `limits` caps some tasks' calls below the search budget (a pass of the run-wide call budget).
    `pool`: worker processes started earlier (`start_workers`), else they are started here when
    the local scheduler wants more than this process. Call it holding the run lock: it settles
    what a killed run left open in the spend ledger.
    """
    prepare_stores(cfg)
    paths.trees.mkdir(parents=True, exist_ok=True)
    jobs = [(task, str(paths.tree(task.task_id)), (limits or {}).get(task.task_id)) for task in tasks]
    local = cfg.executor.backend not in ("dask", "ray")
    collected: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        if local:  # the next run in this process must not reuse a stale client
            stack.callback(_close_worker_resources)
        if pool is None:  # worker processes start first: their start-up overlaps the checks below
            pool = stack.enter_context(start_workers(cfg, len(jobs)))
        ledger = None
        if needs_ledger(cfg.models.specs):  # before any worker is given a task
            from abmcts.llm.cache import ResponseCache

            cache = ResponseCache(cfg.cache.path, cfg.cache.mode)
            costs = None if paths.ledger.exists() else recorded_costs(paths, tasks)
            ledger = open_ledger(paths, cache, costs)
            cache.close()
            stack.callback(ledger.close)
        check_models(cfg, pool)
        check_caps(cfg, tasks)
        bar = stack.enter_context(
            contextlib.closing(RunProgress(len(jobs), f"search {cfg.run.name}", progress))
        )

        def report(kind: str, payload: Any) -> None:
            billed = ledger.totals().counted if ledger is not None else None
            if kind == "progress":
                calls, cost = payload
                bar.calls(calls, cost, billed=billed)
                return
            if billed is not None:
                payload["run_billed_usd"] = billed  # the whole run's, from the ledger
            collected.append(payload)
            bar.task(payload, billed=billed)
            if on_result is not None:
                on_result(payload)

        if pool is not None:
            pool.run(jobs, report)
        elif local:
            _run_here(cfg, jobs, report)
        else:
            _run_on_cluster(cfg, jobs, report)
    return sorted(collected, key=lambda r: r["task_id"])


def check_models(cfg: RootConfig, pool: WorkerPool | None) -> None:
    """Fail fast (unknown model, missing key, unpriced model under a cap): the worker processes
    build their clients as they start and report the first error, so this process never imports
    what only they need (litellm, ~4 s); without workers, this process builds one itself."""
    if pool is not None:
        pool.wait_ready()
    else:
        build_client(cfg).close()


def recorded_costs(paths: RunPaths, tasks: list[Task]) -> dict[str, float]:
    """What the run's existing tree files recorded per task (carried into a new spend ledger)."""
    from abmcts.io import read_json

    costs = {}
    for task in tasks:
        path = paths.tree(task.task_id)
        if path.exists():
            data = read_json(path, "tree checkpoint")
            nodes = data.get("nodes") if isinstance(data, dict) else None
            costs[task.task_id] = sum(float(n.get("cost", 0.0)) for n in nodes or [] if isinstance(n, dict))
    return costs


def _run_here(cfg: RootConfig, jobs: list[Job], report: Report) -> None:
    pending = iter(jobs)

    async def next_task() -> Job | None:
        return next(pending, None)

    run_sync(search_tasks(cfg, next_task, tasks_in_flight(cfg, 1), LimitShare(), report))


def _process_main(cfg: RootConfig, share: LimitShare, inbox: Any, outbox: Any) -> None:
    """A local worker process: build the client and sandbox pool, say so, then search the jobs
    from `inbox` until a None per lane."""
    try:
        for module in _preload(cfg):  # what a fork server started for another config lacks
            importlib.import_module(module)
        _worker_resources(cfg, share)  # the models' check too: an error is reported before any task
        outbox.put(("ready", share.index))
        jobs = _Inbox(inbox)
        in_flight = tasks_in_flight(cfg, share.n)
        run_sync(search_tasks(cfg, jobs.get, in_flight, share, lambda k, p: outbox.put((k, p))))
        outbox.put(("done", share.index))
    except BaseException as exc:
        outbox.put(("error", _portable(exc)))
    finally:
        _close_worker_resources()
        checkpoint(*cfg.cache.store_paths(), wait=False)  # os._exit closes no connection
        outbox.close()
        outbox.join_thread()  # every message is out
        # every result is on disk (atomic tree files, autocommitted caches): skip the interpreter's
        # teardown (litellm's exit hooks, thread joins), seconds per process on a loaded machine
        os._exit(0)


class _Inbox:
    """The pool's job queue as seen by one worker's lanes: one thread takes a job off the shared
    queue each time a lane asks for one (so idle processes are the ones that take work), and no
    lane ties up a thread of the event loop's default executor while it waits (litellm needs them)."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox
        self.wanted = threading.Semaphore(0)
        self.items: asyncio.Queue[Job | None] | None = None

    def _read(self, loop: asyncio.AbstractEventLoop, items: asyncio.Queue[Job | None]) -> None:
        while True:
            self.wanted.acquire()
            item = self.inbox.get()
            loop.call_soon_threadsafe(items.put_nowait, item)

    async def get(self) -> Job | None:
        if self.items is None:  # first call, on the process's event loop
            self.items = asyncio.Queue()
            reader = (asyncio.get_running_loop(), self.items)
            threading.Thread(target=self._read, args=reader, name="search-inbox", daemon=True).start()
        self.wanted.release()
        return await self.items.get()


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling (our errors do), else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"worker process: {type(exc).__name__}: {exc}")
    return exc


@contextlib.contextmanager
def start_workers(cfg: RootConfig, n_tasks: int) -> Iterator[WorkerPool | None]:
    """The local scheduler's worker processes for `n_tasks` tasks, started now so their start-up
    (imports, model clients, sandbox pools) overlaps whatever this process does next; None when
    the tasks run in this process or on a cluster. They search nothing until `WorkerPool.run`."""
    n = local_processes(cfg, n_tasks)
    if cfg.executor.backend in ("dask", "ray", "sequential") or n < 2:
        yield None
        return
    with WorkerPool(cfg, n) as pool:
        yield pool


def prepare_stores(cfg: RootConfig) -> None:
    """Create the caches before any worker opens them, so workers never race to create a file
    (and a damaged or missing cache is one error here)."""
    if cfg.cache.mode == "off":
        return
    from abmcts.llm.cache import ResponseCache

    ResponseCache(cfg.cache.path, cfg.cache.mode).close()
    if cfg.cache.executions:
        from abmcts.sandbox.cache import open_store

        open_store(cfg.cache.executions_path).close()


def warm_up_workers(cfg: RootConfig) -> None:
    """Start the local workers' fork server with what they import (the search stage's warm-up)."""
    if cfg.executor.backend == "local" and local_workers(cfg.executor.n_jobs) > 1:
        start_fork_server(_preload(cfg))


def _preload(cfg: RootConfig) -> list[str]:
    """What the worker processes' fork server imports before it forks them (it lives as long as
    this process, so the first pool decides; what is missing a worker imports itself)."""
    kinds = {spec.backend_name: backend_of(spec) for spec in cfg.models.specs}
    return [__name__, *sorted({module for kind in kinds.values() for module in kind.preload})]


class WorkerPool:
    """`n` worker processes sharing a queue of jobs (context manager).

    Each builds its model client and sandbox pool as it starts and reports ready (or its error);
    `run` hands them a batch of jobs and relays their reports until every job is done, so one
    pool serves every pass of a call-budgeted search.
    """

    def __init__(self, cfg: RootConfig, n: int) -> None:
        prepare_stores(cfg)
        # forked from a fresh single-threaded server that imported what they need once (never from
        # this process: it has threads), instead of each importing it again after a spawn
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_preload(cfg))
        self.inbox, self.outbox = ctx.Queue(), ctx.Queue()
        self.lanes = n * tasks_in_flight(cfg, n)
        self.procs = [
            ctx.Process(
                target=_process_main,
                args=(cfg, LimitShare(i, n), self.inbox, self.outbox),
                name=f"abmcts-search-{i}",
                daemon=True,
            )
            for i in range(n)
        ]
        self.waiting = set(range(n))  # not ready yet
        self.running = set(range(n))  # lanes not ended yet

    def __enter__(self) -> WorkerPool:
        with entry_script_not_rerun():
            for proc in self.procs:
                proc.start()
        return self

    def _next(self) -> tuple[str, Any]:
        """The next report (ready, progress, task, done), noting who is ready and who ended; raises
        a worker's error, or says which worker died without one."""
        while True:
            try:
                kind, payload = self.outbox.get(timeout=1.0)
                break
            except queue.Empty:
                dead = [p for i, p in enumerate(self.procs) if i in self.running and not p.is_alive()]
                if dead:
                    raise AbmctsError(
                        f"search worker {dead[0].name} died (exit code {dead[0].exitcode}); rerun to resume"
                    ) from None
        if kind == "error":
            raise payload
        if kind == "ready":
            self.waiting.discard(payload)
        elif kind == "done":
            self.running.discard(payload)
        return kind, payload

    def wait_ready(self) -> None:
        """Return once every worker has built its client and sandbox pool; raise the first error."""
        while self.waiting:
            self._next()  # nothing but readiness (or an error) comes before the first job

    def run(self, jobs: list[Job], report: Report) -> None:
        """Search `jobs` on the workers, passing their reports on until every job's summary is in."""
        for job in jobs:
            self.inbox.put(job)
        left = len(jobs)
        while left:
            kind, payload = self._next()
            if kind in ("task", "progress"):
                left -= kind == "task"
                report(kind, payload)
            elif not self.running:
                raise AbmctsError(f"search workers ended with {left} task(s) left; rerun to resume")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:  # every lane ends, the workers close their caches and exit
            for _ in range(self.lanes):
                self.inbox.put(None)
            with contextlib.suppress(AbmctsError):
                while self.running:
                    self._next()
        for proc in self.procs:
            if proc.is_alive() and self.running:  # stopped early (an error here or in a worker)
                proc.terminate()
            proc.join(timeout=30)
        self.inbox.close()
        self.outbox.close()


def _cluster_chunk(cfg: RootConfig, jobs: list[Job], n: int) -> list:
    """One joblib job on a cluster worker: these tasks as coroutines, this process's share of the
    limits (process 0 of n: every worker takes the same share); the spend ledger is the run's."""
    out: list[dict[str, Any]] = []
    pending = iter(jobs)

    async def next_task() -> Job | None:
        return next(pending, None)

    run_sync(search_tasks(cfg, next_task, len(jobs), LimitShare(0, n), _collect_tasks(out)))
    return out


def _run_on_cluster(cfg: RootConfig, jobs: list[Job], report: Report) -> None:
    from joblib import Parallel, delayed, parallel_config

    n = local_workers(cfg.executor.n_jobs)
    size = tasks_in_flight(cfg, n)
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    with joblib_backend(cfg.executor) as backend, parallel_config(**backend):
        # joblib's ray backend is a multiprocessing pool: lists only, so its bar moves at the end
        return_as = "list" if cfg.executor.backend == "ray" else "generator_unordered"
        results = Parallel(return_as=return_as)(delayed(_cluster_chunk)(cfg, c, n) for c in chunks)
        for summaries in results:
            for summary in summaries:
                report("progress", (summary["calls"], summary["cost"]))
                report("task", summary)
