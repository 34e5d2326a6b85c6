"""Seeing a search tree from the library alone: a JSON snapshot, Graphviz DOT text, Mermaid, and TreeQuest's
``render`` / ``visualize_tree_graphviz`` entry points.

Snapshots have TreeQuest's field names (``nodes``: id = expand_idx, parent_id, depth, score,
state_repr, action_from_parent, trial timestamps and status; ``edges``; ``trials``; ``metadata``) but
no creation time in the metadata, so the same tree always gives the same file. Labels are escaped for
each format; states are untrusted text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from abmcts.io import atomic_write_text
from abmcts.search.errors import SearchInputError
from abmcts.search.state import SearchState
from abmcts.search.tree import Tree

GRAPHVIZ_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")
TEXT_FORMATS = {
    "json": ".json",
    "dot": ".dot",
    "gv": ".gv",
    "mermaid": ".mermaid",
    "md": ".md",
    "markdown": ".md",
    "html": ".html",
}


class VisualizationError(SearchInputError):
    """A tree cannot be rendered as asked (unknown format, missing optional package)."""


def build_snapshot(
    search_tree: SearchState,
    state_formatter: Callable[[Any], str] | None = None,
    annotations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON-safe snapshot of a search state: every node, edge and trial."""
    if not isinstance(search_tree, SearchState):
        raise VisualizationError(f"build_snapshot: expected a search state, got {type(search_tree).__name__}")
    fmt = state_formatter or repr
    trials = {**search_tree.finished, **search_tree.pending}
    nodes, edges = [], []
    for node in search_tree.tree.get_nodes():
        trial = trials.get(node.trial_id) if node.trial_id else None
        parent = None if node.parent is None else node.parent.expand_idx
        action = None if node.is_root() else search_tree.action[node.expand_idx + 1]
        nodes.append(
            {
                "id": node.expand_idx,
                "trial_id": node.trial_id,
                "parent_id": parent,
                "depth": node.depth,
                "score": node.score,
                "state_repr": "" if node.is_root() else fmt(node.state),
                "action_from_parent": action,
                "created_at": trial.created_at if trial else None,
                "completed_at": trial.completed_at if trial else None,
                "status": "ROOT" if node.is_root() else (trial.trial_status if trial else "COMPLETE"),
            }
        )
        if parent is not None:
            edges.append({"source": parent, "target": node.expand_idx, "action": action})
    trial_rows = [
        {
            "trial_id": t.trial_id,
            "node_to_expand": t.node_to_expand,
            "action": t.action,
            "score": t.score,
            "created_at": t.created_at,
            "completed_at": t.completed_at,
            "trial_status": t.trial_status,
        }
        for t in trials.values()
    ]
    metadata = {
        "algorithm": search_tree.algorithm,
        "num_nodes": len(nodes) - 1,
        "num_edges": len(edges),
        "num_trials": len(trial_rows),
        **(annotations or {}),
    }
    return {"nodes": nodes, "edges": edges, "trials": trial_rows, "metadata": metadata}


def _snapshot(tree: SearchState | dict, state_formatter: Callable[[Any], str] | None) -> dict[str, Any]:
    return tree if isinstance(tree, dict) else build_snapshot(tree, state_formatter)


def _label(node: dict, show_scores: bool, max_label_length: int) -> str:
    if node["id"] == -1:
        return "ROOT"
    text = node["state_repr"]
    if len(text) > max_label_length:
        text = text[:max_label_length] + "..."
    return f"{text}\nScore: {node['score']:.2f}\nExpandIdx: {node['id']}" if show_scores else text


def _fill(node: dict) -> str:
    """TreeQuest's legacy colours: green >= 0.7 > yellow >= 0.4 > red; grey root."""
    if node["id"] == -1:
        return "lightgray"
    return "lightgreen" if node["score"] >= 0.7 else "lightyellow" if node["score"] >= 0.4 else "lightcoral"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(
    tree: SearchState | dict,
    *,
    title: str | None = None,
    show_scores: bool = True,
    max_label_length: int = 20,
    state_formatter: Callable[[Any], str] | None = None,
) -> str:
    """Graphviz DOT source of a search state (or of a snapshot from ``build_snapshot``)."""
    snap = _snapshot(tree, state_formatter)
    lines = ["digraph {"]
    if title:
        lines.append(f"  label={_dot_quote(title)}")
    for n in snap["nodes"]:
        label = _dot_quote(_label(n, show_scores, max_label_length))
        lines.append(f'  "{n["id"]}" [label={label} style=filled fillcolor={_fill(n)}]')
    for e in snap["edges"]:
        lines.append(f'  "{e["source"]}" -> "{e["target"]}"')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid labels: quotes and markup characters as entity codes
    return "".join(f"#{ord(c)};" if c in '"<>&#`' else c for c in text).replace("\n", "<br/>")


def render_mermaid(
    tree: SearchState | dict,
    *,
    show_scores: bool = True,
    max_label_length: int = 20,
    state_formatter: Callable[[Any], str] | None = None,
) -> str:
    """Mermaid ``graph TD`` source of a search state (or of a snapshot)."""
    snap = _snapshot(tree, state_formatter)
    name = {n["id"]: "root" if n["id"] == -1 else f"n{n['id']}" for n in snap["nodes"]}
    lines = ["graph TD"]
    for n in snap["nodes"]:
        lines.append(f'  {name[n["id"]]}["{_mermaid_text(_label(n, show_scores, max_label_length))}"]')
    for e in snap["edges"]:
        arrow = f'-- "{_mermaid_text(e["action"])}" -->' if e["action"] else "-->"
        lines.append(f"  {name[e['source']]} {arrow} {name[e['target']]}")
    return "\n".join(lines) + "\n"


def render_html(snapshot: dict, title: str = "search tree") -> str:
    """A snapshot as one self-contained HTML page: nodes coloured by score and by the action that
    made them, a click shows the node's state (escaped: states may hold model output)."""
    from abmcts.treeview.render import NodeDetail, ViewNode, render_tree_html  # pure Python, no ARC

    nodes = [
        ViewNode(
            id=n["id"],
            parent=None if n["parent_id"] in (None, -1) else n["parent_id"],
            score=n["score"],
            group=str(n["action_from_parent"]),
            edge="expand",
            label=f"#{n['id']}",
            detail=NodeDetail(
                code=n["state_repr"],
                facts=tuple(
                    (key, str(n[key]))
                    for key in ("score", "depth", "status", "trial_id")
                    if n[key] is not None
                ),
            ),
        )
        for n in snapshot["nodes"]
        if n["status"] != "ROOT"
    ]
    algorithm = snapshot.get("metadata", {}).get("algorithm", "")
    return render_tree_html(nodes, title, subtitle=f"{algorithm} · {len(nodes)} nodes", root_label="root")


def render(
    search_tree: SearchState | dict,
    output_basename: str | Path,
    *,
    format: str,
    state_formatter: Callable[[Any], str] | None = None,
    annotations: dict[str, Any] | None = None,
    **renderer_kwargs: Any,
) -> Path:
    """TreeQuest's ``render``: write ``<output_basename>.<ext>`` and return its path.

    Formats: json, dot/gv, mermaid/md/markdown (text, no extra package); png/pdf/svg/jpg via the
    optional ``graphviz`` package and its ``dot`` program; html is one self-contained page (no
    network) drawn by the pipeline's tree viewer, click a node for its state.
    """
    snap = (
        search_tree
        if isinstance(search_tree, dict)
        else build_snapshot(search_tree, state_formatter, annotations)
    )
    fmt = format.lower()
    base = Path(output_basename)
    if fmt in GRAPHVIZ_FORMATS:
        graphviz = _import_graphviz()
        source = graphviz.Source(render_dot(snap, **renderer_kwargs))
        return Path(source.render(str(base), format=fmt, cleanup=True))
    if fmt not in TEXT_FORMATS:
        raise VisualizationError(
            f"render: format {format!r} is not one of {[*TEXT_FORMATS, *GRAPHVIZ_FORMATS]}"
        )
    if fmt == "json":
        text = json.dumps(snap, indent=2, default=str) + "\n"
    elif fmt in ("dot", "gv"):
        text = render_dot(snap, **renderer_kwargs)
    elif fmt == "html":
        text = render_html(snap, **renderer_kwargs)
    else:
        text = render_mermaid(snap, **renderer_kwargs)
        if fmt != "mermaid":
            text = f"```mermaid\n{text}```\n"
    path = base.with_name(base.name + TEXT_FORMATS[fmt])
    atomic_write_text(path, text)
    return path


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise VisualizationError(
            "graph images need the optional 'graphviz' package (pip install graphviz)"
        ) from None
    return graphviz


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
        n = {
            "id": node.expand_idx,
            "score": node.score,
            "state_repr": "" if node.is_root() else str(node.state),
        }
        dot.node(
            str(node.expand_idx),
            label=_label(n, show_scores, max_label_length),
            style="filled",
            fillcolor=_fill(n),
        )
        if node.parent is not None:
            dot.edge(str(node.parent.expand_idx), str(node.expand_idx))
    if save_path:
        dot.render(save_path, format=format, cleanup=True)
    return dot
