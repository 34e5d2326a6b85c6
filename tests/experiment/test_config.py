"""The config schema rejects bad configs up front and accepts every shipped preset."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from abmcts.errors import ConfigError
from abmcts.experiment.validate import validate_config

CONF = str(Path(__file__).resolve().parents[2] / "conf")


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


@pytest.mark.parametrize(
    "group,options",
    [
        (
            "search",
            [
                "ab_mcts_a",
                "ab_mcts_a_gaussian",
                "ab_mcts_m",
                "repeated_sampling",
                "sequential_refinement",
                "standard_mcts",
                "bandit_ucb",
            ],
        ),
        ("models", ["offline", "offline_geometry", "frontier", "local", "local_offline_mix"]),
        (
            "selection",
            ["sakana", "reward_earliest", "majority_vote", "reward_simplicity", "weighted_agreement"],
        ),
        ("executor", ["local", "dask", "sequential"]),
        (
            "experiment",
            ["smoke", "quickstart", "full", "reference_arc2_multi_llm", "reference_arc2_repeated_sampling"],
        ),
    ],
)
def test_every_preset_validates(group, options):
    for option in options:
        root = validate_config(composed(f"{group}={option}"))
        assert root.models.specs, option


def test_reference_preset_is_the_published_setup():
    root = validate_config(composed("experiment=reference_arc2_multi_llm"))
    assert (root.data.version, root.data.split, root.data.limit) == ("arc2", "evaluation", None)
    assert root.search.budget == 250
    assert root.search.params == {"dist": "beta", "model_selection": "stack"}
    assert [m.name for m in root.models.specs] == ["o4-mini", "gemini-2.5-pro", "deepseek-r1-0528"]
    assert all(m.params["temperature"] == 0.6 for m in root.models.specs)


def test_default_is_small_and_offline():
    root = validate_config(composed())
    assert root.data.limit == 50 and root.search.budget == 100
    assert all(m.model.startswith("offline/") for m in root.models.specs)


@pytest.mark.parametrize(
    "override,needle",
    [
        ("search.budget=0", "search.budget"),
        ("cache.mode=sometimes", "cache.mode"),
        ("executor.backend=spark", "executor.backend"),
        ("search.reward=fuzzy", "search.reward"),
        ("data.limit=-3", "data.limit"),
        ("executor.timeout_s=0", "executor.timeout_s"),
        ("++tracking.trace_sample=1.5", "tracking.trace_sample"),
        ("++tracking.tree_views=-1", "tracking.tree_views"),
    ],
)
def test_bad_values_name_the_key(override, needle):
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        validate_config(composed(override))


def test_unknown_and_mistyped_keys_fail():
    cfg = composed()
    cfg_dict = dict(cfg)
    with pytest.raises(ConfigError, match="budgett"):
        validate_config({**cfg_dict, "search": {**cfg.search, "budgett": 3}})
    with pytest.raises(ConfigError, match="search.budget"):
        validate_config({**cfg_dict, "search": {**cfg.search, "budget": "many"}})
    with pytest.raises(ConfigError, match="colour"):
        validate_config({**cfg_dict, "colour": "red"})


def test_duplicate_model_names_fail():
    cfg = composed()
    spec = {"name": "offline/color", "model": "offline/color"}
    with pytest.raises(ConfigError, match="duplicate"):
        validate_config({**dict(cfg), "models": {"name": "x", "specs": [spec, spec]}})
