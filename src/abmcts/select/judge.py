"""The judge model behind judging strategies (`strategies/judge.py`): one call per prompt through the
run's `LLMClient`, so it is cached (`cache.mode=replay` repeats a selection with zero new calls),
retried, counted in `JudgeUsage` and (a paid judge) reserved and settled in the run's spend ledger
under `run.max_cost_usd`, after what the search spent. A reply without a valid `RANKING:` line is
counted as `unparsed` (LLM garbage never crashes a run).
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
from abmcts.select.judge_prompt import parse_ranking
from abmcts.select.offline_judge import OFFLINE_JUDGES


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


def load_offline_judge(name: str) -> OfflineModel:
    """Offline models for the judge: `offline/judge` (the stand-in, which reads judge prompts) or any
    program-writing model."""
    return OFFLINE_JUDGES.get(name) or get_model(name)


def judge_client(spec: ModelSpec, cache: ResponseCache, account: SpendAccount | None = None) -> LLMClient:
    """The judge's own client on the run's response cache (calls cached, replayable) and, for a
    paid judge, the run's spend ledger (`account`)."""
    return LLMClient({spec.name: spec}, cache, offline_loader=load_offline_judge, account=account)


def judge_spec(selection: Any) -> ModelSpec:
    """The judge's model spec from `selection.judge` (ConfigError if missing or malformed)."""
    if selection.judge is None:
        raise ConfigError(f"config selection.judge: required when selection.strategy={selection.strategy}")
    return ModelSpec.from_dict(selection.judge, name="selection.judge")


def check_judge(selection: Any) -> None:
    """Before any work: `selection.judge` is a model spec that its backend kind finds nothing wrong
    with (an offline judge model exists, `offline/judge` among them)."""
    spec = judge_spec(selection)
    context = BackendContext(offline_loader=load_offline_judge)
    problems = backend_of(spec, "selection.judge.backend").check(spec, context)
    if problems:
        raise ConfigError(f"config selection.judge.model={spec.model!r}: {'; '.join(problems)}")
