"""Remote model calls through litellm, imported only here and only when first needed (~5 s import).

No network at import: the bundled price map is used (LITELLM_LOCAL_MODEL_COST_MAP) and telemetry
is off. API keys are read from the environment at call time, passed straight to litellm and
scrubbed from every error message; they are never stored or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import warnings
from types import ModuleType
from typing import Any

from abmcts.errors import LLMError
from abmcts.llm.backends import PLACEHOLDER_KEY, Answer, remote_answer, scrub_key
from abmcts.llm.litellm_lean import make_lean
from abmcts.llm.retry import CallFailure, is_retryable_status, parse_retry_after, short_message
from abmcts.llm.spec import ModelSpec

# litellm's failures without a provider error response: the request may have been answered and billed
_MAYBE_BILLED = frozenset({"Timeout", "APITimeoutError", "APIConnectionError", "APIResponseValidationError"})

_WARM_UP = [{"role": "user", "content": "warm-up"}]

_litellm: ModuleType | None = None
_UNPRICED: set[tuple[str, str | None]] = set()  # (model, answering model) litellm has no price for
_import_lock = threading.Lock()


def load_litellm() -> ModuleType:
    """Import and configure litellm once per process."""
    global _litellm
    with _import_lock:
        if _litellm is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            with warnings.catch_warnings():  # pydantic deprecation noise from litellm's own models
                warnings.simplefilter("ignore")
                import litellm

            # litellm imports more of its pydantic models lazily, at the first call: keep that quiet too
            warnings.filterwarnings(
                "ignore",
                message=r"Items? .* is using the `ReadOnly`|Items .* are using the `ReadOnly`",
                category=UserWarning,
            )
            litellm.suppress_debug_info = True
            litellm.telemetry = False
            litellm.set_verbose = False
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):  # per-call INFO lines flood stdout
                logging.getLogger(name).setLevel(logging.WARNING)
            make_lean(litellm)
            _warm_up(litellm)
            _litellm = litellm
    return _litellm


def _warm_up(litellm: ModuleType) -> None:
    """One mock call (nothing is sent): litellm imports ~40 more modules at its first call
    (~1 s of pydantic models), which would otherwise delay the run's first request."""

    async def mock() -> None:
        await litellm.acompletion(model="openai/abmcts-warm-up", messages=_WARM_UP, mock_response="ok")

    def run() -> None:
        with contextlib.suppress(Exception):  # only a head start: the real first call imports what is missing
            asyncio.run(mock())

    thread = threading.Thread(target=run, name="litellm-warm-up")  # its own event loop, whoever calls us
    thread.start()
    thread.join()


def check_remote(spec: ModelSpec) -> None:
    """Fail fast, before a run starts: litellm must know the model and its API key must be set."""
    where = f"model {spec.name!r} ({spec.model})"
    if spec.api_key_env is not None and not os.environ.get(spec.api_key_env):
        raise LLMError(f"{where}: environment variable {spec.api_key_env} (api_key_env) is not set")
    litellm = load_litellm()
    try:
        litellm.get_llm_provider(model=spec.model, api_base=spec.api_base)
    except Exception as exc:  # litellm raises its BadRequestError; any failure means "unknown model"
        raise LLMError(f"{where}: litellm does not know this model string ({short_message(exc)})") from None
    if spec.api_key_env is None and spec.api_base is None:
        env = litellm.validate_environment(model=spec.model)
        if not env.get("keys_in_environment", False):
            missing = ", ".join(env.get("missing_keys") or []) or "its API key"
            raise LLMError(f"{where}: environment variable(s) {missing} not set (or set api_key_env)")


def _api_key(spec: ModelSpec) -> str | None:
    if spec.api_key_env is not None:
        return os.environ.get(spec.api_key_env)
    return PLACEHOLDER_KEY if spec.api_base is not None else None  # None: litellm reads the provider's env


async def acall_remote(spec: ModelSpec, messages: list[dict[str, Any]]) -> Answer:
    """One attempt. Raises CallFailure on any failure, saying whether the provider billed it.

    A reasoning model's `<think>...</think>` preamble (DeepSeek-R1 served raw) is dropped from the
    text: the answer is what follows it, and code inside the reasoning is not the answer's code.
    Completion tokens include reasoning tokens (OpenAI's convention), so they are priced too. An
    answer without `usage` has 0 tokens and cost, flagged (`Answer.usage`) for the spend ledger.
    """
    litellm = load_litellm()
    api_key = _api_key(spec)
    try:
        response = await litellm.acompletion(
            model=spec.model,
            messages=messages,
            api_base=spec.api_base,
            api_key=api_key,
            timeout=spec.timeout_s,
            max_retries=0,  # retries are ours (RetryPolicy), not the OpenAI SDK's
            **spec.params,
        )
    except Exception as exc:
        raise _failure(exc, api_key) from None
    try:
        text = response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        text = None
    usage = getattr(response, "usage", None)
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)  # litellm fills a missing usage with zeros
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    configured = spec.configured_price

    def cost() -> float:
        if configured is not None:
            return prompt_tokens * configured[0] + completion_tokens * configured[1]
        return _cost(litellm, spec, response)

    return remote_answer(text, prompt_tokens, completion_tokens, cost)


def _cost(litellm: ModuleType, spec: ModelSpec, response: Any) -> float:
    """USD from litellm's price map; 0 for models it has no price for (local servers).

    Finding that a model has no price takes litellm ~1 ms of lookups, so a (model, answering
    model) pair it has no price for at all is remembered as such."""
    pair = (spec.model, getattr(response, "model", None))
    if pair in _UNPRICED:
        return 0.0
    try:
        cost = float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # unknown price: litellm raises; never let accounting crash a call
        if _no_price(litellm, spec.model):
            _UNPRICED.add(pair)
        return 0.0
    return cost if cost >= 0 else 0.0


def _no_price(litellm: ModuleType, model: str) -> bool:
    """litellm has no price for `model` at any size (not just for this answer)."""
    try:
        litellm.cost_per_token(model=model, prompt_tokens=1, completion_tokens=1)
    except Exception:
        return True
    return False


def _failure(exc: Exception, api_key: str | None) -> CallFailure:
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    retry_after = None
    for headers in (
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "litellm_response_headers", None),
    ):
        if headers is not None and retry_after is None:
            try:
                retry_after = parse_retry_after(headers.get("retry-after"))
            except AttributeError:
                retry_after = None
    kind = type(exc).__name__
    return CallFailure(
        kind=kind,
        message=scrub_key(str(exc), api_key),
        retryable=is_retryable_status(status),
        retry_after_s=retry_after,
        billed=_billed(exc, kind, status),
    )


def _billed(exc: Exception, kind: str, status: int | None) -> bool | None:
    """False for the provider's own error response (a rate limit, or an error status with the
    provider's error body), which bills nothing; None (maybe billed) for anything else: a
    timeout, a broken connection, or an answer cut off mid-body (litellm reports that as a 500
    with no body, although the provider generated, and billed, the answer)."""
    if kind in _MAYBE_BILLED or status is None:
        return None
    if status == 429 or isinstance(getattr(exc, "body", None), dict):
        return False
    return None
