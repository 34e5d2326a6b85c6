"""TreeQuest 0.3's visualisation errors (``treequest.vis.errors``), same names and hierarchy.

``VisualizationError`` is also a ``SearchInputError`` here, so code catching our input errors catches it.
"""

from __future__ import annotations

from abmcts.search.errors import SearchInputError


class VisualizationError(SearchInputError):
    """A tree cannot be visualised as asked."""


class DependencyNotFoundError(VisualizationError):
    """An optional package or program (graphviz and its ``dot``, pyyaml) is missing."""


class InvalidStateError(VisualizationError):
    """The object given is not a search state (or a node of it has no state)."""


class RenderError(VisualizationError):
    """Writing the output failed."""


class SecurityWarning(UserWarning):
    """Something shown may be unsafe (TreeQuest warns about raw HTML in states; our pages escape it)."""
