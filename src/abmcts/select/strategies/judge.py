"""`judge`: a model ranks the top answers listwise, seeing demonstrations, code and test outputs.

A base strategy (default `learned_ranker`) orders the answers; its first `top_k` go to the judge in
one prompt (`abmcts.select.judge_prompt`), and the judge's order replaces theirs; the rest keep
the base order. With `only_when_split`, a task whose best reward tier holds a single answer costs
no call. The model behind `ctx.judge` (`abmcts.select.judge.Judge`, built by the select stage from
`selection.judge`) makes the call: cached, retried, counted and, for a paid judge, within the run's
spend cap; a reply without a valid `RANKING:` line keeps the base order.
"""

from __future__ import annotations

from dataclasses import dataclass

from abmcts.arc.node import TreeNode
from abmcts.errors import ConfigError
from abmcts.select.context import SelectionContext
from abmcts.select.judge_prompt import LABELS, JudgeCandidate, render_judge_prompt
from abmcts.select.ranker import DEFAULT_ARTIFACT
from abmcts.select.strategies._base import base_artifact, base_of
from abmcts.select.strategy import StrategyDef, get_strategy, rank_programs
from abmcts.select.trees import has_answer


@dataclass(frozen=True)
class JudgeParams:
    base: str = "learned_ranker"  # any strategy that needs no judge itself (with its default parameters)
    top_k: int = 4  # answers shown to the judge (2..26)
    only_when_split: bool = True  # call only if 2+ answers tie on reward with the base strategy's first pick
    max_code_chars: int = 2000  # longer code is truncated in the prompt
    artifact: str = DEFAULT_ARTIFACT  # the learned ranker's artifact, for a base that takes one

    def __post_init__(self) -> None:
        if get_strategy(self.base, "selection.params.base").needs_judge:
            raise ValueError(f"base must be a strategy that needs no judge model, got {self.base!r}")
        if not 2 <= self.top_k <= len(LABELS):
            raise ValueError(f"top_k must be in [2, {len(LABELS)}], got {self.top_k!r}")
        if self.max_code_chars < 1:
            raise ValueError(f"max_code_chars must be >= 1, got {self.max_code_chars!r}")


def judge(nodes: list[TreeNode], ctx: SelectionContext) -> list[int]:
    p: JudgeParams = ctx.params
    if ctx.judge is None or ctx.task is None:
        raise ConfigError("selection.strategy=judge: needs a judge model (selection.judge) and the task")
    _, base_params = base_of(p)
    base_ctx = SelectionContext(ctx.task, base_params, memo=ctx.memo)
    order = rank_programs({"nodes": nodes}, p.base, base_ctx)
    by_id = {n["id"]: n for n in nodes if has_answer(n)}
    top = order[: p.top_k]
    if p.only_when_split:
        best = by_id[order[0]]["reward"] if order else 0.0
        top = [i for i in top if by_id[i]["reward"] == best]
    if len(top) < 2:
        return order
    shown = [
        JudgeCandidate(LABELS[k], by_id[i].get("code") or "", by_id[i]["test_outputs"])
        for k, i in enumerate(top)
    ]
    prompt = render_judge_prompt(ctx.task, shown, p.max_code_chars)
    labels = [c.label for c in shown]
    ranked = ctx.judge.rank(prompt, labels)
    if ranked is None:
        return order
    head = [top[labels.index(x)] for x in ranked]
    chosen = set(head)
    return head + [i for i in order if i not in chosen]


STRATEGY = StrategyDef(rank=judge, params=JudgeParams, needs_judge=True, artifact=base_artifact)
