"""litellm's callback-only bookkeeping is skipped while no callback listens, and nothing we read changes."""

import asyncio
import threading

import pytest

from abmcts.errors import LLMError
from abmcts.llm import LLMClient, ModelSpec
from abmcts.llm.litellm_lean import CALLBACK_LISTS, has_callbacks, make_lean
from abmcts.llm.remote import load_litellm
from abmcts.testing.provider import ProviderSimulator

from llm_helpers import msgs


@pytest.fixture
def litellm():
    return load_litellm()


@pytest.fixture
def listener(litellm):
    """A litellm callback registered for the test (as MLflow's litellm autolog would register one)."""
    from litellm.integrations.custom_logger import CustomLogger

    class Listener(CustomLogger):
        def __init__(self) -> None:
            super().__init__()
            self.costs: list[float] = []
            self.logged = threading.Event()

        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            self.costs.append(kwargs.get("response_cost"))
            self.logged.set()

    listener = Listener()
    litellm.callbacks.append(listener)  # litellm copies it into its internal lists at the next call
    yield listener
    for name in CALLBACK_LISTS:
        entries = getattr(litellm, name)
        while listener in entries:
            entries.remove(listener)
    assert not has_callbacks(litellm)


def priced_call(srv) -> tuple[float, int, int]:
    """One call to a model in litellm's bundled price map, priced by our client (no configured price)."""
    spec = ModelSpec(name="mini", model="openai/gpt-4o-mini", api_base=srv.api_base, max_retries=0)
    client = LLMClient({"mini": spec})
    c = client.complete("mini", msgs("price me"), 0)
    assert c.error is None
    return c.cost, c.prompt_tokens, c.completion_tokens


def test_cost_from_the_price_map_is_the_same_with_and_without_a_listener(litellm, request):
    prices = litellm.model_cost["gpt-4o-mini"]
    with ProviderSimulator() as srv:
        assert not has_callbacks(litellm)
        lean = priced_call(srv)
        request.getfixturevalue("listener")
        assert priced_call(srv) == lean
    cost, prompt, completion = lean
    assert cost == pytest.approx(
        prompt * prices["input_cost_per_token"] + completion * prices["output_cost_per_token"]
    )
    assert cost > 0


def hidden_cost(litellm, srv, logged: threading.Event | None = None) -> object:
    """The response's hidden `response_cost`, waiting (on the same loop) for the logging task if asked."""

    async def call():
        response = await litellm.acompletion(
            model="openai/gpt-4o-mini", messages=msgs("hidden"), api_base=srv.api_base, api_key="no-key"
        )
        for _ in range(200):  # litellm logs on a task of this loop
            if logged is None or logged.is_set():
                break
            await asyncio.sleep(0.05)
        return response

    return asyncio.run(call())._hidden_params["response_cost"]


def test_without_a_listener_litellm_does_not_price_the_response_itself(litellm):
    assert not has_callbacks(litellm)
    with ProviderSimulator() as srv:
        assert hidden_cost(litellm, srv) is None


def test_a_registered_listener_gets_litellm_s_own_logging_and_pricing_back(litellm, listener):
    with ProviderSimulator() as srv:
        assert hidden_cost(litellm, srv, listener.logged) > 0
    assert listener.logged.is_set() and listener.costs[0] > 0


def test_a_litellm_without_the_patched_names_fails_loudly(litellm, monkeypatch):
    import litellm.utils as utils

    monkeypatch.delattr(utils, "dispatch_success_logging")
    with pytest.raises(LLMError, match="requirements.lock"):
        make_lean(litellm)


def test_a_model_without_a_price_costs_nothing_and_is_looked_up_once(litellm, monkeypatch):
    import abmcts.llm.remote as remote

    lookups = []
    real = litellm.completion_cost
    monkeypatch.setattr(litellm, "completion_cost", lambda **kw: lookups.append(1) or real(**kw))
    monkeypatch.setattr(remote, "_UNPRICED", set())
    with ProviderSimulator() as srv:
        spec = ModelSpec(name="local", model="openai/no-price-here", api_base=srv.api_base, max_retries=0)
        client = LLMClient({"local": spec})
        out = [client.complete("local", msgs(f"call {i}"), 0) for i in range(3)]
    assert all(c.error is None and c.cost == 0.0 and c.completion_tokens > 0 for c in out)
    assert len(lookups) == 1  # the first answer found no price; the others were not looked up
