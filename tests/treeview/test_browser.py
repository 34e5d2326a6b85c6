"""The tree page in a real browser (headless Chromium): it renders, clicks open details, and no
LLM-written markup ever runs."""

from __future__ import annotations

import re

import pytest
from treeview_samples import HOSTILE, sample_nodes

from abmcts.treeview import render_tree_html
from abmcts.treeview.browser import dump_dom, screenshot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("view") / "tree.html"
    path.write_text(render_tree_html(sample_nodes(), "task <x>", root_label="task"))
    return path


def test_chromium_shows_one_node_per_tree_node_and_runs_no_injected_script(page):
    dom = dump_dom(f"{page.as_uri()}#node-4")
    assert len(re.findall(r'<g class="node[^"]*" data-id="\d+"', dom)) == 12
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert "data-pwned" not in body  # neither the <script> nor the onerror in the code ran
    assert "<img" not in dom
    # the hash opened node 4's details: its code is shown as text, its grid drawn as cells
    assert "<h2>#4 &lt;b&gt;label&lt;/b&gt;</h2>" in dom
    assert "&lt;/script&gt;&lt;script&gt;document.body.setAttribute" in dom
    assert HOSTILE.split("\n")[0] in dom
    assert dom.count('class="grid"') == 2  # demo 1: output and expected (test 1 has none)
    assert 'class="node sel"' in dom or 'class="node marked sel"' in dom


def test_chromium_screenshot_is_a_real_image(page, tmp_path):
    png = screenshot(f"{page.as_uri()}#node-5", tmp_path / "shot.png")
    data = png.read_bytes()
    assert data[:4] == b"\x89PNG" and len(data) > 5000


def test_chromium_timeline_shows_the_first_nodes_in_the_order_they_were_added(page):
    dom = dump_dom(f"{page.as_uri()}#step-3")
    shown = re.findall(r'<g class="node[^"]*" data-id="(\d+)" data-t="(\d+)" tabindex="0"( style="")?>', dom)
    hidden = re.findall(
        r'<g class="node[^"]*" data-id="\d+" data-t="\d+" tabindex="0" style="display: none;">', dom
    )
    assert sorted(int(t) for _, t, _ in shown) == [1, 2, 3] and len(hidden) == 9
    assert len(re.findall(r'<path class="edge" data-t="\d+"[^>]*style="display: none;"', dom)) == 9
    first_three = sorted(sample_nodes(), key=lambda n: n.id)[:3]
    assert {int(i) for i, _, _ in shown} == {n.id for n in first_three}
    assert re.search(r'<span id="tl-now">step 3 of 12: [^<]+</span>', dom)
    assert 'class="node newest"' in dom or 'class="node marked newest"' in dom
