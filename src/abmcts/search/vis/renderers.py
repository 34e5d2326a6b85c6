"""TreeQuest 0.3's renderers (``treequest.vis.renderers``): same names, arguments and files written.

Text formats need nothing beyond the standard library (YAML: pyyaml, imported when asked for);
images need the optional ``graphviz`` package and its ``dot`` program; HTML is drawn by
``abmcts.treeview`` (pure Python, one offline page, node states escaped) instead of TreeQuest's
jinja2 + d3 template. Every label is escaped for its format: states are untrusted text.

``color_map`` is TreeQuest's: a colour map name (matplotlib's, spread over the scores drawn), a
``ColorMap``, a function score -> ``#rrggbb``, or None (our red -> yellow -> green over [0, 1]).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from abmcts.search.state import SearchState
from abmcts.search.tree import Tree
from abmcts.search.vis.build import build_snapshot
from abmcts.search.vis.colormaps import (
    ColorMap,
    GrayscaleColorMap,
    InterpolatedColorMap,
    get_colormap,
    list_colormap_names,
    resolve_colormap,
)
from abmcts.search.vis.errors import DependencyNotFoundError, RenderError, VisualizationError
from abmcts.search.vis.snapshot import NodeSnapshot, VisualizationSnapshot

__all__ = [  # TreeQuest's treequest.vis.renderers, and ours
    "ColorMap",
    "GrayscaleColorMap",
    "InterpolatedColorMap",
    "dump_snapshot",
    "get_colormap",
    "html_page",
    "list_colormap_names",
    "mermaid_source",
    "render_dot",
    "render_graphviz",
    "render_html",
    "render_mermaid",
    "resolve_colormap",
    "visualize_tree_graphviz",
    "write_text",
]

ColorFn = Callable[[float], str]
ColorMapArg = str | ColorMap | ColorFn | None  # TreeQuest's color_map argument
ROOT_COLOR = "#d3d3d3"


def write_text(path: str | Path, text: str) -> None:
    """Write whole or not at all (a temporary file renamed into place)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:  # the umask's permissions, as a plain open gives
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def score_range(nodes: Sequence[NodeSnapshot]) -> tuple[float, float]:
    """TreeQuest's span for a named map: the drawn nodes' scores (root and unscored left out), widened
    by 0.5 each way when they are all equal; (0, 1) when there are none."""
    scores = [n.score for n in nodes if n.score >= 0]
    low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
    return (low - 0.5, high + 0.5) if low == high else (low, high)


def _color_fn(color_map: ColorMapArg, nodes: Sequence[NodeSnapshot]) -> ColorFn:
    return resolve_colormap(color_map, *score_range(nodes))


def _node_color(node: NodeSnapshot, color: ColorFn) -> str:
    return ROOT_COLOR if node.id == -1 or node.score < 0 else color(node.score)


# ---- JSON / YAML ---------------------------------------------------------------------------------
def dump_snapshot(
    snapshot: VisualizationSnapshot[Any],
    output_basename: str,
    *,
    format: str,
    include_fields: list[str] | None = None,
    include_algo_metrics: bool = True,
    include_annotations: bool = True,
    indent: int = 2,
) -> None:
    """Write ``<output_basename>.json`` or ``.yaml``: TreeQuest's layout (nodes, edges, trials, metadata)."""
    fmt = format.lower()
    if fmt not in ("json", "yaml"):
        raise ValueError(f"Unsupported format: {format}. Use 'json' or 'yaml'.")
    data = snapshot.to_dict(include_fields, include_algo_metrics, include_annotations)
    if fmt == "json":
        text = json.dumps(data, indent=indent, default=str) + "\n"
    else:
        try:
            import yaml
        except ImportError:
            raise DependencyNotFoundError(
                "YAML output needs the pyyaml package (pip install pyyaml)"
            ) from None
        text = yaml.safe_dump(data, indent=indent, sort_keys=False, allow_unicode=True)
    try:
        write_text(f"{output_basename}.{fmt}", text)
    except OSError as e:
        raise RenderError(f"Failed to write {fmt.upper()} file: {e}") from e


# ---- Graphviz ------------------------------------------------------------------------------------
def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _legacy_label(node_id: int, score: float, text: str, show_scores: bool, max_len: int) -> str:
    if node_id == -1:
        return "ROOT"
    if len(text) > max_len:
        text = text[:max_len] + "..."
    return f"{text}\nScore: {score:.2f}\nExpandIdx: {node_id}" if show_scores else text


def _legacy_fill(node_id: int, score: float) -> str:
    """TreeQuest's legacy colours: green >= 0.7 > yellow >= 0.4 > red; grey root."""
    if node_id == -1:
        return "lightgray"
    return "lightgreen" if score >= 0.7 else "lightyellow" if score >= 0.4 else "lightcoral"


def render_dot(
    tree: SearchState | VisualizationSnapshot[Any],
    *,
    title: str | None = None,
    show_scores: bool = True,
    max_label_length: int = 20,
    state_formatter: Callable[[Any], str] | None = None,
) -> str:
    """Graphviz DOT source (ours; no package needed), in the legacy ``visualize_tree_graphviz`` style."""
    snap = tree if isinstance(tree, VisualizationSnapshot) else build_snapshot(tree, state_formatter)
    lines = ["digraph {"]
    if title:
        lines.append(f"  label={_dot_quote(title)}")
    for n in snap.nodes:
        label = _dot_quote(_legacy_label(n.id, n.score, n.state_repr, show_scores, max_label_length))
        lines.append(f'  "{n.id}" [label={label} style=filled fillcolor={_legacy_fill(n.id, n.score)}]')
    for e in snap.edges:
        lines.append(f'  "{e.source}" -> "{e.target}"')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise DependencyNotFoundError(
            "graph images need the optional 'graphviz' package (pip install graphviz) and Graphviz's dot"
        ) from None
    return graphviz


def render_graphviz(
    snapshot: VisualizationSnapshot[Any],
    output_basename: str,
    *,
    format: str,
    title: str | None = None,
    show_scores: bool = True,
    max_label_length: int = 20,
    color_map: ColorMapArg = None,
) -> None:
    """Write ``<output_basename>.<format>`` (png, pdf, svg, jpg, ...) with Graphviz; nodes coloured by
    score, edges labelled with the action, a tooltip with status, action and metrics."""
    graphviz = _import_graphviz()
    color = _color_fn(color_map, snapshot.nodes)
    dot = graphviz.Digraph(comment=title or "Tree Visualization")
    if title:
        dot.attr(label=title, labelloc="t", fontsize="16")
    for n in snapshot.nodes:
        if n.id == -1:
            label = "ROOT"
        else:
            text = n.state_repr
            text = text[:max_label_length] + "..." if len(text) > max_label_length else text
            label = "\n".join([f"ID: {n.id}", *([f"Score: {n.score:.2f}"] if show_scores else []), text])
        tips = [f"Node ID: {n.id}", f"Score: {n.score:.4f}"]
        tips += [f"Status: {n.status}"] if n.status else []
        tips += [f"Action: {n.action_from_parent}"] if n.action_from_parent else []
        for key, value in n.algo_metrics.items():
            shown = value.get("display_value", value) if isinstance(value, dict) else value
            tips.append(f"  {key}: {shown}")
        dot.node(
            str(n.id), label=label, style="filled", fillcolor=_node_color(n, color), tooltip="\n".join(tips)
        )
    for e in snapshot.edges:
        dot.edge(str(e.source), str(e.target), label=e.action or "")
    try:
        dot.render(filename=output_basename, format=format.lower(), cleanup=True)
    except graphviz.backend.execute.ExecutableNotFound:
        raise DependencyNotFoundError(
            "Graphviz's dot program is not on PATH (apt install graphviz)"
        ) from None
    except Exception as e:  # noqa: BLE001 - any failure of the external program
        raise RenderError(f"Failed to render Graphviz output: {e}") from e


def visualize_tree_graphviz(
    tree: Tree,
    save_path: str | None = None,
    show_scores: bool = True,
    max_label_length: int = 20,
    title: str | None = None,
    format: str = "png",
) -> Any:
    """TreeQuest's legacy ``visualize_tree_graphviz(state.tree, ...)``: a ``graphviz.Digraph`` (rendered to
    ``save_path.<format>`` when given). Needs the optional ``graphviz`` package."""
    graphviz = _import_graphviz()
    dot = graphviz.Digraph(comment=title or "Tree Visualization")
    if title:
        dot.attr(label=title)
    for node in tree.get_nodes():
        text = "" if node.is_root() else str(node.state)
        dot.node(
            str(node.expand_idx),
            label=_legacy_label(node.expand_idx, node.score, text, show_scores, max_label_length),
            style="filled",
            fillcolor=_legacy_fill(node.expand_idx, node.score),
        )
        if node.parent is not None:
            dot.edge(str(node.parent.expand_idx), str(node.expand_idx))
    if save_path:
        dot.render(save_path, format=format, cleanup=True)
    return dot


# ---- Mermaid -------------------------------------------------------------------------------------
def _mermaid_text(text: str) -> str:
    # Mermaid labels: quotes and markup characters as entity codes
    return "".join(f"#{ord(c)};" if c in '"<>&#`|' else c for c in text).replace("\n", "<br/>")


def mermaid_source(
    snapshot: VisualizationSnapshot[Any],
    theme: str = "default",
    max_nodes: int | None = None,
    color_map: ColorMapArg = None,
) -> str:
    """Mermaid ``graph TD`` text: ``node<id>`` per node (``max_nodes``: the root and the best-scoring)."""
    nodes = snapshot.nodes
    if max_nodes is not None and len(nodes) > max_nodes:
        root = [n for n in nodes if n.id == -1]
        rest = sorted((n for n in nodes if n.id != -1), key=lambda n: n.score, reverse=True)
        nodes = root + rest[: max(max_nodes - len(root), 0)]
    color = _color_fn(color_map, nodes)
    kept = {n.id for n in nodes}
    lines = ["%%{init: {'theme':'" + _mermaid_text(theme) + "'}}%%", "graph TD"]
    for n in nodes:
        if n.id == -1:
            label = "ROOT"
        else:
            text = n.state_repr[:20] + ("..." if len(n.state_repr) > 20 else "")
            label = f"ID: {n.id}<br/>Score: {n.score:.2f}<br/>{_mermaid_text(text)}"
        lines.append(f'    node{n.id}["{label}"]')
        lines.append(f"    style node{n.id} fill:{_node_color(n, color)},stroke:#333,stroke-width:2px")
    for e in snapshot.edges:
        if e.source in kept and e.target in kept:
            arrow = f'-->|"{_mermaid_text(e.action)}"|' if e.action else "-->"
            lines.append(f"    node{e.source} {arrow} node{e.target}")
    return "\n".join(lines)


def render_mermaid(
    snapshot: VisualizationSnapshot[Any],
    output_basename: str,
    *,
    format: str = "mermaid",
    theme: str = "default",
    max_nodes: int | None = None,
    color_map: ColorMapArg = None,
) -> None:
    """Write ``<output_basename>.mermaid`` (or ``.md``: the diagram in a fenced block)."""
    fmt = format.lower()
    if fmt not in ("mermaid", "md", "markdown"):
        raise ValueError(f"Unsupported format: {format}. Use 'mermaid', 'md', or 'markdown'.")
    text = mermaid_source(snapshot, theme, max_nodes, color_map)
    if fmt != "mermaid":
        text = f"```mermaid\n{text}\n```"
    try:
        write_text(output_basename + (".mermaid" if fmt == "mermaid" else ".md"), text)
    except OSError as e:
        raise RenderError(f"Failed to render Mermaid diagram: {e}") from e


# ---- HTML ----------------------------------------------------------------------------------------
PAGE_TITLE = "TreeQuest Visualization"


def html_page(
    snapshot: VisualizationSnapshot[Any],
    include_fields: list[str] | None = None,
    include_algo_metrics: bool = True,
    include_annotations: bool = True,
    *,
    theme: str = "light",
    color_map: ColorMapArg = None,
) -> str:
    """One self-contained page: the tree, a timeline slider replaying the order nodes were added, a
    click shows a node's state and metrics; the whole snapshot rides along as ``snapshotData`` JSON.
    ``theme``: "light" or "dark"."""
    from abmcts.treeview.render import THEMES, NodeDetail, ScoreColours, ViewNode, render_tree_html

    if theme not in THEMES:
        raise VisualizationError(f"theme {theme!r}: the HTML page has the themes {', '.join(THEMES)}")
    low, high = score_range(snapshot.nodes)
    colours = None if color_map is None else ScoreColours(resolve_colormap(color_map, low, high), low, high)

    def facts(n: NodeSnapshot) -> tuple[tuple[str, str], ...]:
        rows = [
            (k, str(getattr(n, k))) for k in ("score", "depth", "status", "action_from_parent", "trial_id")
        ]
        rows += [(k, str(getattr(n, k))) for k in ("created_at", "completed_at") if getattr(n, k)]
        for key, value in n.algo_metrics.items() if include_algo_metrics else ():
            if isinstance(value, dict):
                rows.append((str(value.get("display_name", key)), str(value.get("display_value", ""))))
            else:
                rows.append((key, str(value)))
        rows += [(f"annotation {k}", str(v)) for k, v in n.annotations.items()] if include_annotations else []
        return tuple(rows)

    nodes = [
        ViewNode(
            id=n.id,
            parent=None if n.parent_id in (None, -1) else n.parent_id,
            score=n.score,
            group=str(n.action_from_parent),
            edge="expand",
            label=f"#{n.id} {n.action_from_parent} score {n.score:.2f}",
            detail=NodeDetail(code=n.state_repr, facts=facts(n)),
        )
        for n in snapshot.nodes
        if n.id != -1
    ]
    algorithm = str(snapshot.metadata.get("algorithm", ""))
    data = snapshot.to_dict(include_fields, include_algo_metrics, include_annotations)
    return render_tree_html(
        nodes,
        PAGE_TITLE,
        subtitle=f"{algorithm} · abmcts.search",
        root_label="ROOT",
        extra_json={"snapshotData": data},
        theme=theme,
        colours=colours,
    )


def render_html(
    snapshot: VisualizationSnapshot[Any],
    output_basename: str,
    *,
    format: str = "html",
    theme: str = "light",
    color_map: ColorMapArg = None,
    include_fields: list[str] | None = None,
    include_algo_metrics: bool = True,
    include_annotations: bool = True,
) -> None:
    """Write ``<output_basename>.html`` (see ``html_page``): ``theme`` "light" or "dark"; nodes filled
    by ``color_map`` (default: red to green over [0, 1]), its legend showing the range it spans."""
    if format.lower() != "html":
        raise ValueError(f"Unsupported format: {format}. Use 'html'.")
    page = html_page(
        snapshot, include_fields, include_algo_metrics, include_annotations, theme=theme, color_map=color_map
    )
    try:
        write_text(output_basename + ".html", page)
    except OSError as e:
        raise RenderError(f"Failed to write HTML: {e}") from e
