"""litellm without the per-call bookkeeping that only its callbacks read (~30% of a call's CPU).

After every answer litellm prices it twice more than we need (once into the response's hidden
params, once in the success-logging task it queues) and builds a logging payload, all for its
callbacks (Langfuse, MLflow's autolog...). We price answers ourselves (`abmcts.llm.remote`) and
register no callback, so while litellm has none registered both are skipped; a process that
registers one gets litellm's own path back on its next call. The answer, its usage and every
error are litellm's own either way.

litellm is pinned exactly (requirements.lock), so the two names patched here are checked when
it is loaded: a version that moved them fails loudly (`LLMError`) instead of running slow.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from abmcts.errors import LLMError

# every list litellm reads callbacks from; a budget (litellm.max_budget) is kept by its cost tracking too
CALLBACK_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "service_callback",
    "_async_input_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


def has_callbacks(litellm: ModuleType) -> bool:
    """Whether anything in this process listens to litellm's logging (or keeps a budget)."""
    return bool(litellm.max_budget) or any(getattr(litellm, name, None) for name in CALLBACK_LISTS)


def make_lean(litellm: ModuleType) -> None:
    """Skip litellm's callback-only work while no callback is registered (idempotent)."""
    import litellm.utils as utils
    from litellm.litellm_core_utils.litellm_logging import Logging

    dispatch = getattr(utils, "dispatch_success_logging", None)
    pricing = getattr(Logging, "response_cost_calculator", None)
    if dispatch is None or pricing is None:
        raise LLMError(
            f"litellm {getattr(litellm, 'version', '?')}: dispatch_success_logging or "
            "Logging.response_cost_calculator moved; install the version in requirements.lock"
        )
    if getattr(dispatch, "_abmcts_lean", False):
        return

    @functools.wraps(dispatch)
    def dispatch_success_logging(*args: Any, **kwargs: Any) -> None:
        if has_callbacks(litellm):
            dispatch(*args, **kwargs)

    @functools.wraps(pricing)
    def response_cost_calculator(self: Any, *args: Any, **kwargs: Any) -> float | None:
        # the response's hidden `response_cost`: None ("not priced") when nobody reads it
        return pricing(self, *args, **kwargs) if has_callbacks(litellm) else None

    dispatch_success_logging._abmcts_lean = True  # type: ignore[attr-defined]
    utils.dispatch_success_logging = dispatch_success_logging
    setattr(Logging, "response_cost_calculator", response_cost_calculator)  # noqa: B010 (a method)
