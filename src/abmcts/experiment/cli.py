"""What every pipeline entry point does around its stages: validate, run, report errors in one line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from abmcts.errors import AbmctsError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.validate import validate_config

Stage = Callable[[RootConfig], dict[str, Any]]
SUMMARY_KEYS = ("pass_at_2", "official_score", "kaggle_score", "n_tasks", "calls", "cost")


def run_stages(stages: dict[str, Stage], cfg: Any) -> dict[str, Any]:
    """Validate the whole config (every name in it) once, then run the stages in order.

    A known error exits 2 with one line naming what is wrong, before the first stage if the
    config is at fault.
    """
    logging.getLogger("abmcts").setLevel(logging.INFO)
    try:
        root = validate_config(cfg)
        result: dict[str, Any] = {}
        for name, stage in stages.items():
            result = stage(root)
            shown = {k: result[k] for k in SUMMARY_KEYS if k in result} or result
            print(f"[{name}] {json.dumps(shown, sort_keys=True, default=str)}", flush=True)
        return result
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
