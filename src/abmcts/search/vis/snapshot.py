"""TreeQuest 0.3's snapshot records (``treequest.vis.snapshot``): what every renderer reads.

Field names and order are TreeQuest's, so ``dump_snapshot``'s JSON/YAML has TreeQuest's layout.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

StateT = TypeVar("StateT")


@dataclasses.dataclass
class AlgoMetrics:
    """One algorithm-specific value shown for a node."""

    display_name: str
    display_value: str


@dataclasses.dataclass
class NodeSnapshot:
    """One node: ``id`` is TreeQuest's ``expand_idx`` (root -1, ``state_repr`` "ROOT", status "ROOT")."""

    id: int
    trial_id: str | None
    parent_id: int | None
    depth: int
    score: float
    state_repr: str
    action_from_parent: str | None
    created_at: str | None
    completed_at: str | None
    status: str | None
    annotations: dict[str, Any] = dataclasses.field(default_factory=dict)
    algo_metrics: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class EdgeSnapshot:
    source: int
    target: int
    action: str | None = None


@dataclasses.dataclass
class TrialSnapshot:
    trial_id: str
    node_to_expand: int
    action: str
    score: float | None
    created_at: str | None
    completed_at: str | None
    trial_status: str


@dataclasses.dataclass
class VisualizationSnapshot(Generic[StateT]):
    """A whole tree: nodes (the root included), edges, trials and free-form metadata."""

    nodes: list[NodeSnapshot]
    edges: list[EdgeSnapshot]
    trials: list[TrialSnapshot]
    metadata: dict[str, Any]

    def __post_init__(self) -> None:
        if not self.nodes:
            raise ValueError("Snapshot must contain at least one node (root)")
        if not any(node.id == -1 for node in self.nodes):
            raise ValueError("Snapshot must contain a root node (id=-1)")

    @classmethod
    def create_with_metadata(
        cls,
        nodes: list[NodeSnapshot],
        edges: list[EdgeSnapshot],
        trials: list[TrialSnapshot],
        algorithm_name: str = "unknown",
        additional_metadata: dict[str, Any] | None = None,
    ) -> VisualizationSnapshot[StateT]:
        """TreeQuest's metadata keys; ``treequest_version`` is "unknown" (this is not TreeQuest)."""
        metadata = {
            "created_at": datetime.now(tz=UTC).isoformat(),
            "algorithm": algorithm_name,
            "treequest_version": "unknown",
            "num_nodes": sum(1 for node in nodes if node.id != -1),
            "num_edges": len(edges),
            "num_trials": len(trials),
            **(additional_metadata or {}),
        }
        return cls(nodes=nodes, edges=edges, trials=trials, metadata=metadata)

    def to_dict(
        self,
        include_fields: list[str] | None = None,
        include_algo_metrics: bool = True,
        include_annotations: bool = True,
    ) -> dict[str, Any]:
        """The JSON/YAML layout of ``dump_snapshot`` (``include_fields`` filters node fields)."""
        nodes = []
        for node in self.nodes:
            d = dataclasses.asdict(node)
            if include_fields is not None:
                d = {k: v for k, v in d.items() if k in include_fields}
            if not include_algo_metrics:
                d.pop("algo_metrics", None)
            if not include_annotations:
                d.pop("annotations", None)
            nodes.append(d)
        return {
            "nodes": nodes,
            "edges": [dataclasses.asdict(e) for e in self.edges],
            "trials": [dataclasses.asdict(t) for t in self.trials],
            "metadata": self.metadata,
        }
