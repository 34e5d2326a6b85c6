"""TreeQuest's node objects: ``Node`` and ``Tree`` (``state.tree``), as TreeQuest users read them.

The search itself runs on the flat arrays of ``SearchState``; ``Tree.mirror`` builds these objects
from them on first access and ``SearchState.add_node`` keeps the mirror in step (one ``Node`` per
new node), so code written against TreeQuest's objects works without slowing the search down.
Nodes compare by identity (TreeQuest's dataclass equality would recurse through the whole tree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from abmcts.search.state import SearchState


class Node:
    """A search node: ``state``, ``score`` (root: None state, score -1.0), ``expand_idx`` (root: -1)."""

    __slots__ = ("state", "score", "expand_idx", "parent", "children", "trial_id", "validate_score_range")

    def __init__(
        self,
        state: Any = None,
        score: float = -1.0,
        expand_idx: int = -1,
        parent: Node | None = None,
        children: list[Node] | None = None,
        trial_id: str | None = None,
        *,
        validate_score_range: bool = True,
    ) -> None:
        self.state, self.score, self.expand_idx = state, score, expand_idx
        self.parent, self.children = parent, [] if children is None else children
        self.trial_id, self.validate_score_range = trial_id, validate_score_range
        if parent is not None:
            if validate_score_range and not 0.0 <= score <= 1.0:
                raise RuntimeError(f"The score value should be between 0 and 1, while {score} is set.")
            if state is None:
                raise RuntimeError("The node state for non-root node should not be None.")

    @classmethod
    def _view(
        cls, state: Any, score: float, expand_idx: int, parent: Node | None, trial_id: str | None
    ) -> Node:
        """A node the search already validated (its state may be anything the caller told)."""
        node = cls.__new__(cls)
        node.state, node.score, node.expand_idx, node.parent = state, score, expand_idx, parent
        node.children, node.trial_id, node.validate_score_range = [], trial_id, False
        return node

    def __repr__(self) -> str:
        return f"Node(expand_idx={self.expand_idx}, score={self.score!r}, state={self.state!r})"

    def is_root(self) -> bool:
        return self.parent is None

    @property
    def depth(self) -> int:
        depth, node = 0, self
        while node.parent is not None:
            node, depth = node.parent, depth + 1
        return depth

    def get_subtree_nodes(self) -> list[Node]:
        """This node and all its descendants (depth-first)."""
        nodes, stack = [], [self]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.children)
        return nodes


class Tree:
    """A root ``Node`` and its descendants in expansion order; ``len`` counts the root."""

    def __init__(self) -> None:
        self.root = Node()
        self._nodes = [self.root]

    @classmethod
    def with_root_node(cls) -> Tree:
        return cls()

    @classmethod
    def mirror(cls, state: SearchState) -> Tree:
        """The node objects of a search state's flat arrays."""
        tree = cls()
        for node_id in range(1, len(state.parent)):
            tree.mirror_append(state, node_id)
        return tree

    def mirror_append(self, state: SearchState, node_id: int) -> None:
        parent_id, _, score = state.edge(node_id)
        parent = self._nodes[parent_id]
        trial_id = state.trial_of_node(node_id)
        node = Node._view(state.state[node_id], score, node_id - 1, parent, trial_id)
        parent.children.append(node)
        self._nodes.append(node)

    @property
    def size(self) -> int:
        return len(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def get_nodes(self) -> list[Node]:
        """All nodes in ascending ``expand_idx`` (the root first)."""
        return list(self._nodes)

    def get_node(self, expand_idx: int) -> Node:
        return self._nodes[expand_idx + 1]

    def get_state_score_pairs(self) -> list[tuple[Any, float]]:
        return [(n.state, n.score) for n in self._nodes[1:] if n.state is not None]

    def add_node(
        self,
        state_score: tuple[Any, float],
        parent: Node,
        trial_id: str | None = None,
        *,
        validate_score_range: bool = True,
    ) -> Node:
        """Add a node to a standalone tree (a search adds its nodes through ``tell``)."""
        state, score = state_score
        node = Node(
            state,
            score,
            len(self._nodes) - 1,
            parent,
            None,
            trial_id,
            validate_score_range=validate_score_range,
        )
        parent.children.append(node)
        self._nodes.append(node)
        return node
