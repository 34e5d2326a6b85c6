"""The search stage's progress bar: tasks done and solved on train, then what this invocation did:
calls made and their recorded cost. Both count the same calls (this session's, not those a resumed
run's trees already held), so a resume starts both at 0."""

from __future__ import annotations

from typing import Any


class RunProgress:
    """tqdm over tasks; `calls()` adds calls and spend as workers report them."""

    def __init__(self, total: int, desc: str, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.n_calls, self.cost, self.solved = 0, 0.0, 0
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
            f"solved {self.solved} | this session: {self.n_calls} calls, ${self.cost:.4f}", refresh=False
        )

    def close(self) -> None:
        self._bar.close()
