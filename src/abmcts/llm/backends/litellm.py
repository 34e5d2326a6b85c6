"""Any model litellm can call (OpenAI, Gemini, OpenRouter, a local OpenAI-compatible server, ...).

The default kind of a spec whose model string does not start with `offline/`. litellm itself is
imported only when a model is opened or priced (`abmcts.llm.remote`). Its price is the spec's
configured one, else litellm's bundled price map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from abmcts.errors import ConfigError
from abmcts.llm.backends import Answer, BackendContext, BackendKind, RemoteKind, Transport
from abmcts.llm.spec import ModelSpec


@dataclass
class LitellmTransport:
    """litellm's async API; tokens and cost as the provider reports."""

    spec: ModelSpec
    timed = True

    async def call(self, messages: list[dict[str, Any]], key: str) -> Answer:
        from abmcts.llm.remote import acall_remote

        return await acall_remote(self.spec, messages)


class LitellmKind(RemoteKind):
    # litellm imported, configured and warmed up (~4 s of CPU) once, in the workers' fork server
    preload: tuple[str, ...] = ("abmcts.llm.preload",)

    def open(self, spec: ModelSpec, context: BackendContext) -> Transport:
        if not context.replay:  # a replay never calls out, so it needs no key
            from abmcts.llm.remote import check_remote

            check_remote(spec)
        return LitellmTransport(spec)

    def cost(self, spec: ModelSpec, prompt_tokens: int, completion_tokens: int) -> float:
        """The configured price, else litellm's (asked for the call's size, so tiered prices apply)."""
        if spec.configured_price is not None:
            return super().cost(spec, prompt_tokens, completion_tokens)
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


BACKEND: BackendKind = LitellmKind()
