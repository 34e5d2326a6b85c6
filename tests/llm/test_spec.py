import pytest

from abmcts.errors import ConfigError
from abmcts.llm import ModelSpec, RetryPolicy


def test_from_dict_builds_spec_with_name_argument():
    spec = ModelSpec.from_dict(
        {
            "model": "openai/o4-mini",
            "api_key_env": "OPENAI_API_KEY",
            "params": {"temperature": 0.7},
            "max_concurrency": 2,
        },
        name="o4-mini",
    )
    assert spec.name == "o4-mini"
    assert spec.params == {"temperature": 0.7}
    assert spec.max_concurrency == 2
    assert not spec.is_offline


def test_offline_spec_knows_its_model_name():
    spec = ModelSpec.from_dict({"name": "geo", "model": "offline/geometry"})
    assert spec.is_offline and spec.offline_name == "geometry"


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"unknown key 'temprature'"):
        ModelSpec.from_dict({"name": "m", "model": "offline/x", "temprature": 0.3})


def test_missing_model_is_named():
    with pytest.raises(ConfigError, match=r"missing required key 'model'"):
        ModelSpec.from_dict({"name": "m"})


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_concurrency", 0), ("timeout_s", 0), ("max_retries", -1), ("backoff_s", -0.5), ("params", [1, 2])],
)
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        ModelSpec.from_dict({"name": "m", "model": "offline/x", field: value})


def test_params_may_not_override_client_arguments():
    with pytest.raises(ConfigError, match="'timeout'"):
        ModelSpec(name="m", model="openai/x", params={"timeout": 3})


def test_offline_prefix_without_name_is_rejected():
    with pytest.raises(ConfigError, match="names no offline model"):
        ModelSpec(name="m", model="offline/")


def test_retry_policy_validates():
    with pytest.raises(ConfigError, match="jitter"):
        RetryPolicy(jitter=2.0)
