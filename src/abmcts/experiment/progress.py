"""The search stage's progress bar: tasks done, with calls made, spend and tasks solved on train."""

from __future__ import annotations

from typing import Any


class RunProgress:
    """tqdm over tasks; `calls()` adds calls and spend as workers report them."""

    def __init__(self, total: int, desc: str, enabled: bool = True, spent: float = 0.0) -> None:
        from tqdm import tqdm

        self.n_calls, self.cost, self.solved = 0, spent, 0
        self._bar = tqdm(total=total, desc=desc, disable=not enabled, unit="task")

    def calls(self, n: int, cost: float) -> None:
        self.n_calls += n
        self.cost += cost
        self._show()

    def task(self, summary: dict[str, Any]) -> None:
        self.solved += summary["best_reward"] == 1.0
        self._bar.update(1)
        self._show()

    def _show(self) -> None:
        self._bar.set_postfix_str(
            f"calls {self.n_calls}, ${self.cost:.4f}, solved {self.solved}", refresh=False
        )

    def close(self) -> None:
        self._bar.close()
