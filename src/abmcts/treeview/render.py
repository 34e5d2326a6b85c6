"""A search tree as one self-contained HTML page (inline CSS and JS, no network, works from file://).

Generic: it knows nodes, parents, a score in [0, 1], a colour group, an edge kind and a detail panel
(code, facts, named integer grids drawn in the ARC palette), nothing of ARC tasks or LLMs, so any
search tree can use it. Every text a node carries may come from an LLM and is untrusted: labels and
facts are HTML-escaped where they are written, and the click-to-open details travel as JSON inside a
`<script type="application/json">` block with `<`, `>` and `&` escaped, which the page's script
puts into the DOM with `textContent` only (never `innerHTML`).

A timeline slider replays the order nodes were added (`ViewNode.order`, by default the id): at step k
only the first k nodes and their edges are drawn, and the k-th is named; a play button steps through,
and `#step-k` in the address opens the page at step k.

Two themes (`THEMES`): "light" and "dark" (a style sheet laid over the light one). Scores are coloured
red (0) through yellow to green (1) unless a `ScoreColours` is given (any score -> colour function,
with the range its legend shows); its colours are escaped like everything else.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Grid = Sequence[Sequence[int]]

ARC_COLOURS = (
    "#000000", "#0074d9", "#ff4136", "#2ecc40", "#ffdc00",
    "#aaaaaa", "#f012be", "#ff851b", "#7fdbff", "#870c25",
)  # fmt: skip
GROUP_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f")
EDGE_DASHES = ("", "5,3", "2,3", "8,3,2,3")
X_STEP, Y_STEP, RADIUS, MARGIN = 24, 64, 9, 40


@dataclass(frozen=True)
class GridPanel:
    """A named grid (None = no output) and, when known, the grid it should have been."""

    name: str
    grid: Grid | None
    expected: Grid | None = None


@dataclass(frozen=True)
class NodeDetail:
    """What the side panel shows for a clicked node."""

    code: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    grids: tuple[GridPanel, ...] = ()


@dataclass(frozen=True)
class ViewNode:
    """One tree node: `score` in [0, 1] colours the fill (None = grey), `group` the ring (e.g. the
    model), `edge` names the kind of edge from its parent (e.g. fresh/refine), `marks` are badges;
    `order` places the node on the timeline (None: its id)."""

    id: int
    parent: int | None
    score: float | None
    group: str
    edge: str
    label: str
    marks: tuple[str, ...] = ()
    detail: NodeDetail = field(default_factory=NodeDetail)
    order: int | None = None


@dataclass(frozen=True)
class ScoreColours:
    """Fill colours of scored nodes (`colour(score)`, a CSS colour) and the range the legend shows."""

    colour: Callable[[float], str]
    low: float = 0.0
    high: float = 1.0

    def legend(self) -> str:
        stops = ", ".join(self.colour(self.low + (self.high - self.low) * i / 10) for i in range(11))
        return (
            f'<span class="scale" style="background: linear-gradient(90deg, {html.escape(stops)})"></span> '
            f"{self.low:.2f} &#8594; {self.high:.2f}"
        )


DARK_CSS = """
<style>
:root { color-scheme: dark; }
body { background: #1a1a1a; color: #e0e0e0; }
#tree { border-right-color: #404040; } #side { background: #252525; } header { border-bottom-color: #404040; }
.sub, .lt, .pair .cap, table.facts td:first-child, #tl-now { color: #aaa; }
svg text { fill: #e0e0e0; } .root rect { fill: #ddd; } .edge { stroke: #777; }
.node:hover circle, .node.sel circle, .node.newest circle { stroke: #fff !important; }
.badge { fill: #ff6b6b; } .badge-key, .bad { color: #ff6b6b; } .ok { color: #5c5; } .none { color: #888; }
pre { background: #111; color: #e0e0e0; border-color: #404040; }
</style>"""
THEMES = {"light": "", "dark": DARK_CSS}  # theme -> style sheet laid over the light page's


ROOT = -1  # the virtual root's id in the layout (drawn only when `root_label` is given)


def _layout(nodes: Sequence[ViewNode], with_root: bool) -> dict[int, tuple[float, float]]:
    """Layered layout: leaves left to right in id order, parents centred over their children;
    parentless nodes hang under the virtual root `ROOT` when `with_root`."""
    ids = {n.id for n in nodes}
    children: dict[int, list[int]] = {}
    for n in nodes:
        children.setdefault(n.parent if n.parent in ids else ROOT, []).append(n.id)
    if _depth_of(ROOT, children) > 500:  # pathological chain: avoid deep recursion, one row per node
        return {n.id: (0.0, float(i + with_root)) for i, n in enumerate(nodes)} | {ROOT: (0.0, 0.0)}
    pos: dict[int, tuple[float, float]] = {}
    next_x = 0.0

    def place(node_id: int, depth: int) -> float:
        nonlocal next_x
        kids = children.get(node_id, [])
        if kids:
            xs = [place(k, depth + 1) for k in kids]
            x = (xs[0] + xs[-1]) / 2
        else:
            x, next_x = next_x, next_x + 1
        pos[node_id] = (x, float(depth))
        return x

    place(ROOT, 0 if with_root else -1)
    return pos


def _depth_of(root: int, children: Mapping[int, list[int]]) -> int:
    depth, frontier = 0, [root]
    while frontier:
        frontier = [k for n in frontier for k in children.get(n, [])]
        depth += 1
    return depth


def score_colour(score: float | None) -> str:
    """Red (0) through yellow to green (1); grey when unscored."""
    if score is None:
        return "#d0d0d0"
    s = min(1.0, max(0.0, float(score)))
    return f"hsl({round(120 * s)}, 70%, 50%)"


_DIGIT_OF = bytes(range(48, 58)) + b"x" * 246  # cell value 0..9 -> its digit; 10..255 -> a non-digit


def _grid_rows(grid: Grid | None) -> list[str] | None:
    """Digit rows of a rectangular grid of ints 0..9; None for anything else (drawn as 'no output').

    Lists of ints take a C-speed path (a page draws thousands of grids); anything else (floats,
    numeric strings, arrays) is read cell by cell, with the same result."""
    if grid is None:
        return None
    if type(grid) in (list, tuple) and all(type(row) in (list, tuple) for row in grid):
        try:
            rows = [bytes(row).translate(_DIGIT_OF) for row in grid]
        except (TypeError, ValueError):  # not all ints 0..255: the general path decides
            return _grid_rows_any(grid)
        if not rows or not rows[0] or len({len(r) for r in rows}) != 1 or not all(r.isdigit() for r in rows):
            return None
        return [r.decode() for r in rows]
    return _grid_rows_any(grid)


def _grid_rows_any(grid: Grid) -> list[str] | None:
    try:
        values = [[int(v) for v in row] for row in grid]
    except (TypeError, ValueError):
        return None
    if not values or not values[0] or len({len(r) for r in values}) != 1:
        return None
    if any(not 0 <= v <= 9 for row in values for v in row):
        return None
    return ["".join(map(str, row)) for row in values]


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `</script>`, `<!--` or HTML entity can form."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _payload(nodes: Sequence[ViewNode], step: Mapping[int, int]) -> dict[str, Any]:
    """Node details with every distinct grid stored once (nodes often share outputs)."""
    grids: list[list[str]] = []
    index: dict[tuple[str, ...], int] = {}
    # by grid object too: nodes share grid objects (a demo's expected output, a tree file's grids);
    # an entry holds its grid, so its id cannot be reused while this runs
    seen: dict[int, tuple[Grid | None, int | None]] = {}

    def grid_ref(grid: Grid | None) -> int | None:
        hit = seen.get(id(grid))
        if hit is not None:
            return hit[1]
        rows = _grid_rows(grid)
        ref = None
        if rows is not None:
            key = tuple(rows)
            if key not in index:
                index[key] = len(grids)
                grids.append(rows)
            ref = index[key]
        seen[id(grid)] = (grid, ref)
        return ref

    details = {}
    for n in nodes:
        d = n.detail
        details[str(n.id)] = {
            "label": n.label,
            "group": n.group,
            "edge": n.edge,
            "marks": list(n.marks),
            "code": d.code,
            "facts": [[str(k), str(v)] for k, v in d.facts],
            "grids": [
                [p.name, grid_ref(p.grid), grid_ref(p.expected), p.expected is not None] for p in d.grids
            ],
        }
    order = sorted(step, key=step.__getitem__)  # node ids in timeline order
    return {"nodes": details, "grids": grids, "colours": list(ARC_COLOURS), "order": order}


def _legend(
    groups: list[str], edges: list[str], legend: Mapping[str, str], colours: ScoreColours | None
) -> str:
    e = html.escape
    scale = colours.legend() if colours else '<span class="scale"></span> 0 &#8594; 1'
    parts = [f'<div class="legend"><span class="lt">reward</span>{scale}']
    for i, g in enumerate(groups):
        colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        parts.append(f'<span class="chip" style="border-color:{colour}">{e(g)}</span>')
    for i, kind in enumerate(edges):
        dash = EDGE_DASHES[i % len(EDGE_DASHES)]
        parts.append(
            f'<svg width="34" height="10"><line x1="0" y1="5" x2="34" y2="5" class="edge" '
            f'stroke-dasharray="{dash}"/></svg>{e(kind)}'
        )
    for mark, meaning in legend.items():
        parts.append(f'<span class="badge-key">{e(mark)}</span> {e(meaning)}')
    parts.append("</div>")
    return " ".join(parts)


def _timeline(nodes: Sequence[ViewNode]) -> dict[int, int]:
    """Node id -> its 1-based step on the timeline (by `order`, then id)."""
    ranked = sorted(nodes, key=lambda n: (n.id if n.order is None else n.order, n.id))
    return {n.id: i + 1 for i, n in enumerate(ranked)}


def render_tree_html(
    nodes: Sequence[ViewNode],
    title: str,
    subtitle: str = "",
    legend: Mapping[str, str] | None = None,
    root_label: str | None = None,
    extra_json: Mapping[str, Any] | None = None,
    theme: str = "light",
    colours: ScoreColours | None = None,
    side_hint: str = "Click a node to see its details.",
) -> str:
    """The whole page as one string; `legend` explains the marks (badge -> meaning). With
    `root_label`, parentless nodes hang from a drawn root (e.g. the task), so their edge kinds show.
    `extra_json` embeds more data for readers of the file (element id -> JSON-safe value), inert.
    `theme` is a key of `THEMES`; `colours` replaces the red-to-green score colours; `side_hint`
    is what the side panel says before a node is clicked."""
    e = html.escape
    if theme not in THEMES:
        raise ValueError(f"render_tree_html: theme {theme!r} is not one of {', '.join(THEMES)}")

    def fill(score: float | None) -> str:
        return score_colour(score) if colours is None or score is None else e(colours.colour(score))

    ids = {n.id for n in nodes}
    if len(ids) != len(nodes):
        raise ValueError("render_tree_html: node ids must be unique")
    if any(i < 0 for i in ids):
        raise ValueError("render_tree_html: node ids must be >= 0")
    with_root = root_label is not None
    pos = _layout(nodes, with_root)
    step = _timeline(nodes)
    groups = sorted({n.group for n in nodes})
    edges = sorted({n.edge for n in nodes if n.parent in ids or with_root})
    group_colour = {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(groups)}
    edge_dash = {k: EDGE_DASHES[i % len(EDGE_DASHES)] for i, k in enumerate(edges)}

    def xy(node_id: int) -> tuple[float, float]:
        x, y = pos[node_id]
        return MARGIN + x * X_STEP, MARGIN + y * Y_STEP

    width = MARGIN * 2 + X_STEP * max((p[0] for p in pos.values()), default=0)
    height = MARGIN * 2 + Y_STEP * max((p[1] for p in pos.values()), default=0)
    svg = []
    for n in nodes:
        parent = n.parent if n.parent in ids else ROOT
        if parent != ROOT or with_root:
            (x1, y1), (x2, y2) = xy(parent), xy(n.id)
            mid = (y1 + y2) / 2
            svg.append(
                f'<path class="edge" data-t="{step[n.id]}" data-edge="{e(n.edge)}" '
                f'stroke-dasharray="{edge_dash[n.edge]}" '
                f'd="M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"/>'
            )
    if with_root:
        x, y = xy(ROOT)
        svg.append(
            f'<g class="root"><rect x="{x - 7:.0f}" y="{y - 7:.0f}" width="14" height="14"/>'
            f'<text x="{x + 12:.0f}" y="{y + 4:.0f}">{e(root_label or "")}</text></g>'
        )
    for n in nodes:
        x, y = xy(n.id)
        marks = "".join(
            f'<text class="badge" x="{x:.0f}" y="{y - RADIUS - 4 - 11 * i:.0f}">{e(m)}</text>'
            for i, m in enumerate(n.marks)
        )
        svg.append(
            f'<g class="node{" marked" if n.marks else ""}" data-id="{n.id}" data-t="{step[n.id]}" '
            f'tabindex="0">'
            f"<title>{e(n.label)}</title>"
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{RADIUS}" fill="{fill(n.score)}" '
            f'stroke="{group_colour[n.group]}"/>{marks}</g>'
        )
    return _PAGE.format(
        title=e(title),
        subtitle=e(subtitle),
        count=len(nodes),
        legend=_legend(groups, edges, legend or {}, colours),
        side_hint=e(side_hint),
        theme_css=THEMES[theme],
        width=f"{width:.0f}",
        height=f"{height:.0f}",
        svg="\n".join(svg),
        data=_script_json(_payload(nodes, step)),
        extra="".join(
            f'<script type="application/json" id="{e(name)}">{_script_json(value)}</script>\n'
            for name, value in (extra_json or {}).items()
        ),
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
body {{ font: 13px/1.4 system-ui, sans-serif; margin: 0; display: flex; height: 100vh; color: #222; }}
#tree {{ flex: 1 1 60%; overflow: auto; border-right: 1px solid #ccc; }}
#side {{ flex: 0 0 40%; overflow: auto; padding: 10px 14px; background: #fafafa; }}
header {{ padding: 8px 12px; border-bottom: 1px solid #ddd; position: sticky; left: 0; }}
h1 {{ font-size: 16px; margin: 0 0 2px; }} .sub {{ color: #666; }}
.legend {{ margin-top: 6px; }} .legend svg {{ vertical-align: middle; margin: 0 2px 0 8px; }}
.lt {{ color: #666; margin-right: 4px; }}
.scale {{ display: inline-block; width: 60px; height: 9px; vertical-align: middle;
  background: linear-gradient(90deg, hsl(0,70%,50%), hsl(60,70%,50%), hsl(120,70%,50%)); }}
.chip {{ border: 3px solid; border-radius: 9px; padding: 0 5px; margin-left: 8px; }}
.badge-key {{ font-weight: bold; margin-left: 8px; color: #b00; }}
.root rect {{ fill: #333; }} .root text {{ font-weight: bold; }}
.edge {{ fill: none; stroke: #888; stroke-width: 1.4; }}
.node circle {{ stroke-width: 3; cursor: pointer; }}
.node:hover circle, .node.sel circle {{ stroke: #000 !important; stroke-width: 4; }}
.badge {{ font: bold 10px system-ui, sans-serif; fill: #b00; text-anchor: middle; pointer-events: none; }}
pre {{ white-space: pre-wrap; word-break: break-all; background: #fff; border: 1px solid #ddd; padding: 6px; overflow: auto; max-height: 30vh; }}
table.facts td {{ padding: 1px 8px 1px 0; vertical-align: top; }} table.facts td:first-child {{ color: #666; }}
.pair {{ display: inline-block; margin: 4px 14px 8px 0; vertical-align: top; }}
.pair .cap {{ color: #666; font-size: 11px; }}
.grid {{ display: inline-grid; gap: 1px; background: #555; border: 1px solid #555; margin-right: 6px; }}
.grid span {{ display: block; }} .none {{ color: #999; font-style: italic; }}
.ok {{ color: #080; }} .bad {{ color: #b00; }}
.timeline {{ margin-top: 6px; display: flex; align-items: center; gap: 8px; }}
.timeline input[type=range] {{ flex: 0 1 320px; }} #tl-now {{ color: #444; }}
.node.newest circle {{ stroke: #000 !important; stroke-width: 4; }}
</style>{theme_css}</head><body>
<div id="tree"><header><h1>{title}</h1><div class="sub">{subtitle} &middot; {count} nodes &middot; click a node</div>
{legend}
<div class="timeline"><button type="button" id="tl-play">&#9654;</button>
<input type="range" id="tl" min="0" max="{count}" value="{count}" step="1" aria-label="timeline: nodes in the order they were added">
<span id="tl-now"></span></div></header>
<svg id="svg" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">
{svg}
</svg></div>
<div id="side"><p class="none">{side_hint}</p></div>
<script type="application/json" id="data">{data}</script>
{extra}<script>
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const side = document.getElementById("side");
function el(tag, text, cls) {{
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}}
function drawGrid(index) {{
  if (index === null) return el("span", "no output", "none");
  const rows = DATA.grids[index], h = rows.length, w = rows[0].length;
  const size = Math.max(4, Math.min(14, Math.floor(180 / Math.max(h, w))));
  const grid = el("div", null, "grid");
  grid.style.gridTemplateColumns = "repeat(" + w + ", " + size + "px)";
  for (const row of rows) for (const ch of row) {{
    const cell = el("span");
    cell.style.width = cell.style.height = size + "px";
    cell.style.background = DATA.colours[Number(ch)];
    grid.appendChild(cell);
  }}
  return grid;
}}
function show(id) {{
  const d = DATA.nodes[id];
  if (!d) return;
  document.querySelectorAll(".node.sel").forEach(n => n.classList.remove("sel"));
  const g = document.querySelector('.node[data-id="' + Number(id) + '"]');
  if (g) g.classList.add("sel");
  side.replaceChildren();
  side.appendChild(el("h2", d.label));
  if (d.marks.length) side.appendChild(el("p", d.marks.join(" \\u00b7 "), "bad"));
  const facts = el("table", null, "facts");
  for (const [k, v] of [["group", d.group], ["edge", d.edge], ...d.facts]) {{
    const tr = el("tr"); tr.appendChild(el("td", k)); tr.appendChild(el("td", v)); facts.appendChild(tr);
  }}
  side.appendChild(facts);
  side.appendChild(el("h3", "code"));
  side.appendChild(d.code === null ? el("p", "no code", "none") : el("pre", d.code));
  if (d.grids.length) side.appendChild(el("h3", "outputs (left) and expected (right)"));
  for (const [name, got, want, known] of d.grids) {{
    const box = el("div", null, "pair");
    const same = known && got !== null && got === want;
    box.appendChild(el("div", name + (known ? (same ? " \\u2713" : " \\u2717") : ""), "cap " + (known ? (same ? "ok" : "bad") : "")));
    box.appendChild(drawGrid(got));
    if (known) box.appendChild(drawGrid(want));
    side.appendChild(box);
  }}
  history.replaceState(null, "", "#node-" + Number(id));
}}
document.querySelectorAll(".node").forEach(g => {{
  g.addEventListener("click", () => show(g.dataset.id));
  g.addEventListener("keydown", ev => {{ if (ev.key === "Enter") show(g.dataset.id); }});
}});
const m = /^#node-(\\d+)$/.exec(location.hash);
if (m) show(m[1]);
const tl = document.getElementById("tl"), tlNow = document.getElementById("tl-now");
const tlPlay = document.getElementById("tl-play");
const timed = Array.from(document.querySelectorAll("[data-t]"));
function setStep(k) {{
  tl.value = String(k);
  for (const elt of timed) elt.style.display = Number(elt.dataset.t) <= k ? "" : "none";
  document.querySelectorAll(".node.newest").forEach(n => n.classList.remove("newest"));
  const id = k > 0 ? DATA.order[k - 1] : null;
  if (id !== null && k < DATA.order.length) {{
    const g = document.querySelector('.node[data-id="' + Number(id) + '"]');
    if (g) g.classList.add("newest");
  }}
  tlNow.textContent = id === null ? "step 0 of " + DATA.order.length + ": nothing added yet"
    : "step " + k + " of " + DATA.order.length + ": " + DATA.nodes[id].label;
}}
let timer = null;
function stopPlay() {{ if (timer !== null) {{ clearInterval(timer); timer = null; tlPlay.textContent = "\\u25b6"; }} }}
tl.addEventListener("input", () => {{
  stopPlay(); setStep(Number(tl.value)); history.replaceState(null, "", "#step-" + Number(tl.value));
}});
tlPlay.addEventListener("click", () => {{
  if (timer !== null) {{ stopPlay(); return; }}
  if (Number(tl.value) >= DATA.order.length) setStep(0);
  tlPlay.textContent = "\\u23f8";
  timer = setInterval(() => {{
    const k = Number(tl.value) + 1;
    setStep(k);
    if (k >= DATA.order.length) stopPlay();
  }}, Math.max(30, Math.min(400, 8000 / Math.max(1, DATA.order.length))));
}});
const atStep = /^#step-(\\d+)$/.exec(location.hash);
setStep(atStep ? Math.min(Number(atStep[1]), DATA.order.length) : DATA.order.length);
</script></body></html>
"""
