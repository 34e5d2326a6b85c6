"""What every pipeline entry point does around its stage: validate, run, report errors in one line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from abmcts.errors import AbmctsError
from abmcts.experiment import stages
from abmcts.experiment.validate import validate_config

STAGES: dict[str, Callable[..., dict[str, Any]]] = {
    "fetch": stages.fetch_stage,
    "search": stages.search_stage,
    "select": stages.select_stage,
    "score": stages.score_stage,
    "train_ranker": stages.train_ranker_stage,
}
SUMMARY_KEYS = ("pass_at_2", "official_score", "kaggle_score", "n_tasks", "calls", "cost")


def run_stages(names: list[str], cfg: Any) -> dict[str, Any]:
    """Run the named stages in order; a known error exits 2 with one line naming what is wrong."""
    logging.getLogger("abmcts").setLevel(logging.INFO)
    try:
        root = validate_config(cfg)
        result: dict[str, Any] = {}
        for name in names:
            result = STAGES[name](root)
            shown = {k: result[k] for k in SUMMARY_KEYS if k in result} or result
            print(f"[{name}] {json.dumps(shown, sort_keys=True, default=str)}", flush=True)
        return result
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
