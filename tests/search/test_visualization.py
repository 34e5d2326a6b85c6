"""Tree pictures from the library alone: JSON snapshot, DOT, Mermaid, TreeQuest's render and visualize_tree_graphviz."""

from __future__ import annotations

import json

import pytest

import abmcts.search as tq


@pytest.fixture
def state():
    algo = tq.ABMCTSA(seed=0, model_selection_strategy="stack")
    hostile = {"evil": lambda p: ('<script>alert("x")</script>', 0.8), "plain": lambda p: ("ok", 0.3)}
    st = algo.init_tree()
    for _ in range(6):
        st = algo.step(st, hostile, inplace=True)
    return st


def test_snapshot_has_every_node_edge_and_trial(state):
    snap = tq.build_snapshot(state, annotations={"run": "r1"})
    assert [n["id"] for n in snap["nodes"]] == list(range(-1, 6))
    assert len(snap["edges"]) == 6 == len(snap["trials"]) and snap["metadata"]["run"] == "r1"
    for e in snap["edges"]:
        assert e["action"] == state.action[e["target"] + 1]
        assert state.parent[e["target"] + 1] == e["source"] + 1
    assert {n["status"] for n in snap["nodes"][1:]} == {"COMPLETE"}
    assert json.loads(json.dumps(snap)) == snap


def test_dot_and_mermaid_escape_states(state):
    dot = tq.render_dot(state, title='say "hi"', state_formatter=str, max_label_length=100)
    assert dot.startswith("digraph {") and dot.count("->") == 6
    assert 'label="say \\"hi\\""' in dot and '[label="<script>alert(\\"x\\")</script>\\nScore: 0.80' in dot
    mermaid = tq.render_mermaid(state)
    assert mermaid.startswith("graph TD") and mermaid.count("-->") == 6
    assert "<script>" not in mermaid and "#60;script#62;" in mermaid


def test_render_writes_text_formats(state, tmp_path):
    out = tq.render(state, tmp_path / "tree", format="json")
    assert out == tmp_path / "tree.json" and len(json.loads(out.read_text())["nodes"]) == 7
    md = tq.render(state, tmp_path / "tree", format="md").read_text()
    assert md.startswith("```mermaid\ngraph TD")
    assert tq.render(state, tmp_path / "tree", format="dot").read_text() == tq.render_dot(state)
    with pytest.raises(tq.SearchInputError, match="'bmp'"):
        tq.render(state, tmp_path / "tree", format="bmp")


def test_visualize_tree_graphviz_builds_treequests_digraph(state):
    dot = tq.visualize_tree_graphviz(state.tree, title="T", max_label_length=5)
    source = dot.source
    assert "ROOT" in source and source.count("->") == 6 and "label=T" in source
    assert "Score: 0.80" in source


def test_render_html_is_one_offline_page_with_every_node_and_escaped_states(state, tmp_path):
    import re

    path = tq.render(state, tmp_path / "tree", format="html")
    page = path.read_text()
    assert path.name == "tree.html"
    assert len(re.findall(r'<g class="node[^"]*" data-id="\d+"', page)) == 6  # root drawn apart
    assert "<script>alert" not in page  # the hostile state travels escaped, shown as text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing fetched: works offline
