"""Thin MLflow wrapper: one run per pipeline run, with secrets kept out of params and tags.

mlflow is imported lazily (it is slow to import and only the tracking stage needs it).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from abmcts.errors import InputError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
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


def _key(key: str) -> str:
    return _BAD_KEY_CHARS.sub("_", key)[:MAX_KEY_LENGTH]


def _text(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def scalar_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Flattened numeric entries only (lists such as the pass@k curve are logged separately)."""
    out = {}
    for key, value in flatten(metrics).items():
        if isinstance(value, bool | int | float) and not (isinstance(value, float) and math.isinf(value)):
            out[_key(key)] = float(value)
    return out


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def log_run(
    tracking_uri: str = DEFAULT_TRACKING_URI,
    experiment: str = "abmcts-arc",
    run_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    curve: Sequence[float] | None = None,
    artifacts: Sequence[str | os.PathLike] = (),
    artifact_location: str | None = None,
    parent_run_id: str | None = None,
    before_end: Callable[[Any, str], None] | None = None,
) -> str:
    """Log one finished pipeline run and return its MLflow run id.

    Params and tags are redacted and truncated to MLflow's limits; the pass@k curve becomes the
    stepped metric `pass_at_k` (step = k); files and directories in `artifacts` are uploaded.
    `artifact_location` only applies when the experiment is created here. With `parent_run_id`
    the run nests under that run in the UI; `before_end(client, run_id)` logs anything else
    (tables, datasets) before the run is marked finished.
    """
    paths = [Path(p) for p in artifacts]
    for path in paths:
        if not path.exists():
            raise InputError(f"tracking artifact {path}: file not found")

    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = (
        found.experiment_id
        if found
        else client.create_experiment(experiment, artifact_location=artifact_location)
    )
    nesting = {"mlflow.parentRunId": parent_run_id} if parent_run_id else None
    run = client.create_run(experiment_id, run_name=run_name, tags=nesting)
    run_id = run.info.run_id
    try:
        now = int(time.time() * 1000)
        param_list = [
            Param(_key(k), _text(v, MAX_PARAM_VALUE_LENGTH)) for k, v in redact(params or {}).items()
        ]
        tag_list = [RunTag(_key(k), _text(v, MAX_TAG_VALUE_LENGTH)) for k, v in redact(tags or {}).items()]
        metric_list = [Metric(k, v, now, 0) for k, v in scalar_metrics(metrics or {}).items()]
        metric_list += [Metric("pass_at_k", float(v), now, k) for k, v in enumerate(curve or [], start=1)]
        for chunk in _chunks(param_list, MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(run_id, params=chunk)
        for chunk in _chunks(tag_list, MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(run_id, tags=chunk)
        for chunk in _chunks(metric_list, MAX_METRICS_PER_BATCH):
            client.log_batch(run_id, metrics=chunk)
        for path in paths:
            if path.is_dir():
                client.log_artifacts(run_id, str(path), artifact_path=path.name)
            else:
                client.log_artifact(run_id, str(path))
        if before_end is not None:
            before_end(client, run_id)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    return run_id
