"""Spend caps: `run.max_cost_usd` over the whole run, `search.max_cost_usd` per task.

A call is sent only after its worst-case cost (`abmcts.llm.pricing.worst_case_cost`) is reserved
against both caps; once it is answered its recorded cost is added and the reservation released.
So the recorded cost (the sum of the nodes' `cost`) never exceeds a cap, even with many calls in
flight. The run-wide account is shared by every search of the process and, through a
`multiprocessing.Value`, by the run's local worker processes; it starts at what the run's
existing trees already recorded, so a resumed run counts what it spent before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

RUN_CAP, TASK_CAP = "run_cost_cap", "task_cost_cap"


class LocalAccount:
    """The `multiprocessing.Value('d')` interface, for one process."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value
        self._lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self._lock


@dataclass
class SpendCaps:
    """The caps of one run (None = no cap) and its run-wide account (spent + reserved, USD)."""

    run_cap: float | None = None
    task_cap: float | None = None
    account: Any = field(default_factory=LocalAccount)

    @property
    def active(self) -> bool:
        return self.run_cap is not None or self.task_cap is not None

    def reserve(
        self, client: Any, calls: Sequence[tuple[str, list[dict[str, Any]]]], task_spent: float
    ) -> tuple[float, str | None]:
        """Reserve the calls' worst case: (amount, None), or (0, the cap that refused them)."""
        if not self.active:
            return 0.0, None
        from abmcts.llm.pricing import worst_case_cost

        worst = sum(worst_case_cost(client.spec(model), messages) for model, messages in calls)
        if self.task_cap is not None and task_spent + worst > self.task_cap:
            return 0.0, TASK_CAP
        with self.account.get_lock():
            if self.run_cap is not None and self.account.value + worst > self.run_cap:
                return 0.0, RUN_CAP
            self.account.value += worst
        return worst, None

    def record(self, cost: float) -> None:
        if self.active and cost:
            with self.account.get_lock():
                self.account.value += cost

    def release(self, reserved: float) -> None:
        if reserved:
            with self.account.get_lock():
                self.account.value -= reserved


def check_caps(cfg: Any, tasks: Sequence[Any]) -> None:
    """A cap below one call's worst case can do nothing: say so before the run starts.

    The yardstick is each task's first call (the initial prompt) on its cheapest model.
    """
    caps = {"run.max_cost_usd": cfg.run.max_cost_usd, "search.max_cost_usd": cfg.search.max_cost_usd}
    if all(v is None for v in caps.values()) or not tasks:
        return
    from abmcts.arc.prompts import PromptTemplates
    from abmcts.errors import ConfigError
    from abmcts.experiment.runner import messages_for
    from abmcts.llm.pricing import worst_case_cost

    templates = PromptTemplates(initial=cfg.prompts.initial, refinement=cfg.prompts.refinement)
    first_calls = {}
    for task in tasks:
        messages = messages_for(task, templates, None)
        first_calls[task.task_id] = min(
            (worst_case_cost(spec, messages), spec.name) for spec in cfg.models.specs
        )
    cheapest_task = min(first_calls, key=lambda t: first_calls[t][0])
    dearest_task = max(first_calls, key=lambda t: first_calls[t][0])
    for key, task_id in (("run.max_cost_usd", cheapest_task), ("search.max_cost_usd", dearest_task)):
        cap = caps[key]
        worst, model = first_calls[task_id]
        if cap is not None and cap < worst:
            raise ConfigError(
                f"config {key}={cap!r}: below one call's worst case ({worst:.6f} USD: model {model!r}, "
                f"task {task_id}, prompt + max_tokens); raise the cap or lower params.max_tokens"
            )
