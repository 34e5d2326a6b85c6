"""conf/selection/*: every option validates; bad params and a judge without a model fail before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from abmcts.errors import ConfigError
from abmcts.experiment.validate import validate_config

CONF = Path(__file__).resolve().parents[2] / "conf"


def composed(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def test_judge_option_names_the_offline_stand_in_and_its_base():
    root = validate_config(composed("selection=judge"))
    assert root.selection.judge == {"name": "judge", "model": "offline/judge"}
    assert root.selection.params == {"base": "learned_ranker", "top_k": 4}


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (
            ["selection=generalisation", "selection.params.agreement=high"],
            "selection.params.agreement: bad value 'high'",
        ),
        (["selection=hedge", "+selection.params.diversty=1"], "selection.params.diversty: unknown parameter"),
        (
            ["selection=judge", "selection.judge=null"],
            "selection.judge: required when selection.strategy=judge",
        ),
        (["selection=judge", "+selection.judge.temperature=0"], "unknown key 'temperature'"),
        (
            ["selection=learned_ranker", "selection.params.artifact=nope.json"],
            "nope.json: cannot read ranker",
        ),
        (
            ["selection=hedge", "+selection.params.artifact=/no/such.json"],
            "/no/such.json: cannot read ranker",
        ),
    ],
)
def test_bad_selection_config_is_one_clear_error(overrides, needle):
    with pytest.raises(ConfigError, match=needle):
        validate_config(composed(*overrides))


def test_an_unknown_offline_judge_fails_before_any_stage():
    with pytest.raises(ConfigError, match=r"selection\.judge\.model='offline/oracle'"):
        validate_config(composed("selection=judge", "selection.judge.model=offline/oracle"))
