"""The search stage's progress bar: tasks done, with calls made, spend and tasks solved on train."""

from __future__ import annotations

from typing import Any


class RunProgress:
    """tqdm over tasks; `calls()` adds calls and spend as workers report them.

    The spend shown is the run's spend ledger (`billed`: settled + open, what the caps are
    checked against) when the run keeps one, else the sum of the calls' recorded costs.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.n_calls, self.cost, self.solved = 0, 0.0, 0
        self._bar = tqdm(total=total, desc=desc, disable=not enabled, unit="task")

    def calls(self, n: int, cost: float, billed: float | None = None) -> None:
        self.n_calls += n
        self.cost = billed if billed is not None else self.cost + cost
        self._show()

    def task(self, summary: dict[str, Any], billed: float | None = None) -> None:
        if billed is not None:
            self.cost = billed
        self.solved += summary["best_reward"] == 1.0
        self._bar.update(1)
        self._show()

    def _show(self) -> None:
        self._bar.set_postfix_str(
            f"calls {self.n_calls}, ${self.cost:.4f}, solved {self.solved}", refresh=False
        )

    def close(self) -> None:
        self._bar.close()
