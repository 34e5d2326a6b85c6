"""What a strategy may know about a task besides its tree: demonstrations and test inputs, never test outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from abmcts.arc.task import Grid


@dataclass(frozen=True)
class TaskView:
    """One task as the search saw it (a `tasks.json` entry): demonstration pairs and test inputs."""

    task_id: str
    train: list[tuple[Grid, Grid]]
    test_inputs: list[Grid]

    @classmethod
    def from_json(cls, task_id: str, data: Mapping[str, Any]) -> TaskView:
        return cls(
            task_id,
            [(p["input"], p["output"]) for p in data.get("train", [])],
            [t["input"] for t in data.get("test", [])],
        )

    def arrays(self) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
        return [(np.array(i), np.array(o)) for i, o in self.train], [np.array(g) for g in self.test_inputs]
