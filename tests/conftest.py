"""Shared fixtures (the helpers themselves live in project_helpers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from project_helpers import REPO, node, tree


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture
def make_node():
    return node


@pytest.fixture
def make_tree():
    return tree


@pytest.fixture
def throwaway_package(tmp_path, monkeypatch) -> Iterator[Callable[[str, dict[str, str]], None]]:
    """Writes a package `name` of `{module: source}` on the import path for one test; its modules
    leave `sys.modules` afterwards, so no other test imports them."""
    names: list[str] = []

    def make(name: str, modules: dict[str, str]) -> None:
        pkg = tmp_path / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        for module, source in modules.items():
            (pkg / f"{module}.py").write_text(source)
        names.append(name)

    monkeypatch.syspath_prepend(str(tmp_path))
    yield make
    for module in [m for m in sys.modules if m.split(".")[0] in names]:
        del sys.modules[module]
