"""Records of the LLM layer: what a model is (ModelSpec), how to retry (RetryPolicy), what a call gave."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from abmcts.errors import ConfigError

OFFLINE_PREFIX = "offline/"
# Call arguments the client sets itself; a sampling param with one of these names would clash.
RESERVED_PARAMS = frozenset({"model", "messages", "api_base", "api_key", "timeout", "max_retries", "stream"})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; the jitter is seeded so a schedule is reproducible."""

    max_retries: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    jitter: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigError(f"retry.max_retries: must be >= 0, got {self.max_retries!r}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ConfigError(f"retry delays must be >= 0, got {self.base_delay_s!r}/{self.max_delay_s!r}")
        if not 0 <= self.jitter <= 1:
            raise ConfigError(f"retry.jitter: must be in [0, 1], got {self.jitter!r}")


@dataclass(frozen=True)
class ModelSpec:
    """One configured model. `name` is the alias trees and configs use; `model` is what gets called.

    `max_retries` / `backoff_s` override the client's RetryPolicy for this model when not None.
    `max_concurrency`, `rpm` and `tpm` (requests in flight, requests and tokens per minute) hold for
    the whole machine: a run's worker processes split them (see `abmcts.llm.limits`).
    `input_cost_per_token` / `output_cost_per_token` (USD) price a model litellm has no price for
    (both or neither); they then also price the recorded cost. A model that rejects a sampling
    param (`temperature` on OpenAI's o-series) takes `params: {drop_params: true}` (litellm's own).
    `backend` names the backend kind that calls it (`abmcts.llm.backends`); see `backend_name`.
    """

    name: str
    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 120.0
    max_concurrency: int = 4
    rpm: int | None = None
    tpm: int | None = None
    max_retries: int | None = None
    backoff_s: float | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    backend: str | None = None

    @property
    def backend_name(self) -> str:
        """The backend kind: `backend` if set, else by the model string (`offline/<x>`: offline,
        anything else: litellm), so configs written before backends had names need no field. Like
        `api_base`, it is not part of a tree's settings: the model string names the model."""
        if self.backend is not None:
            return self.backend
        return "offline" if self.model.startswith(OFFLINE_PREFIX) else "litellm"

    @property
    def configured_price(self) -> tuple[float, float] | None:
        """(input, output) USD per token from the config, or None to use litellm's price map."""
        if self.input_cost_per_token is None or self.output_cost_per_token is None:
            return None
        return float(self.input_cost_per_token), float(self.output_cost_per_token)

    @property
    def max_output_tokens(self) -> int | None:
        """The completion-token cap the params set (max_tokens or max_completion_tokens), if any."""
        for key in ("max_completion_tokens", "max_tokens"):
            value = self.params.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return None

    def __post_init__(self) -> None:
        where = f"model spec {self.name!r}"
        for key in ("name", "model"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: {key} must be a non-empty string, got {value!r}")
        for key in ("api_base", "api_key_env", "backend"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(f"{where}: {key} must be a non-empty string or null, got {value!r}")
        if not isinstance(self.params, Mapping) or not all(isinstance(k, str) for k in self.params):
            raise ConfigError(f"{where}: params must be a mapping with string keys, got {self.params!r}")
        clash = sorted(RESERVED_PARAMS.intersection(self.params))
        if clash:
            raise ConfigError(
                f"{where}: params may not set {clash[0]!r} (set by the client; use the spec field)"
            )
        _check_number(where, "timeout_s", self.timeout_s, minimum=0, strict=True)
        _check_int(where, "max_concurrency", self.max_concurrency, minimum=1)
        for key in ("rpm", "tpm"):
            if getattr(self, key) is not None:
                _check_int(where, key, getattr(self, key), minimum=1)
        if self.max_retries is not None:
            _check_int(where, "max_retries", self.max_retries, minimum=0)
        prices = [self.input_cost_per_token, self.output_cost_per_token]
        if (prices[0] is None) != (prices[1] is None):
            raise ConfigError(f"{where}: set both input_cost_per_token and output_cost_per_token, or neither")
        for key in ("input_cost_per_token", "output_cost_per_token"):
            if getattr(self, key) is not None:
                _check_number(where, key, getattr(self, key), minimum=0, strict=False)
        if self.backoff_s is not None:
            _check_number(where, "backoff_s", self.backoff_s, minimum=0, strict=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str | None = None) -> ModelSpec:
        """Build from a config mapping; unknown keys fail fast (a typo must not silently use a default)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"model spec {name!r}: expected a mapping, got {type(data).__name__}")
        values = dict(data)
        if name is not None:
            values.setdefault("name", name)
        allowed = [f.name for f in dataclasses.fields(cls)]
        for key in values:
            if key not in allowed:
                raise ConfigError(
                    f"model spec {values.get('name', name)!r}: unknown key {key!r} (allowed: {', '.join(allowed)})"
                )
        for key in ("name", "model"):
            if key not in values:
                raise ConfigError(f"model spec {values.get('name', name)!r}: missing required key {key!r}")
        params = values.get("params")
        values["params"] = dict(params) if isinstance(params, Mapping) else ({} if params is None else params)
        return cls(**values)


def _check_int(where: str, key: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: {key} must be an integer >= {minimum}, got {value!r}")


def _check_number(where: str, key: str, value: Any, minimum: float, strict: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > minimum if strict else value >= minimum)
    if not ok:
        op = ">" if strict else ">="
        raise ConfigError(f"{where}: {key} must be a finite number {op} {minimum}, got {value!r}")


@dataclass
class Completion:
    """Outcome of one model call. `error` is set (and `text` None) when every attempt failed."""

    text: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    latency_s: float = 0.0
    error: str | None = None
    cached: bool = False

    def record(self) -> dict[str, Any]:
        """The cache record: everything a replay needs to reproduce the call, nothing else."""
        return {
            "text": self.text,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
            "latency_s": self.latency_s,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any], cached: bool) -> Completion:
        return cls(
            text=record["text"],
            prompt_tokens=int(record["prompt_tokens"]),
            completion_tokens=int(record["completion_tokens"]),
            cost=float(record["cost"]),
            latency_s=float(record["latency_s"]),
            error=None,
            cached=cached,
        )
