"""A binary heap ordered by ``key(item)`` only (CPython's ``heapq`` algorithm, comparing keys).

``heapq`` compares whole items, so equal keys fall back to comparing the rest; TreeQuest's heap items
compare by their sort key alone. Using the same algorithm on keys alone pops equal-key items in the
same order as TreeQuest does, so best-first and Tree-of-Thoughts searches build the same trees.
Items stay plain lists, so the heap is JSON-safe. A heap inside a search state passes the state as
``log``, which is told of every change first (``SearchState.will_set``/``will_grow``/``will_pop``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Key = Callable[[Any], Any]


class _NoLog:
    """For heaps outside a search state."""

    def will_set(self, items: list[Any], pos: int) -> None: ...
    def will_grow(self, items: list[Any]) -> None: ...
    def will_pop(self, items: list[Any]) -> None: ...


NO_LOG = _NoLog()


def push(heap: list[Any], item: Any, key: Key, log: Any = NO_LOG) -> None:
    log.will_grow(heap)
    heap.append(item)
    _sift_down(heap, 0, len(heap) - 1, key, log)


def pop(heap: list[Any], key: Key, log: Any = NO_LOG) -> Any:
    log.will_pop(heap)
    last = heap.pop()
    if not heap:
        return last
    log.will_set(heap, 0)
    top, heap[0] = heap[0], last
    _sift_up(heap, 0, key, log)
    return top


def _sift_down(heap: list[Any], start: int, pos: int, key: Key, log: Any) -> None:
    item = heap[pos]
    while pos > start:
        parent = (pos - 1) >> 1
        if not key(item) < key(heap[parent]):
            break
        log.will_set(heap, pos)
        heap[pos] = heap[parent]
        pos = parent
    log.will_set(heap, pos)
    heap[pos] = item


def _sift_up(heap: list[Any], pos: int, key: Key, log: Any) -> None:
    end, start, item = len(heap), pos, heap[pos]
    child = 2 * pos + 1
    while child < end:
        right = child + 1
        if right < end and not key(heap[child]) < key(heap[right]):
            child = right
        log.will_set(heap, pos)
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    log.will_set(heap, pos)
    heap[pos] = item
    _sift_down(heap, start, pos, key, log)
