"""A binary heap ordered by ``key(item)`` only (CPython's ``heapq`` algorithm, comparing keys).

``heapq`` compares whole items, so equal keys fall back to comparing the rest; TreeQuest's heap items
compare by their sort key alone. Using the same algorithm on keys alone pops equal-key items in the
same order as TreeQuest does, so best-first and Tree-of-Thoughts searches build the same trees.
Items stay plain lists, so the heap is JSON-safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Key = Callable[[Any], Any]


def push(heap: list, item: Any, key: Key) -> None:
    heap.append(item)
    _sift_down(heap, 0, len(heap) - 1, key)


def pop(heap: list, key: Key) -> Any:
    last = heap.pop()
    if not heap:
        return last
    top, heap[0] = heap[0], last
    _sift_up(heap, 0, key)
    return top


def _sift_down(heap: list, start: int, pos: int, key: Key) -> None:
    item = heap[pos]
    while pos > start:
        parent = (pos - 1) >> 1
        if not key(item) < key(heap[parent]):
            break
        heap[pos] = heap[parent]
        pos = parent
    heap[pos] = item


def _sift_up(heap: list, pos: int, key: Key) -> None:
    end, start, item = len(heap), pos, heap[pos]
    child = 2 * pos + 1
    while child < end:
        right = child + 1
        if right < end and not key(heap[child]) < key(heap[right]):
            child = right
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    heap[pos] = item
    _sift_down(heap, start, pos, key)
