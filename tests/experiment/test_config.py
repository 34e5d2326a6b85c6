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
                "best_first_search",
                "tree_of_thoughts_bfs",
                "treequest_standard_mcts",
                "treequest_bandit_ucb",
            ],
        ),
        ("models", ["offline", "offline_geometry", "frontier", "local", "local_offline_mix"]),
        (
            "selection",
            ["sakana", "reward_earliest", "majority_vote", "reward_simplicity", "weighted_agreement"],
        ),
        ("executor", ["local", "dask", "ray", "sequential"]),
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
        ("sandbox.timeout_s=0", "sandbox.timeout_s"),
        ("sandbox.memory_mb=10", "sandbox.memory_mb"),
        ("tracking.trace_sample=1.5", "tracking.trace_sample"),
        ("tracking.tree_views=-1", "tracking.tree_views"),
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


@pytest.mark.parametrize(
    "override,needle",
    [
        ("search.algorithm=ab_mcts_z", r"search\.algorithm=ab_mcts_z: no such search algorithm"),
        ("search.params.dist=cauchy", r"search\.params=.*cauchy"),
        ("+search.params.model_selectoin=stack", r"search\.params=.*model_selectoin"),
        ("selection.strategy=no_such_strategy", r"selection\.strategy=no_such_strategy: no such"),
        ("data.source=ftp", r"data\.source=ftp: no such data source"),
    ],
)
def test_unknown_names_fail_before_any_stage(override, needle):
    """Names resolved by later stages or by workers are checked against the registries up front."""
    with pytest.raises(ConfigError, match=needle):
        validate_config(composed(*override.split()))


def test_unknown_offline_model_fails_before_any_stage():
    cfg = composed()
    spec = {"name": "psychic", "model": "offline/telepathy"}
    with pytest.raises(ConfigError, match=r"models\.specs\[0\]\.model='offline/telepathy'"):
        validate_config({**dict(cfg), "models": {"name": "x", "specs": [spec]}})


def test_option_files_state_only_what_differs_from_the_schema():
    """Every key an option file sets differs from the dataclass default (one definition per setting)."""
    from dataclasses import fields

    import yaml

    from abmcts.experiment.config import RootConfig

    defaults = RootConfig()
    checked = 0
    for group in ("data", "search", "selection", "tracking", "executor", "sandbox"):
        schema = getattr(defaults, group)
        names = {f.name for f in fields(schema)}
        for path in sorted((Path(CONF) / group).glob("*.yaml")):
            option = yaml.safe_load(path.read_text()) or {}
            for key, value in option.items():
                assert key in names, f"{path}: unknown key {key}"
                if key != "name":  # dvc.yaml interpolates data.name and selection.name
                    assert value != getattr(schema, key), f"{path}: {key}={value!r} repeats the default"
                checked += 1
    assert checked > 20


def test_every_schema_key_can_be_overridden_without_a_plus():
    root = validate_config(composed("sandbox.timeout_s=3.5", "cache.mode=replay", "data.offset=7"))
    assert (root.sandbox.timeout_s, root.cache.mode, root.data.offset) == (3.5, "replay", 7)


def test_params_yaml_is_the_composed_default_config(tmp_path):
    """params.yaml (what DVC's stages run with) is what composing conf/ gives, as DVC composes it."""
    import yaml
    from dvc.utils.hydra import compose_and_dump

    compose_and_dump(tmp_path / "params.yaml", CONF, None, "config", "", [])
    committed = yaml.safe_load((Path(CONF).parent / "params.yaml").read_text())
    assert committed == yaml.safe_load((tmp_path / "params.yaml").read_text())
    validate_config(committed)
