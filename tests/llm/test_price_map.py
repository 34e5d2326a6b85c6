"""`abmcts.llm.price_map` against litellm's own pricing (the independent reference): every chat
model of the providers people reach over OpenAI's API that the map prices, at sizes on both sides
of the long-prompt tiers, costs exactly what `litellm.cost_per_token` says; what it refuses, it
refuses for a reason it names."""

from __future__ import annotations

import pytest

from abmcts.llm.price_map import UNMODELLED, entry, price_map, token_prices

# providers with an OpenAI-style API (and anthropic, whose flat prices exercise the common path);
# others route through litellm code that can reach the network (github_copilot's login)
PROVIDERS = (
    "openai",
    "gemini",
    "deepseek",
    "openrouter",
    "xai",
    "mistral",
    "groq",
    "together_ai",
    "anthropic",
)
SIZES = [(1, 1), (1000, 500), (128_001, 10), (200_000, 7), (200_001, 7), (272_001, 3), (1_000_001, 2)]


def model_strings() -> list[str]:
    """Every chat entry of those providers, spelled as a user writes it (`<provider>/<name>`)."""
    out = []
    for key, info in price_map().items():
        if (
            isinstance(info, dict)
            and info.get("mode") == "chat"
            and info.get("litellm_provider") in PROVIDERS
        ):
            provider = info["litellm_provider"]
            out.append(key if key.startswith(f"{provider}/") else f"{provider}/{key}")
    return out


def test_every_price_it_gives_is_litellms():
    from abmcts.llm.remote import load_litellm  # its bundled map, never fetched

    litellm = load_litellm()
    models = model_strings()
    priced = 0
    for model in models:
        for prompt, completion in SIZES:
            ours = token_prices(model, prompt)
            if ours is None:
                info = entry(model)
                assert (
                    info is None
                    or any(info.get(k) is not None for k in UNMODELLED)
                    or not all(
                        isinstance(info.get(k), int | float)
                        for k in ("input_cost_per_token", "output_cost_per_token")
                    )
                ), model
                continue
            theirs = sum(
                litellm.cost_per_token(model=model, prompt_tokens=prompt, completion_tokens=completion)
            )
            mine = prompt * ours[0] + completion * ours[1]
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-15), (model, prompt, completion)
            priced += 1
    assert len(models) > 300 and priced > 0.8 * len(models) * len(SIZES)


def test_long_prompt_tiers_apply_past_their_threshold():
    base = token_prices("gemini/gemini-2.5-pro", 200_000)
    tier = token_prices("gemini/gemini-2.5-pro", 200_001)
    assert base is not None and tier is not None and tier[0] == 2 * base[0] and tier[1] > base[1]
    assert token_prices("no-such-provider/no-such-model", 1) is None
    assert token_prices("openrouter/deepseek/deepseek-r1-0528", 1) is None  # no entry: configure a price
