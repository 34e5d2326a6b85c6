"""TreeQuest 0.3.3's colour maps (by name, ColorMap objects, functions) and the HTML page's dark theme."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys

import matplotlib
import pytest
from matplotlib.colors import to_hex

import abmcts.search as tq
from abmcts.search import vis
from abmcts.search.vis.colormaps import score_hex

# treequest.vis.renderers.list_colormap_names() in TreeQuest 0.3.3
TREEQUEST_NAMES = [
    "Accent",
    "Blues",
    "BrBG",
    "BuGn",
    "BuPu",
    "CMRmap",
    "Dark2",
    "GnBu",
    "Greens",
    "Greys",
    "OrRd",
    "Oranges",
    "PRGn",
    "Paired",
    "Pastel1",
    "Pastel2",
    "PiYG",
    "PuBu",
    "PuBuGn",
    "PuOr",
    "PuRd",
    "Purples",
    "RdBu",
    "RdGy",
    "RdPu",
    "RdYlBu",
    "RdYlGn",
    "Reds",
    "Set1",
    "Set2",
    "Set3",
    "Spectral",
    "Wistia",
    "YlGn",
    "YlGnBu",
    "YlOrBr",
    "YlOrRd",
    "afmhot",
    "autumn",
    "binary",
    "bone",
    "brg",
    "bwr",
    "cividis",
    "cool",
    "coolwarm",
    "copper",
    "crest",
    "cubehelix",
    "flag",
    "flare",
    "gist_earth",
    "gist_gray",
    "gist_heat",
    "gist_ncar",
    "gist_rainbow",
    "gist_stern",
    "gist_yarg",
    "gnuplot",
    "gnuplot2",
    "gray",
    "hot",
    "hsv",
    "icefire",
    "inferno",
    "jet",
    "magma",
    "mako",
    "nipy_spectral",
    "ocean",
    "original",
    "pink",
    "plasma",
    "prism",
    "rainbow",
    "rocket",
    "seismic",
    "spring",
    "summer",
    "tab10",
    "tab20",
    "tab20b",
    "tab20c",
    "terrain",
    "turbo",
    "twilight",
    "twilight_shifted",
    "viridis",
    "vlag",
    "winter",
]
NOT_IN_MATPLOTLIB = {"crest", "flare", "icefire", "mako", "rocket", "vlag", "original"}


@pytest.fixture(scope="module")
def snapshot():
    algo = tq.ABMCTSA(seed=0, model_selection_strategy="stack")
    scores = iter([0.2, 0.9, 0.5, 0.6, 0.35, 0.8])
    fns = {
        "evil": lambda p: ('<script>alert("x")</script>', next(scores)),
        "plain": lambda p: ("ok", next(scores)),
    }
    state = algo.init_tree()
    for _ in range(6):
        state = algo.step(state, fns)
    return tq.build_snapshot(state)


def mermaid_fills(text: str) -> dict[int, str]:
    return {int(i): c for i, c in re.findall(r"style node(-?\d+) fill:([^,]+),", text)}


def mpl(name: str, x: float) -> str:
    return to_hex(matplotlib.colormaps[name](x))


def test_every_treequest_name_renders_or_is_refused_in_one_line(snapshot):
    refused = set()
    for name in TREEQUEST_NAMES:
        try:
            fills = mermaid_fills(tq.mermaid_source(snapshot, color_map=name))
        except tq.VisualizationError as e:
            refused.add(name)
            message = str(e)
            assert "\n" not in message and repr(name) in message and "viridis, " in message
            assert ("seaborn" in message) == (name != "original")
            continue
        best = max((n for n in snapshot.nodes if n.id != -1), key=lambda n: n.score)
        worst = min((n for n in snapshot.nodes if n.id != -1), key=lambda n: n.score)
        assert (fills[worst.id], fills[best.id]) == (mpl(name, 0.0), mpl(name, 1.0)), name  # drawn span
    assert refused == NOT_IN_MATPLOTLIB
    assert set(TREEQUEST_NAMES) - NOT_IN_MATPLOTLIB <= set(vis.list_colormap_names())


@pytest.mark.parametrize("name", sorted(set(TREEQUEST_NAMES) - NOT_IN_MATPLOTLIB))
def test_a_names_colours_at_0_half_and_1_are_matplotlibs(name):
    cmap, reverse = vis.get_colormap(name, 2.0, 6.0), vis.get_colormap(f"{name}_r", 2.0, 6.0)
    assert [cmap.get_color_hex(v) for v in (2.0, 4.0, 6.0)] == [mpl(name, x) for x in (0.0, 0.5, 1.0)]
    assert [reverse.get_color_hex(v) for v in (2.0, 4.0, 6.0)] == [
        mpl(f"{name}_r", x) for x in (0.0, 0.5, 1.0)
    ]
    assert reverse.get_color_hex(2.0) == cmap.get_color_hex(6.0)  # _r reverses
    flipped = vis.get_colormap(name, 2.0, 6.0, reverse=True)  # TreeQuest's reverse argument
    assert (flipped.get_color_hex(2.0), flipped.get_color_hex(6.0)) == (mpl(name, 1.0), mpl(name, 0.0))
    assert cmap.get_color_hex(-5.0) == mpl(name, 0.0) and cmap.get_color_hex(99.0) == mpl(
        name, 1.0
    )  # clamped


def test_between_samples_the_map_moves_smoothly():
    cmap = vis.get_colormap("viridis", 0.0, 1.0)
    greens = [cmap.get_color_tuple(i / 1000)[1] for i in range(1001)]
    assert (
        all(b >= a for a, b in itertools.pairwise(greens)) and greens[0] < greens[-1]
    )  # viridis's green rises


def test_colour_map_objects_and_functions_are_taken_as_they_are(snapshot):
    class Halves(vis.ColorMap):
        def get_color_tuple(self, value):
            return (255, 0, 0) if value >= 0.5 else (0, 0, 255)

    fills = mermaid_fills(tq.mermaid_source(snapshot, color_map=Halves()))
    for n in snapshot.nodes:
        assert fills[n.id] == ("#d3d3d3" if n.id == -1 else "#ff0000" if n.score >= 0.5 else "#0000ff")
    seen = []
    fills = mermaid_fills(tq.mermaid_source(snapshot, color_map=lambda s: seen.append(s) or "#123456"))
    assert sorted(seen) == sorted(n.score for n in snapshot.nodes if n.id != -1)  # raw scores, not rescaled
    assert set(fills.values()) == {"#d3d3d3", "#123456"}
    gray = vis.GrayscaleColorMap(0.0, 2.0)
    assert [gray.get_color_hex(v) for v in (-1, 1, 3)] == ["#000000", "#7f7f7f", "#ffffff"]
    assert vis.resolve_colormap(gray) == gray.get_color_hex and vis.resolve_colormap("gray", 0, 2)(1) == mpl(
        "gray", 0.5
    )
    default = mermaid_fills(tq.mermaid_source(snapshot))  # ours, unchanged: red -> green over [0, 1]
    assert all(default[n.id] == score_hex(n.score) for n in snapshot.nodes if n.id != -1)


@pytest.mark.parametrize("bad", [42, b"viridis", ["viridis"], 0.5])
def test_a_bad_colour_map_type_is_refused(snapshot, bad):
    with pytest.raises(tq.VisualizationError, match=f"color_map .*not {type(bad).__name__}$"):
        tq.mermaid_source(snapshot, color_map=bad)
    with pytest.raises(tq.VisualizationError, match="not a"):
        vis.get_colormap("not a map", 0, 1)
    with pytest.raises(TypeError):
        vis.ColorMap()  # abstract: get_color_tuple must be given
    with pytest.raises(ValueError, match="less than"):
        vis.get_colormap("viridis", 1.0, 1.0)
    with pytest.raises(ValueError, match="three integers"):
        vis.InterpolatedColorMap([(0, 0, 256)])


def test_graphviz_fills_carry_the_mapped_colours(snapshot, tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    vis.render_graphviz(snapshot, str(tmp_path / "g"), format="svg", color_map="coolwarm_r")
    svg = (tmp_path / "g.svg").read_text()
    cmap = vis.get_colormap("coolwarm_r", 0.2, 0.9)  # the drawn scores' span
    drawn = dict(re.findall(r'class="node">\s*<title>(.*?)</title>.*?<ellipse fill="([^"]*)"', svg, re.S))
    assert drawn == {
        str(n.id).replace("-", "&#45;"): "#d3d3d3" if n.id == -1 else cmap.get_color_hex(n.score)
        for n in snapshot.nodes
    }


def test_mermaid_file_carries_the_mapped_colours_of_the_nodes_it_keeps(snapshot, tmp_path):
    vis.render_mermaid(snapshot, str(tmp_path / "m"), color_map="viridis", max_nodes=3)
    fills = mermaid_fills((tmp_path / "m.mermaid").read_text())
    top, second = sorted((n for n in snapshot.nodes if n.id != -1), key=lambda n: n.score)[-1:-3:-1]
    assert (top.score, second.score) == (0.9, 0.8)  # the two kept; the map spans them
    assert fills == {-1: "#d3d3d3", second.id: mpl("viridis", 0.0), top.id: mpl("viridis", 1.0)}


def test_html_dark_theme_differs_and_still_escapes(snapshot, tmp_path):
    vis.render_html(snapshot, str(tmp_path / "light"))
    vis.render_html(snapshot, str(tmp_path / "dark"), theme="dark")
    light, dark = (tmp_path / "light.html").read_text(), (tmp_path / "dark.html").read_text()
    assert "background: #1a1a1a" in dark and "background: #1a1a1a" not in light
    for page in (light, dark):
        assert "<script>alert" not in page and page.count("<script") == 3  # data, snapshotData, the page's
    with pytest.raises(
        tq.VisualizationError, match="^theme 'solarized': the HTML page has the themes light, dark$"
    ):
        vis.render_html(snapshot, str(tmp_path / "x"), theme="solarized")
    assert not (tmp_path / "x.html").exists()


def test_html_nodes_and_legend_carry_the_mapped_colours(snapshot, tmp_path):
    vis.render_html(snapshot, str(tmp_path / "t"), color_map="magma", theme="dark")
    page = (tmp_path / "t.html").read_text()
    fills = dict(re.findall(r'data-id="(\d+)"[^>]*>.*?<circle [^>]*fill="([^"]*)"', page, re.S))
    cmap = vis.get_colormap("magma", 0.2, 0.9)
    assert fills == {str(n.id): cmap.get_color_hex(n.score) for n in snapshot.nodes if n.id != -1}
    assert f"linear-gradient(90deg, {mpl('magma', 0.0)}, " in page and "0.20 &#8594; 0.90" in page


def test_a_name_needs_matplotlib_only_when_used():
    code = (
        "import sys, abmcts.search as tq\n"
        "algo = tq.ABMCTSA(seed=0); s = algo.step(algo.init_tree(), {'a': lambda p: ('x', 0.5)})\n"
        "tq.mermaid_source(tq.build_snapshot(s)); assert 'matplotlib' not in sys.modules\n"
        "tq.mermaid_source(tq.build_snapshot(s), color_map='viridis'); assert 'matplotlib' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
