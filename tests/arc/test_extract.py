"""Code extraction from LLM replies."""

from __future__ import annotations

import pytest

from abmcts.arc.extract import NoCodeError, extract_code

T1 = "def transform(grid):\n    return grid"
T2 = "def transform(grid):\n    return grid[::-1]"


def fence(body: str, tag: str = "python", close: bool = True) -> str:
    return f"```{tag}\n{body}\n" + ("```\n" if close else "")


def test_prefers_last_block_defining_transform() -> None:
    text = "Plan:\n" + fence(T1) + "Better:\n" + fence(T2) + "Usage:\n" + fence("print(transform([[1]]))")
    assert extract_code(text) == T2


def test_non_greedy_blocks_do_not_merge() -> None:
    text = fence("x = 1") + "prose with def transform( mentioned\n" + fence(T1)
    assert extract_code(text) == T1


def test_falls_back_to_last_python_or_plain_block() -> None:
    assert extract_code(fence("a = 1", "py") + fence("b = 2", "")) == "b = 2"
    assert extract_code(fence("b = 2", "python3") + fence('{"k": 1}', "json")) == "b = 2"


def test_unterminated_final_fence_runs_to_end() -> None:
    truncated = (
        "Reasoning...\n```python\ndef transform(grid):\n    out = [r[:] for r in grid]\n    return out"
    )
    assert extract_code(truncated) == "def transform(grid):\n    out = [r[:] for r in grid]\n    return out"
    complete_then_cut = fence(T1) + "```python\nimport numpy"
    assert extract_code(complete_then_cut) == T1


def test_tag_variants_and_indented_def() -> None:
    assert extract_code("```Python  \n" + T1 + "\n```") == T1
    method = "class A:\n    def transform(self, g):\n        return g"
    assert extract_code(fence(method) + fence("x = 1")) == method


def test_bare_code_without_fences_is_accepted_only_if_it_defines_transform() -> None:
    assert extract_code(T1 + "\n") == T1
    with pytest.raises(NoCodeError):
        extract_code("I think the answer is to mirror the grid.")


@pytest.mark.parametrize("text", [None, "", "   \n", fence("", "python"), fence("{}", "json")])
def test_no_code_raises(text: str | None) -> None:
    with pytest.raises(NoCodeError):
        extract_code(text)
