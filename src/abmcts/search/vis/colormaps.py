"""TreeQuest 0.3.3's colour maps (``treequest.vis.renderers.color_utils``): same names and signatures.

A named map is matplotlib's own, sampled once at 257 evenly spaced points (so 0, 0.5 and 1 land on
matplotlib's colours exactly) and interpolated between them. matplotlib is imported only when a name
is used, so importing ``abmcts.search`` stays light. TreeQuest's six seaborn maps and its custom
"original" are not in matplotlib and are refused by name (no seaborn here).
"""

from __future__ import annotations

import abc
import colorsys
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from abmcts.search.vis.errors import DependencyNotFoundError, VisualizationError

RGB = tuple[int, int, int]
SAMPLES = 257  # 256 steps: i / 256 hits 0.5 exactly, where matplotlib's 256-entry tables switch bins
SEABORN = "a seaborn map (seaborn is not a dependency)"
NOT_IN_MATPLOTLIB = {  # TreeQuest 0.3.3's maps that matplotlib lacks: refused with the reason
    **dict.fromkeys(("crest", "flare", "icefire", "mako", "rocket", "vlag"), SEABORN),
    "original": "TreeQuest's own map (after Spectral)",
}


def score_hex(score: float) -> str:
    """Our default colouring: red (0) through yellow to green (1), as the tree pages colour scores."""
    s = min(1.0, max(0.0, float(score)))
    r, g, b = colorsys.hls_to_rgb(s / 3, 0.5, 0.7)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def color_tuple_to_hex(color: RGB) -> str:
    """``(r, g, b)`` in 0..255 -> ``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*color)


def hex_to_color_tuple(hex_color: str) -> RGB:
    """``#rrggbb`` -> ``(r, g, b)``."""
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class ColorMap(abc.ABC):
    """A score -> colour mapping; pass one as ``color_map`` to any renderer."""

    @abc.abstractmethod
    def get_color_tuple(self, value: float) -> RGB:
        """``(r, g, b)`` in 0..255 for ``value``."""

    def get_color_hex(self, value: float) -> str:
        return color_tuple_to_hex(self.get_color_tuple(value))


def _checked_range(min_value: float, max_value: float) -> None:
    if not min_value < max_value:
        raise VisualizationError(f"min_value ({min_value}) must be less than max_value ({max_value})")


class GrayscaleColorMap(ColorMap):
    """Black at ``min_value`` to white at ``max_value``, clamped outside."""

    def __init__(self, min_value: float, max_value: float) -> None:
        _checked_range(min_value, max_value)
        self.min_value, self.max_value = min_value, max_value

    def get_color_tuple(self, value: float) -> RGB:
        clamped = min(max(value, self.min_value), self.max_value)
        level = int((clamped - self.min_value) / (self.max_value - self.min_value) * 255)
        return level, level, level


class InterpolatedColorMap(ColorMap):
    """A colour table spread evenly over ``[min_value, max_value]``, linear between entries, clamped
    outside; ``reverse`` flips it (matplotlib's ``_r``)."""

    def __init__(
        self,
        color_data: Sequence[RGB],
        min_value: float = 0.0,
        max_value: float = 1.0,
        reverse: bool = False,
    ) -> None:
        if not color_data:
            raise VisualizationError("color_data must not be empty")
        for color in color_data:
            if len(color) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in color):
                raise VisualizationError(f"color_data: {color!r} is not three integers (R, G, B) in 0..255")
        _checked_range(min_value, max_value)
        self.color_data = list(reversed(color_data) if reverse else color_data)
        self.min_value, self.max_value = min_value, max_value

    def get_color_tuple(self, value: float) -> RGB:
        if value <= self.min_value:
            return self.color_data[0]
        if value >= self.max_value:
            return self.color_data[-1]
        position = (value - self.min_value) / (self.max_value - self.min_value) * (len(self.color_data) - 1)
        low = int(position)
        high = min(low + 1, len(self.color_data) - 1)
        t = position - low
        a, b = self.color_data[low], self.color_data[high]
        # rounded (TreeQuest truncates): a value a hair below a table entry still gives that entry
        r, g, bl = (round(a[i] * (1 - t) + b[i] * t) for i in range(3))
        return r, g, bl


def _matplotlib_maps() -> Any:
    try:
        import matplotlib  # lazily: only a named colour map needs it
    except ImportError:
        raise DependencyNotFoundError("named colour maps need matplotlib (pip install matplotlib)") from None
    return matplotlib.colormaps


def list_colormap_names() -> list[str]:
    """Every name ``get_colormap`` takes (each also with ``_r``, reversed): matplotlib's colour maps."""
    return sorted(n for n in _matplotlib_maps() if not n.endswith("_r"))


@cache
def _color_table(name: str) -> tuple[RGB, ...]:
    maps = _matplotlib_maps()
    if name not in maps:
        origin = NOT_IN_MATPLOTLIB.get(name.removesuffix("_r"))
        why = f"{origin}, not in matplotlib" if origin else "no such colour map"
        raise VisualizationError(
            f"color_map {name!r}: {why}; available (each also as <name>_r): "
            f"{', '.join(list_colormap_names())}"
        )
    rgba = maps[name]([i / (SAMPLES - 1) for i in range(SAMPLES)])
    return tuple((round(r * 255), round(g * 255), round(b * 255)) for r, g, b, _ in rgba.tolist())


def get_colormap(
    name: str, min_value: float, max_value: float, reverse: bool = False
) -> InterpolatedColorMap:
    """matplotlib's colour map ``name`` (``<name>_r`` reversed) spread over ``[min_value, max_value]``."""
    return InterpolatedColorMap(list(_color_table(name)), min_value, max_value, reverse)


def resolve_colormap(
    color_map_input: Any = None,
    min_value: float = 0.0,
    max_value: float = 1.0,
    default_colormap: str | None = None,
) -> Callable[[float], str]:
    """``color_map`` as a score -> ``#rrggbb`` function: a name (spread over ``[min_value, max_value]``),
    a ``ColorMap``, a function (used as is), or None: ``default_colormap`` if given, else our
    red (0) -> yellow -> green (1) scale (TreeQuest's default is its "original" map)."""
    if color_map_input is None:
        if default_colormap is None:
            return score_hex
        color_map_input = default_colormap
    if isinstance(color_map_input, str):
        return get_colormap(color_map_input, min_value, max_value).get_color_hex
    if isinstance(color_map_input, ColorMap):
        return color_map_input.get_color_hex
    if callable(color_map_input):
        return color_map_input  # type: ignore[no-any-return]
    raise VisualizationError(
        f"color_map {color_map_input!r}: must be None, a colour map name, a ColorMap or a function "
        f"score -> '#rrggbb', not {type(color_map_input).__name__}"
    )
