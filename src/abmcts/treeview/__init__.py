"""Self-contained HTML views of search trees: a generic renderer and the ARC adapter beside it."""

from abmcts.treeview.render import GridPanel, NodeDetail, ViewNode, render_tree_html

__all__ = ["GridPanel", "NodeDetail", "ViewNode", "render_tree_html"]
