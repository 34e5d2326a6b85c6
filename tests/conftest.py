"""Shared fixtures (the helpers themselves live in project_helpers.py)."""

from __future__ import annotations

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
