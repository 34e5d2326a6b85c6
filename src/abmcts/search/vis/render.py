"""TreeQuest 0.3's high-level ``render``: a search state or snapshot to a file of the chosen format."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abmcts.search.vis.build import build_snapshot
from abmcts.search.vis.errors import VisualizationError
from abmcts.search.vis.renderers import (
    dump_snapshot,
    render_dot,
    render_graphviz,
    render_html,
    render_mermaid,
    write_text,
)
from abmcts.search.vis.snapshot import VisualizationSnapshot

GRAPHVIZ_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")
EXTENSIONS = {"json": ".json", "yaml": ".yaml", "mermaid": ".mermaid", "md": ".md", "markdown": ".md"}
EXTENSIONS |= {"html": ".html", "dot": ".dot", "gv": ".gv"} | {f: f".{f}" for f in GRAPHVIZ_FORMATS}


def render(
    search_tree: Any,
    output_basename: str | Path,
    *,
    format: str,
    state_formatter: Callable[[Any], str] | None = None,
    annotations: dict[str, Any] | None = None,
    **renderer_kwargs: Any,
) -> Path:
    """Write ``<output_basename>.<ext>`` and return its path (TreeQuest returns None).

    Formats as TreeQuest's: png/pdf/svg/jpg/jpeg (graphviz), json/yaml, mermaid/md/markdown, html; and
    ours: dot/gv (Graphviz source, no package needed). An existing directory as ``output_basename``
    gets a timestamped ``treequest_YYYYMMDD_HHMMSS`` file inside, with a warning, as in TreeQuest.
    """
    fmt = format.lower()
    if fmt not in EXTENSIONS:
        raise VisualizationError(f"Unsupported format: {format}. Supported formats: {', '.join(EXTENSIONS)}")
    snapshot = (
        search_tree
        if isinstance(search_tree, VisualizationSnapshot)
        else build_snapshot(search_tree, state_formatter=state_formatter, annotations=annotations)
    )
    base = Path(output_basename).resolve()
    if base.is_dir():
        base = base / f"treequest_{datetime.now(tz=UTC).strftime('%Y%m%d_%H%M%S')}"
        warnings.warn(
            f"Output path is a directory. Generated filename: {base}\n"
            "This may lead to overwriting files if called multiple times within the same second.",
            UserWarning,
            stacklevel=2,
        )
    out = str(base)
    if fmt in GRAPHVIZ_FORMATS:
        render_graphviz(snapshot, out, format=fmt, **renderer_kwargs)
    elif fmt in ("json", "yaml"):
        dump_snapshot(snapshot, out, format=fmt, **renderer_kwargs)
    elif fmt in ("mermaid", "md", "markdown"):
        render_mermaid(snapshot, out, format=fmt, **renderer_kwargs)
    elif fmt == "html":
        render_html(snapshot, out, format=fmt, **renderer_kwargs)
    else:
        write_text(out + EXTENSIONS[fmt], render_dot(snapshot, **renderer_kwargs))
    return Path(out + EXTENSIONS[fmt])
