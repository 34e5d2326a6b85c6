"""Any server speaking OpenAI's chat-completions API, called over HTTP directly (aiohttp), not litellm.

Why a second remote kind: litellm's import is ~4 s of CPU and its per-call path 6-7 ms, which
delay a run's first request and bound an API-bound search on a laptop; this kind imports aiohttp
(~0.2 s) and spends under a millisecond of its own per call. It covers OpenAI, OpenRouter,
DeepSeek, Gemini's OpenAI endpoint and local servers (llama.cpp, vLLM); litellm stays the kind
for everything else. Opt in per model with `backend: openai_compatible`.

The model string is litellm's (`<provider>/<name>`), so trees, caches and prices are the same
whichever kind calls it; the request names `<name>`. `api_base` defaults per provider
(`DEFAULT_API_BASES`); the key comes from `api_key_env`, else the provider's usual variable, else
(a local server, `api_base` set) a placeholder. Sampling params go into the request body as they
are: litellm's own (`drop_params`) are refused. Prices: the spec's, else litellm's bundled map read
as JSON (`abmcts.llm.price_map`), else the model is unpriced (0, and refused under a cost cap).
Failures are named and judged billed or not as on the litellm path (`abmcts.llm.remote`).
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from typing import Any

from abmcts.errors import ConfigError, LLMError
from abmcts.llm.backends import (
    PLACEHOLDER_KEY,
    Answer,
    BackendContext,
    BackendKind,
    RemoteKind,
    Transport,
    remote_answer,
    scrub_key,
)
from abmcts.llm.price_map import token_prices
from abmcts.llm.retry import CallFailure, is_retryable_status, parse_retry_after
from abmcts.llm.spec import ModelSpec

DEFAULT_API_BASES = {
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "gemini": "https://generativelanguage.googleapis.com/v1beta/openai",
}
DEFAULT_KEY_ENVS = {
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "gemini": "GEMINI_API_KEY",
}
LITELLM_ONLY_PARAMS = frozenset(
    {"drop_params", "additional_drop_params", "mock_response", "custom_llm_provider"}
)
# the OpenAI SDK's names for an error status (the litellm path reports the same names)
STATUS_KINDS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


def provider_of(spec: ModelSpec) -> str:
    return spec.model.partition("/")[0] if "/" in spec.model else ""


def request_model(spec: ModelSpec) -> str:
    """What the request names: the model string without its provider prefix."""
    return spec.model.partition("/")[2] or spec.model


def api_base_of(spec: ModelSpec) -> str | None:
    return (spec.api_base or DEFAULT_API_BASES.get(provider_of(spec)) or "").rstrip("/") or None


def key_env_of(spec: ModelSpec) -> str | None:
    return spec.api_key_env or (None if spec.api_base else DEFAULT_KEY_ENVS.get(provider_of(spec)))


class OpenAICompatibleTransport:
    """POST `<api_base>/chat/completions` through one aiohttp session per event loop (connections
    reused). aiohttp, not httpx: at 64 requests in flight httpx's connection pool spends ~15 ms of
    CPU per request checking its connections, aiohttp ~0.7 ms (`bench/http_clients.py`)."""

    timed = True

    def __init__(self, spec: ModelSpec, url: str, key_env: str | None) -> None:
        self.spec, self.url, self.key_env = spec, url, key_env
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def _session(self) -> Any:
        import aiohttp

        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            # no connection limit of its own: the model client's limits bound the calls in flight
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=self.spec.timeout_s),
                trust_env=True,  # HTTP(S)_PROXY / NO_PROXY, as on the litellm path
            )
            self._sessions[loop] = session
        return session

    async def aclose(self) -> None:
        """Close the session of the running loop (`LLMClient.close` calls this on its loop)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer:
        import aiohttp

        api_key = os.environ.get(self.key_env, "") if self.key_env else PLACEHOLDER_KEY
        body = {"model": request_model(self.spec), "messages": messages, **self.spec.params}
        headers = {"Authorization": f"Bearer {api_key}"}
        try:
            # an API that redirects is an error, never a reason to send the key elsewhere
            post = self._session().post(self.url, json=body, headers=headers, allow_redirects=False)
            async with post as response:
                status, content, retry_after = (
                    response.status,
                    await response.read(),
                    response.headers.get("retry-after"),
                )
        except aiohttp.ClientConnectorError as exc:  # no connection: nothing reached the provider
            raise CallFailure("APIConnectionError", scrub_key(_said(exc), api_key), billed=False) from None
        except TimeoutError:
            message = f"no answer in {self.spec.timeout_s:g} s"
            raise CallFailure("Timeout", message, billed=None) from None
        except aiohttp.ClientError as exc:  # the connection broke after the request went out
            raise CallFailure("APIConnectionError", scrub_key(_said(exc), api_key), billed=None) from None
        if not 200 <= status < 300:  # an error, or a redirect (not followed)
            raise status_failure(status, content, retry_after, api_key)
        return self._answer(content)

    def _answer(self, content: bytes) -> Answer:
        try:
            data = json.loads(content)
            message = data["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            # a cut-off or malformed body: the provider may have generated (and billed) the answer
            raise CallFailure(
                "APIResponseValidationError", "the answer is not a chat completion", billed=None
            ) from None
        text = message.get("content") if isinstance(message, dict) else None
        usage = data.get("usage") if isinstance(data, dict) else None
        usage = usage if isinstance(usage, dict) else {}
        prompt_tokens, completion_tokens = (
            _tokens(usage.get("prompt_tokens")),
            _tokens(usage.get("completion_tokens")),
        )
        return remote_answer(
            text,
            prompt_tokens,
            completion_tokens,
            lambda: answer_cost(self.spec, prompt_tokens, completion_tokens),
        )


def answer_cost(spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
    """An answer's recorded cost: 0 for a model with no price (a local server), as on the litellm path."""
    try:
        return BACKEND.cost(spec, prompt_tokens, completion_tokens)
    except ConfigError:
        return 0.0


def _said(exc: Exception) -> str:
    """The client's message, named (some errors say nothing)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _tokens(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def status_failure(status: int, content: bytes, retry_after: str | None, api_key: str) -> CallFailure:
    """An error status: the provider's own error body bills nothing; anything else may have."""
    kind = STATUS_KINDS.get(status, "InternalServerError" if status >= 500 else "APIStatusError")
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    detail = error.get("message") if isinstance(error, dict) else error
    shown = detail if detail else content[:200].decode("utf-8", "replace")
    return CallFailure(
        kind=kind,
        message=scrub_key(f"status {status}: {shown}", api_key),
        retryable=is_retryable_status(status),
        retry_after_s=parse_retry_after(retry_after),
        billed=False if status == 429 or isinstance(body, dict) else None,
    )


class OpenAICompatibleKind(RemoteKind):
    preload: tuple[str, ...] = ("aiohttp",)

    def check(self, spec: ModelSpec, context: BackendContext) -> list[str]:
        where = f"model {spec.name!r} ({spec.model})"
        problems = []
        if api_base_of(spec) is None:
            known = ", ".join(sorted(DEFAULT_API_BASES))
            problems.append(
                f"{where}: set api_base (no default for provider {provider_of(spec)!r}; known: {known})"
            )
        clash = sorted(LITELLM_ONLY_PARAMS.intersection(spec.params))
        if clash:
            problems.append(
                f"{where}: params.{clash[0]} is litellm's own; the openai_compatible backend sends params as they are"
            )
        env = key_env_of(spec)
        if not context.replay and env is not None and not os.environ.get(env):
            field = " (api_key_env)" if spec.api_key_env else ""
            problems.append(f"{where}: environment variable {env}{field} is not set")
        return problems

    def open(self, spec: ModelSpec, context: BackendContext) -> Transport:
        problems = self.check(spec, context)
        if problems:
            raise LLMError(problems[0])
        return OpenAICompatibleTransport(spec, f"{api_base_of(spec)}/chat/completions", key_env_of(spec))

    def cost(self, spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
        """The configured price, else litellm's bundled map (read as JSON; see `abmcts.llm.price_map`)."""
        prices = spec.configured_price or token_prices(spec.model, prompt_tokens)
        if prices is None:
            raise ConfigError(
                f"model {spec.name!r} ({spec.model}): no price known for it; set "
                "input_cost_per_token and output_cost_per_token in its spec to use a cost cap"
            )
        return prompt_tokens * prices[0] + completion_tokens * prices[1]


BACKEND: BackendKind = OpenAICompatibleKind()
