"""The package's import layers and the absence of import loops, as docs/ARCHITECTURE.md states them.

The layer contracts live in pyproject.toml (`lint-imports` reads them); loops are found on the same
import graph (grimp), function-level imports included, since a lazy import that closes a loop still
ties the two modules together. Imports made only for type checking are left out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]


def test_every_layer_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout and "4 kept" in done.stdout


def import_loops(package: str) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's SCCs)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(group) > 1:
                loops.append(sorted(group))

    for module in edges:
        if module not in index:
            visit(module)
    return loops


def test_no_module_imports_one_that_imports_it_back():
    assert import_loops("abmcts") == []


def test_the_loop_finder_finds_a_loop(throwaway_package):
    throwaway_package(
        "looped",
        {
            "a": "def f():\n    from looped import b\n",
            "b": "from looped import c\n",
            "c": "import looped.a\n",
            "d": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import looped.a\n",
        },
    )
    assert import_loops("looped") == [["looped.a", "looped.b", "looped.c"]]
