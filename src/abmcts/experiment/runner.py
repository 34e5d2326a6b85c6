"""Run one task's search: glue the search algorithm, the model client and the sandbox.

The tree file is the single source of truth for a task: it is checkpointed atomically every few
calls, so a killed run resumes from the last checkpoint and the response cache covers the calls
made after it (no model call is ever paid twice).

A search is a coroutine (`TaskSearch.arun`), so one process keeps many tasks in flight while they
wait on model APIs; the program runs go to the sandbox pool on a thread, off the event loop. A
spend cap ends a search cleanly before a call its client's spend ledger does not admit
(`abmcts.llm.ledger.SpendStopped`): the tree is written complete with a `stop_reason`, as if the
call had never been asked for, and a later run with a higher cap resumes it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmcts.arc.extract import NoCodeError, extract_code
from abmcts.arc.node import TreeNode
from abmcts.arc.prompts import PromptTemplates, messages_for, prompt_hash
from abmcts.arc.reward import reward as compute_reward
from abmcts.arc.task import Grid, Task
from abmcts.arc.treefile import TreeEncoder, read_tree_nodes
from abmcts.errors import InputError
from abmcts.experiment.config import SearchConfig
from abmcts.experiment.provenance import digest, ensure_tree_settings
from abmcts.io import atomic_write_text, read_json
from abmcts.llm.aio import run_sync
from abmcts.llm.ledger import SpendStopped
from abmcts.sandbox.pool import ExecResult, ProgramExecutor
from abmcts.search import make_algorithm
from abmcts.search.state import Trial

PHASES = ("search", "prompt", "llm", "sandbox", "checkpoint")
# Why a search stopped before its budget (`stop_reason`; absent when it reached the budget). The
# cap and call-budget stops are resumed by a later run; a settled search is finished (see `settled`).
SETTLED, CALL_BUDGET = "settled", "call_budget"

Messages = list[dict[str, str]]  # one chat prompt: [{"role": ..., "content": ...}]


def task_seed(seed: int, task_id: str) -> int:
    """A per-task seed that does not depend on which tasks run or in which order."""
    digest = hashlib.sha256(f"{seed}:{task_id}".encode()).hexdigest()
    return int(digest[:8], 16)


def settled(nodes: list[TreeNode]) -> bool:
    """The run-wide call budget's early stop: two or more different programs solve every
    demonstration and all of them give the same test outputs, so more calls could at best find the
    same answer again (the saved calls go to tasks still open; `abmcts.experiment.callbudget`)."""
    solved = [n for n in nodes if n["reward"] == 1.0 and n["code"] is not None]
    return len({n["code"] for n in solved}) >= 2 and len({repr(n["test_outputs"]) for n in solved}) == 1


def program_inputs(task: Task) -> list[Grid]:
    """The grids every program runs on: the train inputs, then the test inputs."""
    return [p.input for p in task.train] + list(task.test_inputs)


@dataclass(frozen=True)
class ProgramRun:
    """What one program did on a task: outputs per grid, which demonstrations it solved, its reward."""

    train_outputs: list[Grid | None]
    test_outputs: list[Grid | None]
    train_correct: list[bool]
    reward: float
    errors: list[str | None] | None  # per grid (train, then test); None when every grid ran

    @property
    def first_error(self) -> str | None:
        return next((e for e in self.errors or () if e), None)


def score_program(task: Task, results: list[ExecResult], reward_kind: str) -> ProgramRun:
    """A program's sandbox results on `program_inputs(task)`, scored on the train demonstrations."""
    outputs = [r.output for r in results]
    n_train = len(task.train)
    train_out, test_out = outputs[:n_train], outputs[n_train:]
    expected = [p.output for p in task.train]
    correct = [o is not None and o == e for o, e in zip(train_out, expected, strict=True)]
    errors = [f"{r.kind}: {r.error}" if r.error else None for r in results]
    return ProgramRun(
        train_outputs=train_out,
        test_outputs=test_out,
        train_correct=correct,
        reward=compute_reward(train_out, expected, kind=reward_kind),
        errors=errors if any(errors) else None,
    )


class TaskSearch:
    """The search over one task; `run()` drives it to the budget, checkpointing as it goes.

    Per-task work is done once: the initial prompt is rendered once, a refinement prompt once per
    parent, the input grids are built once, and each node is encoded to JSON once (a checkpoint
    joins the stored fragments instead of re-encoding the whole tree; see `treefile.TreeEncoder`).
    `timings` holds the seconds spent per phase (`PHASES`) for benchmarks; it is never written to
    the tree file.
    """

    def __init__(
        self,
        task: Task,
        settings: SearchConfig,
        client: Any,
        models: list[str],
        executor: ProgramExecutor,
        templates: PromptTemplates,
        tree_path: str | os.PathLike[str],
        *,
        seed: int = 0,
        provenance: dict[str, Any] | None = None,
        on_node: Callable[[TreeNode], None] | None = None,
        call_limit: int | None = None,
    ) -> None:
        if not models:
            raise InputError("search: no models configured")
        self.task = task
        self.settings = settings
        self.client = client
        self.models = list(models)
        self.executor = executor
        self.templates = templates
        self.tree_path = Path(tree_path)
        self.provenance = provenance  # what shapes this tree (`provenance.tree_settings`), checked on resume
        self.algo = make_algorithm(settings.algorithm, seed=task_seed(seed, task.task_id), **settings.params)
        self.nodes: list[TreeNode] = []
        self.tree = self.algo.init_tree()
        self.timings: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        # per node: was its response a cache hit (None = loaded from a checkpoint); never in the tree file
        self.cached: list[bool | None] = []
        self._request_counts: Counter[tuple[str, str]] = Counter()
        self._encoder = TreeEncoder()
        self._prompts: dict[int | None, tuple[Messages, str]] = {}
        self._grids = program_inputs(task)
        self.on_node = on_node
        self.stop_reason: str | None = None  # set when a spend cap or the call budget ended the search
        # the run-wide call budget's share for this task (None: the search's own budget only);
        # with it, a settled search stops early
        self.call_limit = call_limit

    def header(self, complete: bool) -> dict[str, Any]:
        """The tree as a dict, nodes with their grids (the form `treefile.read_tree_nodes` returns).

        `stop_reason` is there only when a spend cap ended the search early, so a tree searched to
        its budget has the same bytes whether or not a cap was configured.
        """
        stamp: dict[str, Any] = {} if self.provenance is None else {"settings": self.provenance}
        if self.provenance is not None:
            stamp["fingerprint"] = digest(self.provenance)
        header = {
            **stamp,
            "task_id": self.task.task_id,
            "complete": complete,
            "budget": self.settings.budget,
            "algorithm": self.settings.algorithm,
            "models": self.models,
            "nodes": self.nodes,
            "search_state": self.tree.to_dict(),
        }
        if self.stop_reason is not None and complete:
            header["stop_reason"] = self.stop_reason
        return header

    def resume(self) -> bool:
        """Load a checkpoint if one exists; True when the task is already complete."""
        if not self.tree_path.exists():
            return False
        data = read_json(self.tree_path, "tree checkpoint")
        where = f"tree checkpoint {self.tree_path}"
        if not isinstance(data, dict) or data.get("task_id") != self.task.task_id:
            raise InputError(f"{where}: not a tree file for task {self.task.task_id!r}")
        if self.provenance is not None:  # its settings include the budget and the algorithm
            ensure_tree_settings(data, self.provenance, where)
        elif data.get("budget") != self.settings.budget or data.get("algorithm") != self.settings.algorithm:
            raise InputError(
                f"{where}: written with budget={data.get('budget')} algorithm={data.get('algorithm')}, "
                f"now budget={self.settings.budget} algorithm={self.settings.algorithm}; use a new run name"
            )
        nodes = read_tree_nodes(data, where)
        try:
            self.tree = self.algo.load_tree(data["search_state"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: corrupted ({exc})") from None
        if len(self.tree) != len(nodes):
            raise InputError(f"{where}: corrupted ({len(nodes)} nodes, search_state has {len(self.tree)})")
        self.nodes = nodes
        self.cached = [None] * len(nodes)
        self._encoder = TreeEncoder()
        for node in self.nodes:
            self._encoder.add(node)
            self._request_counts[(node["model"], node["prompt_hash"])] += 1
        # a search a spend cap or call budget stopped is finished only for it: go on (a higher one
        # continues it); a settled one is finished for the run-wide call budget only
        stop = data.get("stop_reason")
        done = stop is None or (stop == SETTLED and self.call_limit is not None)
        if data.get("complete") and done:
            self.stop_reason = stop
            return True
        return False

    def write(self, complete: bool) -> None:
        """Write the tree file (`treefile.TREE_FORMAT`) atomically."""
        start = time.perf_counter()
        header = {k: v for k, v in self.header(complete).items() if k != "nodes"}
        atomic_write_text(self.tree_path, self._encoder.dumps(header))
        self.timings["checkpoint"] += time.perf_counter() - start

    def _prompt(self, parent: TreeNode | None) -> tuple[Messages, str]:
        """Messages and prompt hash for expanding `parent` (None = root), rendered once per parent."""
        key = None if parent is None else parent["id"]
        if key not in self._prompts:
            messages = messages_for(self.task, self.templates, parent)
            self._prompts[key] = (messages, prompt_hash(messages))
        return self._prompts[key]

    def run(self) -> dict[str, Any]:
        """Blocking `arun` (on the process's event loop)."""
        return run_sync(self.arun())

    async def arun(self) -> dict[str, Any]:
        """Search to the budget (or a spend cap) from any checkpoint; the finished tree as a dict."""
        if self.resume():
            return self.header(complete=True)
        clock, timings = time.perf_counter, self.timings
        since_checkpoint, last_checkpoint = 0, clock()
        limit = (
            self.settings.budget if self.call_limit is None else min(self.settings.budget, self.call_limit)
        )
        while len(self.nodes) < limit and not (self.call_limit is not None and settled(self.nodes)):
            batch = min(self.settings.batch_size, limit - len(self.nodes))
            t0 = clock()
            # a client with a spend ledger may refuse the batch: keep what to roll back to (a fork
            # is O(1): the old state keeps reading as it was while the new one is changed)
            capped = getattr(self.client, "account", None) is not None
            before = (self.tree, self._request_counts.copy()) if capped else None
            if capped:
                self.tree = self.tree.fork()
            self.tree, trials = self.algo.ask_batch(self.tree, batch, self.models)
            t1 = clock()
            prompts = []
            for trial in trials:
                parent = None if trial.parent_state is None else self.nodes[trial.parent_state]
                messages, phash = self._prompt(parent)
                prompts.append((trial, parent, messages, phash))
            requests: list[tuple[Trial, TreeNode | None, Messages, str, int]] = []
            for trial, parent, messages, phash in prompts:
                sample_index = self._request_counts[(trial.action, phash)]
                self._request_counts[(trial.action, phash)] += 1
                requests.append((trial, parent, messages, phash, sample_index))
            t2 = clock()
            try:
                completions = await self.client.acomplete_many(
                    [(trial.action, messages, index) for trial, _, messages, _, index in requests],
                    task=self.task.task_id,
                )
            except SpendStopped as stop:  # not admitted by the spend caps: stop here, as if never asked
                if before is None:  # only a client with a spend account stops
                    raise
                self.tree, self._request_counts = before
                self.stop_reason = stop.reason
                break
            timings["search"] += t1 - t0
            timings["prompt"] += t2 - t1
            timings["llm"] += clock() - t2
            for (trial, parent, _messages, phash, index), completion in zip(
                requests, completions, strict=True
            ):
                node = await self._make_node(trial.action, parent, phash, index, completion)
                self.nodes.append(node)
                self.cached.append(completion.cached)
                self._encoder.add(node)
                t3 = clock()
                self.tree = self.algo.tell(self.tree, trial.trial_id, (node["id"], node["reward"]))
                timings["search"] += clock() - t3
                if self.on_node is not None:
                    self.on_node(node)
            since_checkpoint += len(trials)
            if (
                since_checkpoint >= self.settings.checkpoint_every
                and clock() - last_checkpoint >= self.settings.checkpoint_min_s
            ):
                self.write(complete=False)
                since_checkpoint, last_checkpoint = 0, clock()
        if self.stop_reason is None and len(self.nodes) < self.settings.budget:  # only under a call limit
            self.stop_reason = (
                SETTLED if settled(self.nodes) else CALL_BUDGET
            )  # CALL_BUDGET: a later pass goes on
        self.write(complete=True)
        return self.header(complete=True)

    async def _make_node(
        self, model: str, parent: TreeNode | None, phash: str, sample_index: int, completion: Any
    ) -> TreeNode:
        n_train, n_test = len(self.task.train), len(self.task.test_inputs)
        code, error = None, completion.error
        run = ProgramRun([None] * n_train, [None] * n_test, [False] * n_train, 0.0, None)
        if error is None:
            try:
                code = extract_code(completion.text)
            except NoCodeError as exc:
                error = f"no_code: {exc}"
        if code is not None:
            start = time.perf_counter()
            # a cached result is read here; only a real execution waits on a thread, off the loop
            lookup = getattr(self.executor, "lookup", None)
            results: list[ExecResult] | None = lookup(code, self._grids) if lookup is not None else None
            if results is None:
                results = await asyncio.to_thread(self.executor.run, code, self._grids)
            run = score_program(self.task, results, self.settings.reward)
            error = run.first_error
            self.timings["sandbox"] += time.perf_counter() - start
        return TreeNode(
            id=len(self.nodes),
            parent=None if parent is None else parent["id"],
            model=model,
            prompt_hash=phash,
            sample_index=sample_index,
            code=code,
            reward=run.reward,
            train_correct=run.train_correct,
            train_outputs=run.train_outputs,
            test_outputs=run.test_outputs,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            cost=completion.cost,
            latency_s=completion.latency_s,
            error=error,
            exec_errors=run.errors,
        )
