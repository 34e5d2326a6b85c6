"""Search-layer input error: an InputError that is also a ValueError, so library users can catch either."""

from abmcts.errors import InputError


class SearchInputError(InputError, ValueError):
    """Bad use of the search API (score out of range, unknown trial id, empty action set, bad option)."""


class InvalidResultError(SearchInputError, RuntimeError):
    """A result TreeQuest's ``Node`` refuses (score outside [0, 1], None state); also a RuntimeError, as there."""
