"""Algorithms that pick parents in rounds (TreeQuest's ``TrialStoreWithNodeQueue``).

A round queues (parent, action) expansions; asks hand them out (repeating the queue when more trials
are asked for than are queued); each told result uses up one queued expansion of its action and
parent. Once an action's queue is used up, its other running trials become INVALID and their later
results are ignored, as in TreeQuest. The queue lives in ``stats["queue"]`` (flat node ids), so a
checkpoint keeps it.
"""

from __future__ import annotations

from abmcts.search.base import Algorithm
from abmcts.search.state import SearchState, Trial


class Queued(Algorithm):
    """Subclasses choose a round's expansions (``_round``) and keep their statistics (``_observe_node``)."""

    def _init_stats(self, tree: SearchState) -> None:
        tree.stats = {"queue": {}}

    def _round(self, tree: SearchState, actions: list[str]) -> list[tuple[int, str]]:
        """The (parent node id, action) expansions of the next round."""
        raise NotImplementedError

    def _observe_node(self, tree: SearchState, node_id: int) -> None:
        """Fold a new node into the statistics."""

    def _ask(self, tree: SearchState, batch_size: int, actions: list[str]) -> list[Trial]:
        queue: dict[str, list[int]] = tree.stats["queue"]
        if not any(queue.values()):
            tree.touch(queue)
            queue.clear()
            for parent, action in self._round(tree, actions):
                queue.setdefault(action, []).append(parent)
        queued = [(parent, action) for action, parents in queue.items() for parent in parents]
        if not queued:
            return []
        return [tree.new_trial(*queued[i % len(queued)]) for i in range(batch_size)]

    def _accepts(self, tree: SearchState, trial: Trial) -> bool:
        return trial.parent_id in tree.stats["queue"].get(trial.action, ())

    def _observe(self, tree: SearchState, node_id: int) -> None:
        parent, action, _ = tree.edge(node_id)
        parents = tree.stats["queue"][action]
        tree.touch(parents)
        parents.remove(parent)
        if not parents:
            tree.invalidate(action)
        self._observe_node(tree, node_id)
