"""``build_snapshot``: a search state as TreeQuest 0.3's ``VisualizationSnapshot``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from abmcts.search.state import SearchState
from abmcts.search.vis.adapters import get_adapter
from abmcts.search.vis.errors import InvalidStateError
from abmcts.search.vis.snapshot import EdgeSnapshot, NodeSnapshot, TrialSnapshot, VisualizationSnapshot


def default_state_formatter(state: Any) -> str:
    """TreeQuest's default: a dataclass (or pydantic model) as compact JSON, anything else ``repr``."""
    dump = getattr(state, "model_dump_json", None)
    if callable(dump) and not isinstance(state, type):
        try:
            return str(dump())
        except Exception:  # noqa: BLE001 - fall back to repr, as TreeQuest does
            pass
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        try:
            return json.dumps(dataclasses.asdict(state), default=str, separators=(",", ":"))
        except Exception:  # noqa: BLE001
            pass
    try:
        return repr(state)
    except Exception:  # noqa: BLE001
        return "<unrepresentable state>"


def build_snapshot(
    search_tree: SearchState,
    state_formatter: Callable[[Any], str] | None = None,
    annotations: dict[str, Any] | None = None,
) -> VisualizationSnapshot[Any]:
    """Every node (root first, in the order they were added), edge and trial of a search state;
    ``annotations`` go into the metadata. Raises ``InvalidStateError`` for anything else."""
    if not isinstance(search_tree, SearchState):
        raise InvalidStateError(f"State must be a search state, got {type(search_tree)}")
    fmt = state_formatter or default_state_formatter
    adapter = get_adapter(search_tree)
    trials = {**search_tree.finished, **search_tree.pending}
    nodes, edges = [], []
    for node in search_tree.tree.get_nodes():
        root = node.is_root()
        trial = trials.get(node.trial_id) if node.trial_id else None
        action = None if root else search_tree.action[node.expand_idx + 1]
        if root:
            state_repr = "ROOT"
        else:
            try:
                state_repr = str(fmt(node.state))
            except Exception:  # noqa: BLE001 - TreeQuest falls back to str()
                state_repr = str(node.state)
        try:
            metrics = adapter.extract_node_metrics(search_tree, node) if adapter else {}
        except Exception:  # noqa: BLE001 - metrics are extras: TreeQuest ignores their errors too
            metrics = {}
        parent = None if node.parent is None else node.parent.expand_idx
        nodes.append(
            NodeSnapshot(
                id=node.expand_idx,
                trial_id=node.trial_id,
                parent_id=parent,
                depth=node.depth,
                score=node.score,
                state_repr=state_repr,
                action_from_parent=action,
                created_at=trial.created_at if trial else None,
                completed_at=trial.completed_at if trial else None,
                status="ROOT" if root else (trial.trial_status if trial else "COMPLETE"),
                algo_metrics=metrics,
            )
        )
        if parent is not None:
            edges.append(EdgeSnapshot(parent, node.expand_idx, action))
    trial_rows = [
        TrialSnapshot(
            t.trial_id, t.node_to_expand, t.action, t.score, t.created_at, t.completed_at, t.trial_status
        )
        for t in trials.values()
    ]
    name = adapter.get_algorithm_name(search_tree) if adapter else "Unknown"
    return VisualizationSnapshot.create_with_metadata(nodes, edges, trial_rows, name, annotations)
