"""Search-layer input error: an InputError that is also a ValueError, so library users can catch either."""

from abmcts.errors import InputError


class SearchInputError(InputError, ValueError):
    """Bad use of the search API (score out of range, unknown trial id, empty action set, bad option)."""


class ScoreRangeError(SearchInputError, RuntimeError):
    """A score outside [0, 1]; also a RuntimeError, which is what TreeQuest raises for it."""
