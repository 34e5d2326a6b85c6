"""The README's "Coming from TreeQuest" examples run as written against abmcts.search."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _section_code(title: str) -> list[str]:
    text = README.read_text()
    section = text[text.index(f"## {title}") :]
    section = section[: section.index("\n## ", 3)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_coming_from_treequest_examples_run(tmp_path, monkeypatch):
    blocks = _section_code("Coming from TreeQuest")
    assert len(blocks) == 3 and blocks[0].startswith(
        "import abmcts.search as tq  # was: import treequest as tq"
    )
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:  # one session, as a reader would paste them
        exec(compile(block, str(README), "exec"), namespace)
    md = (tmp_path / "tree.md").read_text()  # TreeQuest 0.3's layout: a theme line, then the graph
    assert md.startswith("```mermaid\n%%{init:") and "\ngraph TD\n" in md and md.endswith("\n```")
