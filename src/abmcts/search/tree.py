"""Search tree: nodes, pending trials, per-algorithm statistics and the RNG, all JSON-serialisable.

All search state lives here so algorithm objects stay stateless and a checkpoint (``to_dict``)
resumes bit-identically.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from abmcts.search.errors import SearchInputError

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Trial:
    """One requested expansion: call model ``action`` on ``parent_state`` (None = root)."""

    trial_id: str
    action: str
    parent_state: Any
    parent_id: int


def _rng_to_dict(rng: np.random.Generator) -> dict:
    st = rng.bit_generator.state
    return {
        "bit_generator": st["bit_generator"],
        "state": str(st["state"]["state"]),
        "inc": str(st["state"]["inc"]),
        "has_uint32": int(st["has_uint32"]),
        "uinteger": int(st["uinteger"]),
    }


def _rng_from_dict(d: dict) -> np.random.Generator:
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


class Tree:
    """Nodes are integers; node 0 is the root (no state, no score, no action)."""

    def __init__(self, algorithm: str, params: dict, seed: int | None) -> None:
        self.algorithm = algorithm
        self.params = dict(params)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.parent: list[int | None] = [None]
        self.action: list[str | None] = [None]
        self.state: list[Any] = [None]
        self.score: list[float | None] = [None]
        self.children: list[list[int]] = [[]]
        self.pending: dict[str, Trial] = {}
        self.done: dict[str, int] = {}
        self.next_trial = 0
        # per action: [calls, sum, max]
        self.totals: dict[str, list[float]] = {}
        # algorithm-specific JSON-safe statistics
        self.stats: dict[str, Any] = {}
        # derived, never serialised (pure function of the stats, so caching cannot change results)
        self.cache: dict[Any, Any] = {}

    def __len__(self) -> int:
        """Number of generated nodes (the root is not counted)."""
        return len(self.parent) - 1

    def new_trial(self, parent_id: int, action: str) -> Trial:
        trial = Trial(f"t{self.next_trial}", action, self.state[parent_id], parent_id)
        self.next_trial += 1
        self.pending[trial.trial_id] = trial
        return trial

    def add_node(self, parent_id: int, action: str, state: Any, score: float) -> int:
        node_id = len(self.parent)
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
        return [(self.state[i], self.score[i]) for i in range(1, len(self.parent))]

    def to_dict(self) -> dict:
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
            "pending": [asdict(t) for t in self.pending.values()],
            "done": dict(self.done),
            "next_trial": self.next_trial,
            "totals": {a: [int(n), s, m] for a, (n, s, m) in self.totals.items()},
            "stats": copy.deepcopy(self.stats),
            "rng": _rng_to_dict(self.rng),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Tree:
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
        tree.next_trial = int(d["next_trial"])
        tree.totals = {a: [int(n), float(s), float(m)] for a, (n, s, m) in d["totals"].items()}
        tree.stats = copy.deepcopy(d["stats"])
        tree.rng = _rng_from_dict(d["rng"])
        return tree
