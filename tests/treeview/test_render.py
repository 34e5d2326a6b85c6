"""The tree page: one element per node, colours and badges, grids deduplicated, untrusted text inert."""

from __future__ import annotations

import json
import re

import pytest
from treeview_samples import HOSTILE, sample_nodes

from abmcts.treeview import GridPanel, NodeDetail, ViewNode, render_tree_html
from abmcts.treeview.render import THEMES, ScoreColours, _grid_rows, score_colour


def page_data(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def test_one_node_element_per_tree_node_and_edges_to_parents():
    page = render_tree_html(sample_nodes(), "t", root_label="task")
    assert len(re.findall(r'<g class="node[^"]*" data-id="\d+"', page)) == 12
    assert page.count('class="edge"') >= 12  # 9 refine edges + 3 fresh edges from the drawn root
    assert 'data-edge="fresh"' in page and 'data-edge="refine"' in page
    assert '<g class="node marked" data-id="5"' in page and ">A1</text>" in page


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_untrusted_text_is_escaped_everywhere(theme):
    page = render_tree_html(sample_nodes(), "<script>alert(1)</script>", subtitle="<i>x</i>", theme=theme)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "&lt;b&gt;label&lt;/b&gt;" in page  # labels in <title> escaped
    # exactly the page's own two script elements; the code never closes one
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page
    data = page_data(page)
    assert data["nodes"]["0"]["code"] == HOSTILE  # intact once parsed, for textContent
    assert data["nodes"]["0"]["facts"] == [["error", "<img src=x onerror=alert(1)>"]]


def test_grids_are_stored_once_and_bad_grids_are_no_output():
    nodes = sample_nodes()
    bad = ViewNode(99, 0, None, "m", "refine", "x", detail=NodeDetail(grids=(GridPanel("g", [[1, 12]]),)))
    data = page_data(render_tree_html([*nodes, bad], "t"))
    assert data["grids"] == [["01", "23"]]  # shared by 12 nodes x (output, expected)
    assert data["nodes"]["0"]["grids"] == [["demo 1", 0, 0, True], ["test 1", None, None, False]]
    assert data["nodes"]["99"]["grids"] == [["g", None, None, False]]


def test_a_page_with_shared_grid_objects_equals_one_with_a_copy_of_each():
    """Grids are looked up by object first (tree files share them): the same page either way,
    including a bad grid shared by several panels."""
    good, other, bad = [[1, 2], [3, 4]], ((5,), (6,)), [[1, 12]]

    def nodes(fresh):
        grid = (lambda g: json.loads(json.dumps(g))) if fresh else (lambda g: g)
        return [
            ViewNode(
                i,
                None if i == 0 else i - 1,
                0.5,
                "m",
                "refine",
                f"#{i}",
                detail=NodeDetail(
                    grids=(
                        GridPanel("a", grid(good), grid(other)),
                        GridPanel("b", grid(bad), grid(good)),
                        GridPanel("c", grid([[i % 10]]), None),
                    )
                ),
            )
            for i in range(12)
        ]

    page = render_tree_html(nodes(fresh=False), "t")
    assert page == render_tree_html(nodes(fresh=True), "t")
    data = page_data(page)
    assert data["grids"][:2] == [["12", "34"], ["5", "6"]]
    assert data["nodes"]["3"]["grids"] == [["a", 0, 1, True], ["b", None, 0, True], ["c", 5, None, False]]


@pytest.mark.parametrize(
    ("grid", "rows"),
    [
        ([[0, 9], [True, 5]], ["09", "15"]),  # bools read as ints
        ([[1.0, 2.0]], ["12"]),  # whatever int() reads as 0..9
        ([["3", "4"]], ["34"]),
        (((1,), (2,)), ["1", "2"]),
        ([[1, 10]], None),
        ([[48]], None),  # a byte that is an ASCII digit is still not a cell value
        ([[-1]], None),
        ([[256]], None),
        ([[1, 2], [3]], None),
        ([[], [1]], None),
        ([], None),
        ([[None]], None),
        ([[1] * 40] * 40, ["1" * 40] * 40),  # no size limit in a picture
    ],
)
def test_grid_rows_fast_path_agrees_with_reading_cell_by_cell(grid, rows):
    assert _grid_rows(grid) == rows


def test_score_colours_and_bad_input():
    assert score_colour(None) == "#d0d0d0"
    assert score_colour(0.0) == "hsl(0, 70%, 50%)" and score_colour(1.0) == "hsl(120, 70%, 50%)"
    with pytest.raises(ValueError, match="unique"):
        render_tree_html([ViewNode(1, None, 0.5, "m", "fresh", "a")] * 2, "t")
    with pytest.raises(ValueError, match=">= 0"):
        render_tree_html([ViewNode(-1, None, 0.5, "m", "fresh", "a")], "t")


def test_dark_theme_is_a_style_sheet_over_the_light_page_and_themes_are_checked():
    light = render_tree_html(sample_nodes(), "t")
    assert render_tree_html(sample_nodes(), "t", theme="light") == light and "#1a1a1a" not in light
    dark = render_tree_html(sample_nodes(), "t", theme="dark")
    assert dark != light and "body { background: #1a1a1a" in dark and "color-scheme: dark" in dark
    assert dark.replace(THEMES["dark"], "") == light  # the same page with one more style sheet
    with pytest.raises(ValueError, match="'sepia' is not one of light, dark"):
        render_tree_html(sample_nodes(), "t", theme="sepia")


def test_given_score_colours_fill_nodes_and_legend_and_are_escaped():
    def colour(score: float) -> str:
        return '"><script>alert(1)</script>' if score > 0.9 else f"#0000{round(score * 255):02x}"

    page = render_tree_html(sample_nodes(), "t", colours=ScoreColours(colour, 0.25, 0.75))
    fills = re.findall(r'<circle [^>]*fill="([^"]*)"', page)
    assert fills[:3] == ["#000000", "#000017", "#00002e"]  # scores 0, 1/11, 2/11
    assert fills[-1] == "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" and page.count("<script") == 2
    assert "linear-gradient(90deg, #000040, " in page and ", #0000bf)" in page and "0.25 &#8594; 0.75" in page
    assert "hsl(" not in page.split("<svg")[1]  # no node keeps the default red-to-green fill


def test_a_deep_chain_renders_without_recursion_trouble():
    chain = [ViewNode(i, i - 1 if i else None, 0.5, "m", "refine", str(i)) for i in range(2000)]
    page = render_tree_html(chain, "chain")
    assert len(re.findall(r'<g class="node', page)) == 2000


def test_the_side_panel_hint_is_the_callers_and_escaped():
    """A generic tree (TreeQuest's render_html) does not promise ARC code and outputs."""
    generic = render_tree_html(sample_nodes(), "t")
    assert "Click a node to see its details." in generic and "code, outputs" not in generic
    page = render_tree_html(sample_nodes(), "t", side_hint="<b>pick</b> one")
    assert '<p class="none">&lt;b&gt;pick&lt;/b&gt; one</p>' in page
