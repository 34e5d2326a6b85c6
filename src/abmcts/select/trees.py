"""The few node facts every selection strategy needs (tree files are read and checked by the
pipeline: abmcts.experiment.treefile)."""

from __future__ import annotations

import json

from abmcts.arc.node import TreeNode


def outputs_key(node: TreeNode) -> str:
    """Canonical text of a node's test outputs, so equal answers compare equal."""
    return json.dumps(node.get("test_outputs") or [], separators=(",", ":"))


def has_answer(node: TreeNode) -> bool:
    """True if the program produced at least one test output (errors produce none)."""
    return any(out is not None for out in node.get("test_outputs") or [])
