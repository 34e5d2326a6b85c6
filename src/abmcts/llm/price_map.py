"""Prices from litellm's bundled price map, read as JSON without importing litellm (~4 s).

For the `openai_compatible` backend kind, whose runs never import litellm. Only the plain case is
priced here: a per-token input and output rate, with litellm's `*_above_<N>k_tokens` long-prompt
tiers (the higher tier applies to every token of a call whose prompt exceeds N). An entry priced
any other way (a `tiered_pricing` table, off-peak discounts, a separate reasoning-token rate,
per-character or per-second prices) is refused as unpriced, so such a model needs the spec's own
`input_cost_per_token`/`output_cost_per_token`: a price here is never a guess. Tests hold every
entry this module prices to `litellm.cost_per_token`.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

MAP_FILE = "model_prices_and_context_window_backup.json"
# pricing this module does not model: an entry with any of these is refused
UNMODELLED = ("tiered_pricing", "off_peak_pricing", "output_cost_per_reasoning_token")
# providers whose long-prompt tier starts at the threshold itself (litellm's own list)
INCLUSIVE_TIERS = frozenset({"xai"})
_TIER = re.compile(r"^input_cost_per_token_above_(\d+)(k?)_tokens$")


@functools.cache
def price_map() -> dict[str, Any]:
    """litellm's bundled map (the one `LITELLM_LOCAL_MODEL_COST_MAP` makes it use), found without
    importing litellm; {} when litellm is not installed."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / MAP_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def entry(model: str) -> dict[str, Any] | None:
    """The map's entry for a litellm model string: listed as such, or without its provider prefix
    when the entry is that provider's (`openai/o4-mini` is listed as `o4-mini`)."""
    prices = price_map()
    found = prices.get(model)
    if isinstance(found, dict):
        return found
    provider, _, name = model.partition("/")
    found = prices.get(name) if name else None
    if isinstance(found, dict) and found.get("litellm_provider") == provider:
        return found
    return None


def token_prices(model: str, prompt_tokens: int) -> tuple[float, float] | None:
    """(input, output) USD per token for a call with this many prompt tokens; None: not priced here."""
    info = entry(model)
    if info is None or any(info.get(key) is not None for key in UNMODELLED):
        return None
    base = _rate(info.get("input_cost_per_token")), _rate(info.get("output_cost_per_token"))
    if base[0] is None or base[1] is None:
        return None
    rates: tuple[float, float] = (base[0], base[1])
    best, inclusive = -1, info.get("litellm_provider") in INCLUSIVE_TIERS
    for key in info:
        match = _TIER.match(key)
        if match is None:
            continue
        threshold = int(match.group(1)) * (1000 if match.group(2) else 1)
        tier_in, tier_out = _rate(info[key]), _rate(info.get(key.replace("input_", "output_", 1), base[1]))
        above = prompt_tokens >= threshold if inclusive else prompt_tokens > threshold
        if above and threshold > best and tier_in is not None and tier_out is not None:
            best, rates = threshold, (tier_in, tier_out)
    return rates


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
