"""The search stage's progress bar: tasks done and solved on train, then what this invocation did:
calls made and their recorded cost. Both count the same calls (this session's, not those a resumed
run's trees already held), so a resume starts both at 0. Where the run keeps a spend ledger, its
total is shown beside them, labelled as the run's: what the caps are checked against."""

from __future__ import annotations

from typing import Any


class RunProgress:
    """tqdm over tasks; `calls()` adds this session's calls and their recorded cost as workers report
    them; `billed` is the ledger's run total (settled + open reservations, earlier sessions included)."""

    def __init__(self, total: int, desc: str, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.n_calls, self.cost, self.solved = 0, 0.0, 0
        self.billed: float | None = None
        self._bar = tqdm(total=total, desc=desc, disable=not enabled, unit="task")

    def calls(self, n: int, cost: float, billed: float | None = None) -> None:
        self.n_calls += n
        self.cost += cost
        if billed is not None:
            self.billed = billed
        self._show()

    def task(self, summary: dict[str, Any], billed: float | None = None) -> None:
        if billed is not None:
            self.billed = billed
        self.solved += summary["best_reward"] == 1.0
        self._bar.update(1)
        self._show()

    def _show(self) -> None:
        text = f"solved {self.solved} | this session: {self.n_calls} calls, ${self.cost:.4f}"
        if self.billed is not None:
            text += f" | run billed ${self.billed:.4f}"
        self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        self._bar.close()
