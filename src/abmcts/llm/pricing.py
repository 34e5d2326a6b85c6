"""What a call can cost at most, before it is sent: the basis of the spend caps and the estimate.

Worst case = (an upper bound on the prompt's tokens) x input price + `max_tokens` x output price.
The prompt bound is its UTF-8 byte count plus a per-message allowance: a byte-level BPE token is at
least one byte, so no tokenizer reports more (the chat template's few tokens per message are the
allowance). Prices are the spec's backend kind's (`abmcts.llm.backends`): the spec's
`input_cost_per_token`/`output_cost_per_token` when set, else for litellm models its bundled price
map (`LITELLM_LOCAL_MODEL_COST_MAP`, never fetched), asked for the worst case itself so tiered
prices (e.g. long prompts) are applied as they will be on the recorded cost. A kind whose calls are
not billed (offline models) costs 0 and needs no max_tokens.
"""

from __future__ import annotations

from typing import Any

from abmcts.errors import ConfigError
from abmcts.llm.backends import backend_of
from abmcts.llm.spec import ModelSpec

TOKENS_PER_MESSAGE = 16  # chat-template allowance per message (OpenAI uses 3-4)


def prompt_token_bound(messages: list[dict[str, Any]]) -> int:
    """No tokenizer counts more tokens for these messages than this."""
    return sum(len(m["content"].encode("utf-8")) + TOKENS_PER_MESSAGE for m in messages) + TOKENS_PER_MESSAGE


def cost_of(spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
    """USD for a call of this size; ConfigError when the model has no known price."""
    return backend_of(spec).cost(spec, prompt_tokens, completion_tokens)


def cap_problems(spec: ModelSpec) -> list[str]:
    """What keeps a cost cap from bounding this model's calls: no price, no max_tokens (both
    reported at once, so one rerun fixes everything)."""
    problems = []
    try:
        cost_of(spec, 1, 1)
    except ConfigError as exc:
        problems.append(str(exc))
    if backend_of(spec).billed and spec.max_output_tokens is None:
        problems.append(
            f"model {spec.name!r} ({spec.model}): set params.max_tokens (or max_completion_tokens) "
            "so a call's worst-case cost is bounded; a cost cap needs it"
        )
    return problems


def worst_case_cost(spec: ModelSpec, messages: list[dict[str, Any]]) -> float:
    """The most this call can be recorded as costing (see the module docstring)."""
    if not backend_of(spec).billed:
        return 0.0
    return cost_of(spec, prompt_token_bound(messages), spec.max_output_tokens or 0)
