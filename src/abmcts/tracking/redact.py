"""What may reach MLflow: secrets masked out of params and tags, values cut to MLflow's limits.

Pure Python (no mlflow import), so it is cheap to use anywhere a reason or a config is logged.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

REDACTED = "***REDACTED***"

# MLflow's server-side limits (mlflow.utils.validation); exceeding them fails the whole batch.
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000

_SECRET_KEY = re.compile(r"api_?key|secret|password|passwd|(^|[^a-z])token($|[^a-z])", re.IGNORECASE)
_ENV_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_BAD_KEY_CHARS = re.compile(r"[^\w.\- /]")
_MIN_SECRET_LENGTH = 8


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts -> one level with dotted keys (`models.o4-mini.temperature`)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _secret_values() -> list[str]:
    return [v for k, v in os.environ.items() if k.endswith("_API_KEY") and len(v) >= _MIN_SECRET_LENGTH]


def _is_secret_key(key: str, value: Any) -> bool:
    # `api_key_env: OPENAI_API_KEY` names where the key lives; it is not the key itself.
    if key.endswith("_env") and isinstance(value, str) and _ENV_VAR_NAME.match(value):
        return False
    return bool(_SECRET_KEY.search(key))


def redact(params: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten, then mask values under secret-looking keys or containing an `*_API_KEY` value.

    `max_tokens`/`prompt_tokens` are not secrets: `token` must be a whole word of the key.
    """
    secrets = _secret_values()
    clean = {}
    for key, value in flatten(params).items():
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if _is_secret_key(key, value) or any(secret in text for secret in secrets):
            clean[key] = REDACTED
        else:
            clean[key] = value
    return clean


def mlflow_key(key: str) -> str:
    """`key` with the characters MLflow refuses replaced, cut to its length limit."""
    return _BAD_KEY_CHARS.sub("_", key)[:MAX_KEY_LENGTH]


def cut(value: Any, limit: int) -> str:
    """`value` as text of at most `limit` characters (MLflow fails a whole batch over a limit)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def scalar_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Flattened numeric entries only (lists such as the pass@k curve are logged separately)."""
    out = {}
    for key, value in flatten(metrics).items():
        if isinstance(value, bool | int | float) and not (isinstance(value, float) and math.isinf(value)):
            out[mlflow_key(key)] = float(value)
    return out


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """`items` in batches of `size`: MLflow caps the entries of one log_batch."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
