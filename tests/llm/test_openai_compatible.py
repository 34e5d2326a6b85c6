"""The `openai_compatible` kind's own behaviour (its fault handling is shared with litellm's in
test_remote.py): what it refuses before any call, what a request holds, how error statuses are
judged billed or not, and that a whole search on it never imports litellm in any process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from abmcts.errors import ConfigError, LLMError
from abmcts.llm import LLMClient, ModelSpec, RetryPolicy
from abmcts.llm.backends import BackendContext, backend_of
from abmcts.llm.backends.openai_compatible import api_base_of, request_model, status_failure
from abmcts.llm.retry import CallFailure
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

from llm_helpers import msgs
from project_helpers import copy_project

KIND = "openai_compatible"


def spec(**kw) -> ModelSpec:
    return ModelSpec(**{"name": "m", "model": "openai/sim", "backend": KIND, **kw})


def problems(s: ModelSpec, replay: bool = False) -> list[str]:
    return backend_of(s).check(s, BackendContext(replay=replay))


def test_refusals_before_any_call_name_the_field(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_ENV", raising=False)
    unknown = spec(model="acme/big-model")
    assert any("set api_base" in p and "'acme'" in p for p in problems(unknown))
    litellm_only = spec(api_base="http://127.0.0.1:9/v1", params={"drop_params": True})
    assert any("params.drop_params is litellm's own" in p for p in problems(litellm_only))
    keyless = spec(api_base="http://127.0.0.1:9/v1", api_key_env="NO_SUCH_KEY_ENV")
    assert problems(keyless) == [
        "model 'm' (openai/sim): environment variable NO_SUCH_KEY_ENV (api_key_env) is not set"
    ]
    assert problems(keyless, replay=True) == []  # a replay sends nothing, so it needs no key
    with pytest.raises(LLMError, match="NO_SUCH_KEY_ENV"):
        backend_of(keyless).open(keyless, BackendContext())


def test_provider_defaults_and_request_model(monkeypatch):
    assert api_base_of(spec(model="openai/o4-mini")) == "https://api.openai.com/v1"
    assert request_model(spec(model="openrouter/deepseek/deepseek-r1-0528")) == "deepseek/deepseek-r1-0528"
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    found = problems(spec(model="openrouter/deepseek/deepseek-r1-0528"))
    assert any("OPENROUTER_API_KEY" in p for p in found)  # the provider's usual variable


class Recorder(BaseHTTPRequestHandler):
    """A provider that records each request (path, Authorization header, JSON body) and answers "ok"."""

    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Recorder.seen.append((self.path, self.headers["Authorization"], body))
        answer = {
            "choices": [{"message": {"content": "ok"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        }
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_request_names_the_model_without_its_prefix_and_sends_params_as_they_are(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("K", "sk-test")
    s = spec(
        model="openrouter/deepseek/deepseek-r1-0528",
        api_base=f"http://127.0.0.1:{server.server_address[1]}/api/v1/",
        api_key_env="K",
        params={"temperature": 0.6, "max_tokens": 64},
    )
    try:
        client = LLMClient({"m": s}, None, RetryPolicy(max_retries=0))
        answer = client.complete("m", msgs("hi"), 0)
        client.close()
    finally:
        server.shutdown()
    path, auth, body = Recorder.seen[-1]
    assert path == "/api/v1/chat/completions" and auth == "Bearer sk-test"
    assert body == {
        "model": "deepseek/deepseek-r1-0528",
        "messages": msgs("hi"),
        "temperature": 0.6,
        "max_tokens": 64,
    }
    assert (answer.text, answer.prompt_tokens, answer.completion_tokens, answer.error) == ("ok", 3, 2, None)


@pytest.mark.parametrize(
    ("status", "content", "headers", "kind", "billed", "retryable", "retry_after"),
    [
        (
            429,
            b'{"error": {"message": "slow down"}}',
            {"retry-after": "2"},
            "RateLimitError",
            False,
            True,
            2.0,
        ),
        (400, b'{"error": {"message": "bad"}}', {}, "BadRequestError", False, False, None),
        (401, b'{"error": "no such key sk-secret"}', {}, "AuthenticationError", False, False, None),
        (500, b'{"error": {"message": "internal"}}', {}, "InternalServerError", False, True, None),
        (502, b"<html>bad gateway</html>", {}, "InternalServerError", None, True, None),  # not the provider's
        (418, b"teapot", {}, "APIStatusError", None, True, None),
    ],
)
def test_error_statuses_are_named_and_judged_billed_as_on_the_litellm_path(
    status, content, headers, kind, billed, retryable, retry_after
):
    failure = status_failure(status, content, headers.get("retry-after"), "sk-secret")
    assert (failure.kind, failure.billed, failure.retryable, failure.retry_after_s) == (
        kind,
        billed,
        retryable,
        retry_after,
    )
    assert "sk-secret" not in failure.message and str(status) in failure.message


def test_a_refused_connection_bills_nothing_and_is_retried():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = spec(api_base=f"http://127.0.0.1:{port}/v1", timeout_s=2.0)
    c = LLMClient({"m": s}, None, RetryPolicy(max_retries=1, base_delay_s=0.0)).complete("m", msgs(), 0)
    assert c.text is None and c.error.startswith("APIConnectionError: ")
    transport = backend_of(s).open(s, BackendContext())

    async def call_then_close():
        try:
            await transport.call(msgs(), "k")
        finally:
            await transport.aclose()

    with pytest.raises(CallFailure) as info:
        asyncio.run(call_then_close())
    assert info.value.billed is False and info.value.retryable


def test_a_think_only_answer_is_billed_with_its_usage():
    cfg = ProviderConfig(rate_thinkonly=1.0, price_in=1e-6, price_out=2e-6)
    with ProviderSimulator(cfg) as srv:
        s = spec(api_base=srv.api_base, input_cost_per_token=1e-6, output_cost_per_token=2e-6)
        transport = backend_of(s).open(s, BackendContext())

        async def call_then_close():
            try:
                await transport.call(msgs("x" * 40), "k")
            finally:
                await transport.aclose()

        with pytest.raises(CallFailure) as info:
            asyncio.run(call_then_close())
        billed = srv.billed_usd
    failure = info.value
    assert failure.kind == "EmptyContent" and failure.billed is True
    prompt, completion, cost = failure.usage
    assert prompt == 10 and completion > 0 and cost == pytest.approx(billed)


def test_prices_come_from_litellms_map_without_importing_it():
    script = (
        "import sys\n"
        "from abmcts.llm import ModelSpec\n"
        "from abmcts.llm.pricing import cost_of\n"
        "s = ModelSpec(name='o', model='openai/o4-mini', backend='openai_compatible')\n"
        "print(cost_of(s, 1000, 100))\n"
        "print('litellm' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    cost, imported = out.stdout.split()
    assert float(cost) == pytest.approx(1000 * 1.1e-6 + 100 * 4.4e-6) and imported == "False"
    unpriced = spec(model="openrouter/deepseek/deepseek-r1-0528")
    with pytest.raises(ConfigError, match="set input_cost_per_token and output_cost_per_token"):
        backend_of(unpriced).cost(unpriced, 1, 1)


BLOCK_LITELLM = "raise ImportError('litellm imported by a run on the openai_compatible kind')\n"


@pytest.mark.slow
def test_a_search_on_this_kind_imports_litellm_in_no_process(tmp_path):
    """A `litellm` that fails to import, first on every process's path: the run must not need it."""
    blocker = tmp_path / "block"
    (blocker / "litellm").mkdir(parents=True)
    (blocker / "litellm" / "__init__.py").write_text(BLOCK_LITELLM)
    root = copy_project(tmp_path / "p")
    with ProviderSimulator(ProviderConfig(price_in=1e-7, price_out=1e-6)) as srv:
        model = {
            "name": "sim",
            "model": "openai/sim",
            "backend": KIND,
            "api_base": srv.api_base,
            "params": {"max_tokens": 200},
            "input_cost_per_token": 1e-7,
            "output_cost_per_token": 1e-6,
        }
        (root / "conf/models/sim.yaml").write_text(yaml.safe_dump({"name": "sim", "specs": [model]}))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
        overrides = ["experiment=smoke", "data.limit=3", "search.budget=4", "models=sim", "tracking=none"]
        overrides += ["run.max_cost_usd=1", "executor=local", "executor.n_jobs=2"]
        for script in ("fetch", "search"):
            out = subprocess.run(
                [sys.executable, f"pipeline/{script}.py", *overrides],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert out.returncode == 0, out.stderr[-3000:]
        calls = len(srv.completions())
    (summary_file,) = root.glob("runs/*/search_summary.json")
    summary = json.loads(summary_file.read_text())
    assert summary["calls"] == calls == 12
    assert summary["spend"]["billed_usd"] == pytest.approx(srv.billed_usd)


def test_a_redirect_is_an_error_and_the_key_never_follows_it(monkeypatch):
    Recorder.seen.clear()
    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/v1/chat/completions"

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    redirecting = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (elsewhere, redirecting):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("K", "sk-secret-key")
    s = spec(api_base=f"http://127.0.0.1:{redirecting.server_address[1]}/v1", api_key_env="K")
    try:
        client = LLMClient({"m": s}, None, RetryPolicy(max_retries=0))
        c = client.complete("m", msgs(), 0)
        client.close()
    finally:
        for server in (elsewhere, redirecting):
            server.shutdown()
    assert c.text is None and c.error.startswith("APIStatusError: status 307")
    assert Recorder.seen == []
