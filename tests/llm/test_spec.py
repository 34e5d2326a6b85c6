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
    assert spec.backend_name == "litellm"


def test_the_backend_kind_is_the_field_else_the_model_string():
    assert ModelSpec.from_dict({"name": "geo", "model": "offline/geometry"}).backend_name == "offline"
    assert ModelSpec(name="m", model="my-model", backend="mypackage.toy").backend_name == "mypackage.toy"
    with pytest.raises(ConfigError, match="backend must be a non-empty string or null"):
        ModelSpec(name="m", model="my-model", backend="")


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


def test_retry_policy_validates():
    with pytest.raises(ConfigError, match="jitter"):
        RetryPolicy(jitter=2.0)
