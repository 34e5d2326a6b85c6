"""TreeQuest 0.3's visualisation API (``treequest.vis``) for ``abmcts.search`` states.

``build_snapshot`` turns a search state into ``VisualizationSnapshot`` records; ``render`` writes one
file of any format; the renderers write one format each. Dependencies, all optional and imported only
when that format is asked for: pyyaml (yaml), the graphviz package and its ``dot`` program (images),
matplotlib (a colour map by name); HTML pages are drawn by ``abmcts.treeview`` (pure Python, no third-party package).
"""

from abmcts.search.vis.adapters import VisualizerAdapter, register_adapter
from abmcts.search.vis.build import build_snapshot
from abmcts.search.vis.errors import (
    DependencyNotFoundError,
    InvalidStateError,
    RenderError,
    SecurityWarning,
    VisualizationError,
)
from abmcts.search.vis.render import render
from abmcts.search.vis.renderers import (
    ColorMap,
    GrayscaleColorMap,
    InterpolatedColorMap,
    dump_snapshot,
    get_colormap,
    list_colormap_names,
    mermaid_source,
    render_dot,
    render_graphviz,
    render_html,
    render_mermaid,
    resolve_colormap,
    visualize_tree_graphviz,
)
from abmcts.search.vis.snapshot import (
    AlgoMetrics,
    EdgeSnapshot,
    NodeSnapshot,
    TrialSnapshot,
    VisualizationSnapshot,
)

__all__ = [
    "AlgoMetrics",
    "ColorMap",
    "DependencyNotFoundError",
    "EdgeSnapshot",
    "GrayscaleColorMap",
    "InterpolatedColorMap",
    "InvalidStateError",
    "NodeSnapshot",
    "RenderError",
    "SecurityWarning",
    "TrialSnapshot",
    "VisualizationError",
    "VisualizationSnapshot",
    "VisualizerAdapter",
    "build_snapshot",
    "dump_snapshot",
    "get_colormap",
    "list_colormap_names",
    "mermaid_source",
    "register_adapter",
    "render",
    "render_dot",
    "render_graphviz",
    "render_html",
    "render_mermaid",
    "resolve_colormap",
    "visualize_tree_graphviz",
]
