"""The tree node record: one model call and what its program did.

One definition, used from the runner that makes it to the tree file that stores it, to selection and
scoring that read it. It is a TypedDict, not a dataclass, because a node *is* the JSON object in the tree
file: thousands are loaded per run and handed around as they are, so the type checker sees every field
while the bytes on disk and the cost in memory stay exactly those of the plain dict.
"""

from __future__ import annotations

from typing import TypedDict

from abmcts.arc.task import Grid


class TreeNode(TypedDict):
    id: int
    parent: int | None
    model: str
    prompt_hash: str
    sample_index: int
    code: str | None
    reward: float
    train_correct: list[bool]
    train_outputs: list[Grid | None]
    test_outputs: list[Grid | None]
    prompt_tokens: int
    completion_tokens: int
    cost: float
    latency_s: float
    error: str | None  # the call's failure, no code, or the program's first error
    exec_errors: list[str | None] | None  # the program's error per grid (train, then test), if any
