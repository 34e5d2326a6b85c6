"""Fixtures for the LLM layer tests (helpers live in llm_helpers.py, importable from any folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_helpers import EchoModel

_HERE = Path(__file__).parent
# litellm's pydantic models warn when first used; that noise is not about this package.
_LITELLM_NOISE = pytest.mark.filterwarnings("ignore:Items? .*`ReadOnly` qualifier:UserWarning")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == _HERE:
            item.add_marker(_LITELLM_NOISE)


@pytest.fixture
def echo() -> EchoModel:
    return EchoModel()
