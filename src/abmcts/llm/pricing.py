"""What a call can cost at most, before it is sent: the basis of the spend caps and the estimate.

Worst case = (an upper bound on the prompt's tokens) x input price + `max_tokens` x output price.
The prompt bound is its UTF-8 byte count plus a per-message allowance: a byte-level BPE token is at
least one byte, so no tokenizer reports more (the chat template's few tokens per message are the
allowance). Prices are the model spec's `input_cost_per_token`/`output_cost_per_token` when set,
else litellm's bundled price map (`LITELLM_LOCAL_MODEL_COST_MAP`, never fetched); offline models
cost 0. litellm's `cost_per_token` is asked for the worst case itself, so tiered prices (e.g. long
prompts) are applied as they will be on the recorded cost.
"""

from __future__ import annotations

from typing import Any

from abmcts.errors import ConfigError
from abmcts.llm.spec import ModelSpec

TOKENS_PER_MESSAGE = 16  # chat-template allowance per message (OpenAI uses 3-4)


def prompt_token_bound(messages: list[dict[str, Any]]) -> int:
    """No tokenizer counts more tokens for these messages than this."""
    return sum(len(m["content"].encode("utf-8")) + TOKENS_PER_MESSAGE for m in messages) + TOKENS_PER_MESSAGE


def cost_of(spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
    """USD for a call of this size; ConfigError when the model has no known price."""
    if spec.is_offline:
        return 0.0
    configured = spec.configured_price
    if configured is not None:
        return prompt_tokens * configured[0] + completion_tokens * configured[1]
    from abmcts.llm.remote import load_litellm

    litellm = load_litellm()
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=spec.model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
    except Exception:
        raise ConfigError(
            f"model {spec.name!r} ({spec.model}): litellm has no price for it; set "
            "input_cost_per_token and output_cost_per_token in its spec to use a cost cap"
        ) from None
    return float(prompt_cost) + float(completion_cost)


def cap_problems(spec: ModelSpec) -> list[str]:
    """What keeps a cost cap from bounding this model's calls: no price, no max_tokens (both
    reported at once, so one rerun fixes everything)."""
    problems = []
    try:
        cost_of(spec, 1, 1)
    except ConfigError as exc:
        problems.append(str(exc))
    if not spec.is_offline and spec.max_output_tokens is None:
        problems.append(
            f"model {spec.name!r} ({spec.model}): set params.max_tokens (or max_completion_tokens) "
            "so a call's worst-case cost is bounded; a cost cap needs it"
        )
    return problems


def worst_case_cost(spec: ModelSpec, messages: list[dict[str, Any]]) -> float:
    """The most this call can be recorded as costing (see the module docstring)."""
    if spec.is_offline:
        return 0.0
    return cost_of(spec, prompt_token_bound(messages), spec.max_output_tokens or 0)
