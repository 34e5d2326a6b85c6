"""TreeQuest's ``step`` copies the state it is given; this gives the same result at O(1) per step.

``fork(old)`` moves ``old``'s data (the flat node arrays, trials, statistics: "shared containers")
into a new state and leaves ``old`` frozen: an empty shell holding a ``Frozen`` record. From then on
every change to the shared containers is logged first (``SearchState.will_set`` / ``will_grow`` /
``will_pop`` / ``touch``) into that record's undo log, so ``old``'s contents stay known without
copying anything. In TreeQuest's loop (``state = algo.step(state, fns)``) the old state is dropped
at once, its record with it, and the log stops (a weak reference notices).

Reading a frozen state (any attribute; ``SearchState.__getattr__`` calls ``thaw``) rebuilds its own
copy once: the live data copied (node states shared, as everywhere here) and the undo logs of the
chain applied to the copy, newest first. That costs what TreeQuest pays on every step, only when a
stepped-from state is read again. Node states are never copied (the algorithms never change them),
unlike TreeQuest's deep copy; docs/CONTRACTS.md says where that shows.

Per-version values (``rng``, ``next_trial``, the ``tree`` mirror, the derived ``cache``) are not
shared: the record keeps the old ones (the RNG as its bit-generator state), the new state gets the
RNG object and cache, and builds its own mirror on first use.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from abmcts.search.state import SearchState
    from abmcts.search.tree import Tree

# undo-log entries: (SET, container, key, old value) | (DEL, dict, key) | (TRUNC, list, old length)
# | (APPEND, list, popped item) | (RESTORE, list or dict, old contents)
SET, DEL, TRUNC, APPEND, RESTORE = range(5)
LogEntry = tuple[Any, ...]
PER_VERSION_HIDDEN = ("_journal", "_pred")  # never copied or pickled
FROZEN = "_frozen"


@dataclass(eq=False)
class Frozen:
    """A stepped-from state's contents: ``log`` applied (last entry first) to ``successor``'s contents.

    ``successor`` is the live state that took the data over, or that state's own record once it was
    stepped from in turn, so a chain always ends at the live state.
    """

    rng_state: dict[str, Any]
    next_trial: int
    tree: Tree | None
    successor: Any
    log: list[LogEntry] = field(default_factory=list)


def _stop_logging(
    handle_ref: weakref.ref[SearchState], log: list[LogEntry]
) -> Callable[[weakref.ref[Frozen]], None]:
    """Callback for the predecessor's record: once it is gone, nobody needs ``log`` any more."""

    def stop(_: weakref.ref[Frozen]) -> None:
        handle = handle_ref()
        if handle is not None and handle.__dict__.get("_journal") is log:
            handle.__dict__["_journal"] = handle.__dict__["_pred"] = None

    return stop


def fork(old: SearchState) -> SearchState:
    """A new state with ``old``'s data; ``old`` keeps reading as it was (O(1))."""
    data = live_dict(old)
    record = Frozen(data["rng"].bit_generator.state, data["next_trial"], data["_tree"], None)
    pred = data["_pred"]() if data["_pred"] is not None else None
    new = type(old).__new__(type(old))
    record.successor = new
    if pred is not None:
        pred.successor = record  # the chain now runs through old's record, not old itself
    old.__dict__ = {FROZEN: record}
    new.__dict__ = data
    data["_tree"] = None
    data["_journal"] = record.log
    data["_pred"] = weakref.ref(record, _stop_logging(weakref.ref(new), record.log))
    return new


def live_dict(state: SearchState) -> dict[str, Any]:
    """The state's attribute dict, rebuilt first if the state is frozen."""
    thaw(state)
    return state.__dict__


def thaw(state: SearchState) -> bool:
    """Give a frozen state its own data again (False when it was not frozen)."""
    record = state.__dict__.get(FROZEN)
    if record is None:
        return False
    chain = [record]
    while isinstance(chain[-1].successor, Frozen):
        chain.append(chain[-1].successor)
    live = live_dict(chain[-1].successor)
    memo: dict[int, Any] = {}
    for user_state in live["state"]:  # node states are shared, never copied
        memo[id(user_state)] = user_state
    for trials in (live["pending"], live["finished"]):
        for trial in trials.values():  # frozen dataclasses
            memo[id(trial)] = trial
    shared = {k: v for k, v in live.items() if k not in (*PER_VERSION_HIDDEN, "rng", "cache", "_tree")}
    data = copy.deepcopy(shared, memo)
    for rec in reversed(chain):
        for entry in reversed(rec.log):
            _undo(entry, memo)
    rng = np.random.Generator(type(live["rng"].bit_generator)())
    rng.bit_generator.state = record.rng_state
    data.update(rng=rng, next_trial=record.next_trial, _tree=record.tree, cache={}, _journal=None, _pred=None)
    state.__dict__ = data
    return True


def _undo(entry: LogEntry, memo: dict[int, Any]) -> None:
    """Apply one undo entry to the copy: containers and values are mapped through the copy's memo."""
    kind, original = entry[0], entry[1]
    target = memo.get(id(original))
    if target is None:  # a container no longer reachable from the live data: rebuilt by an earlier undo
        target = copy.deepcopy(original, memo)
    if kind == SET:
        target[entry[2]] = copy.deepcopy(entry[3], memo)
    elif kind == DEL:
        del target[entry[2]]
    elif kind == TRUNC:
        del target[entry[2] :]
    elif kind == APPEND:
        target.append(copy.deepcopy(entry[2], memo))
    else:
        old = copy.deepcopy(entry[2], memo)
        if isinstance(target, dict):
            target.clear()
            target.update(old)
        else:
            target[:] = old
