"""`judge`: a model ranks the top answers listwise, seeing demonstrations, code and test outputs.

A base strategy (default `learned_ranker`) orders the answers; its first `top_k` go to the judge in
one prompt (`abmcts.select.judge_prompt`), and the judge's order replaces theirs; the rest keep
the base order. With `only_when_split`, a task whose best reward tier holds a single answer costs
no call. The call goes through the run's `LLMClient`: cached (so `cache.mode=replay` repeats a
selection with zero new calls), retried, counted in `JudgeUsage`, and (a paid judge) reserved and
settled in the run's spend ledger under `run.max_cost_usd`, after what the search spent. A reply without a valid
`RANKING:` line keeps the base order and is counted as `unparsed` (LLM garbage never crashes a run).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from abmcts.errors import ConfigError
from abmcts.llm.backends import BackendContext, backend_of
from abmcts.llm.cache import ResponseCache
from abmcts.llm.client import LLMClient, OfflineModel
from abmcts.llm.ledger import SpendAccount, SpendStopped
from abmcts.llm.offline.models import get_model
from abmcts.llm.spec import ModelSpec
from abmcts.select.context import SelectionContext
from abmcts.select.judge_prompt import LABELS, JudgeCandidate, parse_ranking, render_judge_prompt
from abmcts.select.ranker import DEFAULT_ARTIFACT
from abmcts.select.trees import has_answer


@dataclass(frozen=True)
class JudgeParams:
    base: str = "learned_ranker"  # any non-judge strategy (with its default parameters)
    top_k: int = 4  # answers shown to the judge (2..26)
    only_when_split: bool = True  # call only if 2+ answers tie on reward with the base strategy's first pick
    max_code_chars: int = 2000  # longer code is truncated in the prompt
    artifact: str = DEFAULT_ARTIFACT  # the learned ranker's artifact when base=learned_ranker

    def __post_init__(self) -> None:
        if self.base == "judge":
            raise ValueError("base must be a strategy other than 'judge'")
        if not 2 <= self.top_k <= len(LABELS):
            raise ValueError(f"top_k must be in [2, {len(LABELS)}], got {self.top_k!r}")
        if self.max_code_chars < 1:
            raise ValueError(f"max_code_chars must be >= 1, got {self.max_code_chars!r}")


@dataclass
class JudgeUsage:
    """What the judge cost over a selection run (recorded in selection.json, summed into metrics)."""

    calls: int = 0
    cached: int = 0
    failed: int = 0
    capped: int = 0  # not sent: the run's spend ledger did not admit it (cap reached, model blocked)
    unparsed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tokens": self.prompt_tokens + self.completion_tokens}


@dataclass
class Judge:
    """One judge model behind an `LLMClient` (anything with `complete(model, messages)`).

    A client with a spend account sends a call only when the run's ledger admits it (its worst
    case fits under `run.max_cost_usd` with everything the run spent counted); a call it refuses
    (`SpendStopped`) keeps the base order and is counted as `capped`.
    """

    client: Any
    model: str
    usage: JudgeUsage = field(default_factory=JudgeUsage)

    def rank(self, prompt: str, labels: list[str]) -> list[str] | None:
        messages = [{"role": "user", "content": prompt}]
        try:
            completion = self.client.complete(self.model, messages)
        except SpendStopped:
            self.usage.capped += 1
            return None
        self.usage.calls += 1
        self.usage.cached += bool(completion.cached)
        if completion.error is not None:
            self.usage.failed += 1
            return None
        self.usage.prompt_tokens += completion.prompt_tokens
        self.usage.completion_tokens += completion.completion_tokens
        self.usage.cost += completion.cost
        order = parse_ranking(completion.text, labels)
        self.usage.unparsed += order is None
        return order


def judge(nodes: list[dict], ctx: SelectionContext) -> list[int]:
    from abmcts.select.strategies import rank_programs, strategy_params

    p: JudgeParams = ctx.params
    if ctx.judge is None or ctx.task is None:
        raise ConfigError("selection.strategy=judge: needs a judge model (selection.judge) and the task")
    base_params = {"artifact": p.artifact} if p.base == "learned_ranker" else None
    base_ctx = SelectionContext(ctx.task, strategy_params(p.base, base_params), memo=ctx.memo)
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


def load_offline_judge(name: str) -> OfflineModel:
    """Offline models for the judge: `offline/judge` (the stand-in, which reads judge prompts) or any
    program-writing model."""
    if name == "judge":
        from abmcts.select.offline_judge import JUDGE

        return JUDGE
    return get_model(name)


def judge_problems(spec: ModelSpec) -> list[str]:
    """What keeps the judge's model from working, found before any work: its backend kind's check,
    with `offline/judge` among the offline models."""
    context = BackendContext(offline_loader=load_offline_judge)
    return backend_of(spec, "selection.judge.backend").check(spec, context)


def judge_client(spec: ModelSpec, cache: ResponseCache, account: SpendAccount | None = None) -> LLMClient:
    """The judge's own client on the run's response cache (calls cached, replayable) and, for a
    paid judge, the run's spend ledger (`account`)."""
    return LLMClient({spec.name: spec}, cache, offline_loader=load_offline_judge, account=account)
