"""Backend kinds: what each answers for a spec, and a kind of one's own found by its dotted name."""

from __future__ import annotations

import sys
import textwrap

import pytest

from abmcts.errors import ConfigError, LLMError
from abmcts.llm import LLMClient, ModelSpec, ResponseCache
from abmcts.llm.backends import BACKENDS, BackendContext, backend_of
from abmcts.llm.pricing import cap_problems, worst_case_cost

from llm_helpers import msgs

PRICED = {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}


def test_the_built_in_kinds_answer_what_the_model_string_decided():
    offline = ModelSpec(name="geo", model="offline/geometry", **PRICED)  # a price an offline model ignores
    remote = ModelSpec(name="r", model="openai/some-model", params={"max_tokens": 10}, timeout_s=90, **PRICED)
    assert BACKENDS.names() == ["litellm", "offline", "openai_compatible"]
    free, billed = backend_of(offline), backend_of(remote)
    assert (free.billed, free.in_process, billed.billed, billed.in_process) == (False, True, True, False)
    assert free.cost(offline, 1000, 1000) == 0.0 and worst_case_cost(offline, msgs()) == 0.0
    assert billed.cost(remote, 1000, 10) == pytest.approx(1000 * 1e-6 + 10 * 2e-6)
    assert free.latency(offline, 30.0) == (0.0, 0.0) and billed.latency(remote, 30.0) == (30.0, 90)
    assert cap_problems(offline) == [] and cap_problems(remote) == []
    assert "set params.max_tokens" in cap_problems(ModelSpec(name="r", model="openai/x", **PRICED))[0]


def test_the_offline_kind_checks_its_model_names_before_any_work():
    known = ModelSpec(name="geo", model="offline/geometry")
    assert backend_of(known).check(known, BackendContext()) == []
    for model, shown in (("offline/nope", "'nope'"), ("offline/", "''")):
        spec = ModelSpec(name="m", model=model)
        assert backend_of(spec).check(spec, BackendContext()) == [
            f"unknown offline model {shown}; available: ['color', 'geometry', 'objects', 'symmetry', 'tiling']"
        ]
    judge = ModelSpec(name="j", model="offline/judge")  # a loader of the caller's own knows more names
    assert backend_of(judge).check(judge, BackendContext(offline_loader=lambda name: object())) == []


def test_an_unknown_backend_is_a_config_error_with_the_nearest_name():
    spec = ModelSpec(name="m", model="x", backend="ofline")
    with pytest.raises(
        ConfigError, match=r"config backend=ofline: no such model backend \(did you mean 'offline'\?\)"
    ):
        backend_of(spec)
    with pytest.raises(ConfigError, match="no such model backend"):
        LLMClient({"m": spec})


def test_the_client_reports_every_model_it_cannot_open_at_once(monkeypatch):
    monkeypatch.delenv("ABMCTS_TEST_NO_SUCH_KEY", raising=False)
    models = {
        "geo": ModelSpec(name="geo", model="offline/nope"),
        "r": ModelSpec(name="r", model="openai/x", api_key_env="ABMCTS_TEST_NO_SUCH_KEY"),
    }
    with pytest.raises(LLMError) as caught:
        LLMClient(models)
    assert "'geo' (offline/nope): cannot load offline model (unknown offline model 'nope'" in str(
        caught.value
    )
    assert "'r' (openai/x): environment variable ABMCTS_TEST_NO_SUCH_KEY" in str(caught.value)


TOY_KIND = '''
"""An in-process kind of one's own: shouts the last message back inside a program."""
from abmcts.llm.backends import InProcessKind


class Shout:
    def generate(self, messages, seed):
        return f"{messages[-1]['content'].upper()} ({seed % 7})\\n```python\\ndef transform(g):\\n    return g\\n```"


class ShoutKind(InProcessKind):
    def model(self, spec, context):
        return Shout()


BACKEND = ShoutKind()
'''


@pytest.fixture
def shout(tmp_path, monkeypatch):
    (tmp_path / "mykinds").mkdir()
    (tmp_path / "mykinds" / "__init__.py").write_text("")
    (tmp_path / "mykinds" / "shout.py").write_text(textwrap.dedent(TOY_KIND))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield ModelSpec(name="shout", model="shout-1", backend="mykinds.shout")
    for name in [m for m in sys.modules if m.startswith("mykinds")]:
        del sys.modules[name]


def test_a_kind_of_ones_own_is_found_by_its_dotted_name_and_cached_like_any(shout, tmp_path):
    cache = tmp_path / "c.sqlite"
    client = LLMClient({"shout": shout}, ResponseCache(cache))
    first = client.complete("shout", msgs("hello"), 0)
    client.close()
    assert first.text.startswith("HELLO (") and first.cost == 0.0 and first.latency_s == 0.0
    assert first.prompt_tokens == len("hello") // 4 and not first.cached
    assert backend_of(shout).billed is False  # so no ledger, no cap and no price are asked of it
    replay = LLMClient({"shout": shout}, ResponseCache(cache, mode="replay"))
    again = replay.complete("shout", msgs("hello"), 0)
    assert again.cached and again.text == first.text
