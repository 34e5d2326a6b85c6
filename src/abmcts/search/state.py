"""Search state: flat node arrays, pending trials, per-algorithm statistics and the RNG, all JSON-serialisable.

All search state lives here so algorithm objects stay stateless and a checkpoint (``to_dict``)
resumes bit-identically. TreeQuest's object views (``state.tree`` with ``Node`` objects,
``state.trial_store``) are built on demand from the flat arrays and never serialised; so are
trial timestamps, so a checkpoint never depends on wall-clock time.

``fork`` gives ``step`` TreeQuest's copy semantics at O(1): see ``abmcts.search.versions``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from abmcts.search import versions
from abmcts.search.errors import SearchInputError
from abmcts.search.tree import Node, Tree

FORMAT_VERSION = 1


TrialStatus = Literal["RUNNING", "INVALID", "COMPLETE"]
_SAVED_TRIAL_FIELDS = ("trial_id", "action", "parent_state", "parent_id")


def now_utc() -> str:
    return datetime.now(tz=UTC).isoformat()


@dataclass(frozen=True)
class Trial:
    """One requested expansion: call model ``action`` on ``parent_state`` (None = root).

    ``parent_id`` is our flat node id (root 0); ``node_to_expand`` is TreeQuest's ``expand_idx`` of
    the same node (root -1). Timestamps and status are kept in memory only.
    """

    trial_id: str
    action: str
    parent_state: Any
    parent_id: int
    score: float | None = None
    created_at: str | None = field(default_factory=now_utc, compare=False)  # None: loaded from a checkpoint
    completed_at: str | None = field(default=None, compare=False)
    trial_status: TrialStatus = "RUNNING"

    @property
    def node_to_expand(self) -> int:
        return self.parent_id - 1

    def finished(self, status: TrialStatus, score: float | None = None) -> Trial:
        return dataclasses.replace(self, score=score, completed_at=now_utc(), trial_status=status)

    def saved(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _SAVED_TRIAL_FIELDS}


@dataclass(frozen=True)
class Observation:
    """One told score, as TreeQuest's AB-MCTS-M records it (``state.all_observations``)."""

    reward: float
    action: str
    node_expand_idx: int


@dataclass(frozen=True)
class HeapItem:
    """A best-first candidate, as TreeQuest's ``state.leaves`` holds it (smallest ``sort_index`` first)."""

    node: Any
    score: float
    sort_index: tuple[float, int]


class TrialStore:
    """TreeQuest's ``state.trial_store``, read from the search state (queued parents live in its stats)."""

    def __init__(self, state: SearchState) -> None:
        self._state = state

    @property
    def running_trials(self) -> dict[str, Trial]:
        return dict(self._state.pending)  # a copy: a later step from this state must not change it

    @property
    def finished_trials(self) -> dict[str, Trial]:
        return dict(self._state.finished)

    @property
    def next_nodes(self) -> dict[str, list[Node]]:
        queue = self._state.stats.get("queue", {})
        tree = self._state.tree
        return {a: [tree.get_node(i - 1) for i in ids] for a, ids in queue.items()}

    def is_queue_empty(self) -> bool:
        return not any(self._state.stats.get("queue", {}).values())


def _rng_to_dict(rng: np.random.Generator) -> dict[str, Any]:
    st = rng.bit_generator.state
    return {
        "bit_generator": st["bit_generator"],
        "state": str(st["state"]["state"]),
        "inc": str(st["state"]["inc"]),
        "has_uint32": int(st["has_uint32"]),
        "uinteger": int(st["uinteger"]),
    }


def _rng_from_dict(d: dict[str, Any]) -> np.random.Generator:
    if d.get("bit_generator") != "PCG64":
        raise SearchInputError(f"tree rng: unsupported bit_generator {d.get('bit_generator')!r}")
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": int(d["state"]), "inc": int(d["inc"])},
        "has_uint32": int(d["has_uint32"]),
        "uinteger": int(d["uinteger"]),
    }
    return rng


class SearchState:
    """Nodes are integers; node 0 is the root (no state, no score, no action).

    What TreeQuest calls the algorithm state: ``init_tree`` returns it, ``ask``/``tell``/``step``
    take and return it.
    """

    def __init__(self, algorithm: str, params: dict[str, Any], seed: int | None) -> None:
        self.algorithm = algorithm
        self.params = dict(params)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.parent: list[int | None] = [None]
        self.action: list[str | None] = [None]
        self.state: list[Any] = [None]
        self.score: list[float | None] = [None]
        self.children: list[list[int]] = [[]]
        self.trial_ids: list[str | None] = [None]  # the trial that made each node (derived from ``done``)
        self.pending: dict[str, Trial] = {}
        self.done: dict[str, int] = {}
        # every told or invalidated trial with its status (in memory only: holds timestamps)
        self.finished: dict[str, Trial] = {}
        self.next_trial = 0
        # per action: [calls, sum, max]
        self.totals: dict[str, list[float]] = {}
        # algorithm-specific JSON-safe statistics
        self.stats: dict[str, Any] = {}
        # derived, never serialised (pure function of the stats, so caching cannot change results)
        self.cache: dict[Any, Any] = {}
        self._tree: Tree | None = None
        # undo log of the state this one was forked from (None: nothing to keep; see versions.py)
        self._journal: list[versions.LogEntry] | None = None
        self._pred: weakref.ref[versions.Frozen] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> SearchState:
        data = versions.live_dict(self)
        new = copy.copy(self)
        memo[id(self)] = new
        for key, value in data.items():
            if key in versions.PER_VERSION_HIDDEN:
                value = None
            setattr(new, key, {} if key == "cache" else copy.deepcopy(value, memo))
        return new

    def __getattr__(self, name: str) -> Any:
        """Only reached for attributes a stepped-from state gave away: rebuild its own copy first."""
        if name.startswith("__") or not versions.thaw(self):
            raise AttributeError(name)
        return getattr(self, name)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in versions.live_dict(self).items() if k not in versions.PER_VERSION_HIDDEN}

    def __setstate__(self, d: dict[str, Any]) -> None:
        self.__dict__.update(d, _journal=None, _pred=None)

    # ---- undo journal: every change to a shared container goes through one of these ---------
    def will_set(self, container: Any, key: Any) -> None:
        """Before ``container[key]`` is assigned, deleted or (a dict key) added."""
        j = self._journal
        if j is not None:
            if isinstance(container, dict) and key not in container:
                j.append((versions.DEL, container, key))
            else:
                j.append((versions.SET, container, key, container[key]))

    def will_grow(self, items: list[Any]) -> None:
        """Before items are appended to ``items``."""
        j = self._journal
        if j is not None:
            j.append((versions.TRUNC, items, len(items)))

    def will_pop(self, items: list[Any]) -> None:
        """Before the last item of ``items`` is popped."""
        j = self._journal
        if j is not None:
            j.append((versions.APPEND, items, items[-1]))

    def touch(self, items: list[Any] | dict[Any, Any]) -> None:
        """Before a small list or dict is changed in place in any way (its contents are saved)."""
        j = self._journal
        if j is not None:
            j.append((versions.RESTORE, items, items.copy()))

    @property
    def tree(self) -> Tree:
        """TreeQuest's ``state.tree``: ``Node`` objects over the flat arrays, built once and kept in step."""
        if self._tree is None:
            self._tree = Tree.mirror(self)
        return self._tree

    @property
    def trial_store(self) -> TrialStore:
        return TrialStore(self)

    def fork(self) -> SearchState:
        """TreeQuest's ``copy.deepcopy(state)`` in O(1): the returned state takes over the data and this one
        keeps an undo log, so it still reads as before (see ``abmcts.search.versions``)."""
        return versions.fork(self)

    # ---- TreeQuest's per-algorithm state fields, read from the flat arrays ----------------------
    @property
    def scores_by_action(self) -> dict[str, list[float]]:
        """Every told score per action, in telling order (TreeQuest: ``scores_by_action``, ``all_rewards_store``)."""
        out: dict[str, list[float]] = {}
        for i in range(1, len(self.parent)):
            _, action, score = self.edge(i)
            out.setdefault(action, []).append(score)
        return out

    all_rewards_store = scores_by_action

    @property
    def all_observations(self) -> dict[int, Observation]:
        out: dict[int, Observation] = {}
        for i in range(1, len(self.parent)):
            _, action, score = self.edge(i)
            out[i - 1] = Observation(score, action, i - 1)
        return out

    @property
    def visit_counts(self) -> dict[int, int]:
        """StandardMCTS's visits per ``expand_idx`` (root -1); empty for other algorithms."""
        return {i - 1: v for i, v in enumerate(self.stats.get("visits", []))}

    @property
    def value_sums(self) -> dict[int, float]:
        return {i - 1: v for i, v in enumerate(self.stats.get("value_sum", []))}

    @property
    def priors(self) -> dict[int, float]:
        """StandardMCTS's softmax priors of nodes that have siblings (the others count as 1.0)."""
        prior = self.stats.get("prior", [])
        return {i - 1: prior[i] for i in range(1, len(prior)) if len(self.children[self.edge(i)[0]]) > 1}

    @property
    def leaves(self) -> list[HeapItem]:
        """Best-first search's candidate heap (its ``stats["leaves"]``; empty for other algorithms)."""
        tree = self.tree
        return [
            HeapItem(tree.get_node(i - 1), -neg, (neg, depth))
            for neg, depth, i in self.stats.get("leaves", [])
        ]

    def __len__(self) -> int:
        """Number of generated nodes (the root is not counted)."""
        return len(self.parent) - 1

    def edge(self, node_id: int) -> tuple[int, str, float]:
        """Parent, action and score of a generated node (all None only for the root, node 0)."""
        parent, action, score = self.parent[node_id], self.action[node_id], self.score[node_id]
        if parent is None or action is None or score is None:
            raise ValueError(f"node {node_id} is the root: it has no parent, action or score")
        return parent, action, score

    def new_trial(self, parent_id: int, action: str) -> Trial:
        trial = Trial(f"t{self.next_trial}", action, self.state[parent_id], parent_id)
        self.next_trial += 1
        self.will_set(self.pending, trial.trial_id)
        self.pending[trial.trial_id] = trial
        return trial

    def finish(self, trial_id: str, status: TrialStatus, score: float | None = None) -> Trial:
        """Move a running trial to ``finished`` with ``status``."""
        self.will_set(self.pending, trial_id)
        self.will_set(self.finished, trial_id)
        trial = self.finished[trial_id] = self.pending.pop(trial_id).finished(status, score)
        return trial

    def invalidate(self, action: str) -> None:
        """Drop the running trials of ``action``: their results will be ignored."""
        for trial_id in [t for t, trial in self.pending.items() if trial.action == action]:
            self.finish(trial_id, "INVALID")

    def trial_of_node(self, node_id: int) -> str | None:
        return self.trial_ids[node_id]

    def add_node(
        self, parent_id: int, action: str, state: Any, score: float, trial_id: str | None = None
    ) -> int:
        node_id = len(self.parent)
        if self._journal is not None:
            for items in (self.trial_ids, self.parent, self.action, self.state, self.score, self.children):
                self.will_grow(items)
            self.will_grow(self.children[parent_id])
            if trial_id is not None:
                self.will_set(self.done, trial_id)
            if action in self.totals:
                self.touch(self.totals[action])
            else:
                self.will_set(self.totals, action)
        self.trial_ids.append(trial_id)
        if trial_id is not None:
            self.done[trial_id] = node_id
        self.parent.append(parent_id)
        self.action.append(action)
        self.state.append(state)
        self.score.append(score)
        self.children.append([])
        self.children[parent_id].append(node_id)
        tot = self.totals.setdefault(action, [0, 0.0, -math.inf])
        tot[0] += 1
        tot[1] += score
        tot[2] = max(tot[2], score)
        if self._tree is not None:
            self._tree.mirror_append(self, node_id)
        return node_id

    def path_to_root(self, node_id: int) -> list[int]:
        """``[node_id, parent, ..., 0]``."""
        path = [node_id]
        while (p := self.parent[path[-1]]) is not None:
            path.append(p)
        return path

    def action_stats(self) -> dict[str, dict[str, float]]:
        """Per action: completed calls, mean and max score (for model-allocation plots)."""
        return {
            a: {"calls": int(n), "mean": s / n, "max": m, "pending": self._pending_of(a)}
            for a, (n, s, m) in self.totals.items()
        }

    def _pending_of(self, action: str) -> int:
        return sum(1 for t in self.pending.values() if t.action == action)

    def state_score_pairs(self) -> list[tuple[Any, float]]:
        return [(self.state[i], self.edge(i)[2]) for i in range(1, len(self.parent))]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot including the RNG, from which ``from_dict`` resumes exactly."""
        return {
            "format_version": FORMAT_VERSION,
            "algorithm": self.algorithm,
            "params": copy.deepcopy(self.params),
            "nodes": [
                {
                    "parent": self.parent[i],
                    "action": self.action[i],
                    "state": copy.deepcopy(self.state[i]),
                    "score": self.score[i],
                }
                for i in range(len(self.parent))
            ],
            "pending": [t.saved() for t in self.pending.values()],
            "done": dict(self.done),
            "next_trial": self.next_trial,
            "totals": {a: [int(n), s, m] for a, (n, s, m) in self.totals.items()},
            "stats": copy.deepcopy(self.stats),
            "rng": _rng_to_dict(self.rng),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SearchState:
        """Inverse of ``to_dict`` (also accepts the result of a JSON round trip)."""
        if not isinstance(d, dict) or d.get("format_version") != FORMAT_VERSION:
            got = d.get("format_version") if isinstance(d, dict) else type(d).__name__
            raise SearchInputError(f"tree dict: format_version {got!r} is not {FORMAT_VERSION}")
        tree = cls(d["algorithm"], d["params"], 0)
        nodes = d["nodes"]
        tree.parent = [n["parent"] for n in nodes]
        tree.action = [n["action"] for n in nodes]
        tree.state = [copy.deepcopy(n["state"]) for n in nodes]
        tree.score = [n["score"] for n in nodes]
        tree.children = [[] for _ in nodes]
        for i, p in enumerate(tree.parent):
            if p is not None:
                tree.children[p].append(i)
        tree.pending = {t["trial_id"]: Trial(**t) for t in d["pending"]}
        tree.done = {k: int(v) for k, v in d["done"].items()}
        tree.trial_ids = [None] * len(nodes)
        for k, v in tree.done.items():
            tree.trial_ids[v] = k
        tree.finished = {}
        for k, v in tree.done.items():
            parent, action, score = tree.edge(v)
            tree.finished[k] = Trial(k, action, tree.state[parent], parent, score, None, None, "COMPLETE")
        tree.next_trial = int(d["next_trial"])
        tree.totals = {a: [int(n), float(s), float(m)] for a, (n, s, m) in d["totals"].items()}
        tree.stats = copy.deepcopy(d["stats"])
        tree.rng = _rng_from_dict(d["rng"])
        return tree
