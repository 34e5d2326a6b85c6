"""Tree files read (parsed, checked, decoded) once per process while their bytes are unchanged.

The select and score stages run in one process (`pipeline/run.py`, the benches) and each loads
every tree of the run; the score's tree pages (tracking) read some again. Parsing and decoding a
run's trees is most of those stages' CPU; hashing the bytes is a tenth of it. A cache entry is
found by the sha256 of the file's bytes, so a file that changed in any way (same size, same mtime)
is read afresh, and an entry is only ever the result of reading those very bytes successfully.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmcts.arc.node import TreeNode
from abmcts.arc.treefile import read_tree_nodes
from abmcts.io import parse_json, read_bytes


@dataclass(frozen=True)
class ReadTree:
    """A tree file that was read without error: its top level (without `nodes` and `outputs`) and
    its checked nodes with their grids."""

    top: dict[str, Any]
    nodes: list[TreeNode]

    def tree(self) -> dict[str, Any]:
        """A new tree dict of new node dicts, so a caller that edits one leaves the cache intact;
        lists inside the nodes (grids, outputs) are shared, read-only, as `read_tree_nodes` says."""
        return {**self.top, "nodes": [node.copy() for node in self.nodes]}


# The trees that the latest `load_run_trees` read (rundata), by the digest of their bytes: at most
# one run's trees are held, until the next load or the end of the command (`forget`).
_LATEST: dict[bytes, ReadTree] = {}


def read_tree(
    path: Path, check: Callable[[Any], None] = lambda top: None, keep: dict[bytes, ReadTree] | None = None
) -> dict[str, Any]:
    """The tree file at `path` with its nodes read (`read_tree_nodes`; format 2's `outputs` folded
    into them), as a dict of its own.

    `check(top)` sees the file's top level without `nodes` and `outputs` (or the value itself if
    it is not an object) before the nodes are read, on every call, so its errors come first
    exactly as on a fresh read. `keep` collects what was read, by digest.
    """
    data = read_bytes(path, "tree file")
    digest = hashlib.sha256(data).digest()
    read = _LATEST.get(digest)
    if read is not None:
        check(read.top)
    else:
        doc = parse_json(data, path, "tree file")
        top = (
            {k: v for k, v in doc.items() if k not in ("nodes", "outputs")} if isinstance(doc, dict) else doc
        )
        check(top)
        read = ReadTree(top, read_tree_nodes(doc, f"tree file {path}"))
    if keep is not None:
        keep[digest] = read
    return read.tree()


def remember(reads: dict[bytes, ReadTree]) -> None:
    """Hold `reads` (one run's trees) for the next reads in this process, instead of the last."""
    _LATEST.clear()
    _LATEST.update(reads)


def forget() -> None:
    """Drop the held trees: a command's stages are done (`cli.run_stages`), so a Hydra multirun's
    next job does not search with the last run's trees in memory (~300 MB for 120 x 250)."""
    _LATEST.clear()
