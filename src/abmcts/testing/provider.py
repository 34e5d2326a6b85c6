"""A model provider simulator: an OpenAI-compatible server on loopback for tests and benchmarks.

Each request to `/v1/chat/completions` draws one outcome from a RNG seeded by (seed, request
number): `rate_429` (with Retry-After), `rate_500`, `rate_slow` (sleeps `slow_s`, past the
client's timeout), `rate_truncated` (cut-off JSON), `rate_empty` (empty content), `rate_nocode`
(prose, no code block), `rate_thinkonly` (a `<think>` block and nothing after it, as a reasoning
model cut off by max_tokens sends); otherwise a valid completion holding a fenced python block
chosen from the seed and the request.

Like a real provider it also has:
* latency: `latency_s`, fixed, or the median of a lognormal with `latency_sigma` > 0 (long tail),
  drawn per request from the seed;
* limits: more than `max_in_flight` requests at once, or more than `rpm` accepted in the last
  60 s, are answered at once with 429 and a Retry-After (outcome `limit`);
* token usage: prompt tokens = characters // 4, completion tokens = the answer's characters // 4
  plus `reasoning_tokens` (reported in `usage.completion_tokens_details`, OpenAI o-series shape);
* `think`: the answer starts with a `<think>...</think>` block (DeepSeek-R1 served raw) that holds
  a decoy code block;
* `reject_temperature`: a request with `temperature` gets OpenAI's o-series 400.

And a bill of its own, to hold the pipeline's spend ledger against: every request it generates
an answer for (any outcome but 429, 500 and the limit and parameter rejections; a slow one and a
cut-off one too) is billed at `price_in`/`price_out` USD per token, whether or not the answer
reaches the client (`billed_usd`). An honest provider bills at most the request's `max_tokens`
completion tokens; `rate_overbill` answers report and bill `max_tokens + overbill_tokens`, and
`rate_nousage` answers leave out `usage` (both drawn independently of the outcome).

Requests are logged in memory (time, outcome, requests in flight) — never headers, so API keys are
never recorded.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import hashlib
import json
import math
import random
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "slow", "truncated", "empty", "nocode", "thinkonly")
DECOY = "def transform(grid):\n    return [[0]]  # a first idea, inside the reasoning"

_PROGRAMS = (
    "def transform(grid):\n    return [row[::-1] for row in grid]",
    "def transform(grid):\n    return grid[::-1]",
    "def transform(grid):\n    return [list(r) for r in zip(*grid)]",
    "def transform(grid):\n    return [[(c + 1) % 10 for c in row] for row in grid]",
)


@dataclass
class ProviderConfig:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_slow: float = 0.0
    rate_truncated: float = 0.0
    rate_empty: float = 0.0
    rate_nocode: float = 0.0
    rate_thinkonly: float = 0.0
    rate_nousage: float = 0.0  # answers without `usage` (drawn apart from the outcome)
    rate_overbill: float = 0.0  # answers billing max_tokens + overbill_tokens completion tokens
    overbill_tokens: int = 100
    price_in: float = 0.0  # USD per prompt token, for the simulator's own bill
    price_out: float = 0.0  # USD per completion token
    retry_after_s: float = 0.1
    slow_s: float = 5.0
    latency_s: float = 0.0  # fixed latency, or the lognormal's median when latency_sigma > 0
    latency_sigma: float = 0.0
    max_in_flight: int | None = None
    rpm: int | None = None
    window_s: float = 60.0  # the rpm window (shorter in tests)
    reasoning_tokens: int = 0
    think: bool = False
    reject_temperature: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        rates = [getattr(self, f"rate_{f}") for f in FAULTS]
        if any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError(f"fault rates must be >= 0 and sum to <= 1, got {rates}")
        if self.latency_s < 0 or self.latency_sigma < 0 or self.reasoning_tokens < 0:
            raise ValueError("latency_s, latency_sigma and reasoning_tokens must be >= 0")
        for name in ("rate_nousage", "rate_overbill"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")

    def latency(self, n: int) -> float:
        """Latency of request number `n`: fixed, or lognormal around the median (seeded)."""
        if self.latency_sigma == 0:
            return self.latency_s
        return random.Random(f"latency:{self.seed}:{n}").lognormvariate(
            math.log(self.latency_s), self.latency_sigma
        )


@dataclass(frozen=True)
class RequestLog:
    t: float
    path: str
    outcome: str  # "ok", "limit" (over max_in_flight or rpm), "bad_param", or one of FAULTS
    in_flight: int = 0  # accepted requests being answered when this one arrived (itself included)
    params: tuple[str, ...] = ()  # the request's top-level keys besides model and messages (no values)
    billed_usd: float = 0.0  # what the provider charged for it (see the module docstring)


class _Server(ThreadingHTTPServer):
    # a provider takes a burst of new connections (64 requests leaving at once): socketserver's
    # default backlog of 5 resets some of them under load, which no real provider does
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the spend tests SIGKILL whole runs) is no server error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ProviderSimulator:
    """Context manager: `with ProviderSimulator(ProviderConfig(rate_500=0.5)) as srv: srv.api_base`."""

    def __init__(self, config: ProviderConfig | None = None, port: int = 0) -> None:
        self.config = config or ProviderConfig()
        self.log: list[RequestLog] = []
        self._lock = threading.Lock()
        self._count = 0
        self._row: dict[int, int] = {}  # request number -> its log row, until it is billed
        self._in_flight = 0
        self._accepted: collections.deque[float] = collections.deque()
        self._httpd = _Server(("127.0.0.1", port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def completions(self, outcome: str | None = None) -> list[RequestLog]:
        """Logged chat-completion requests, optionally only those with one outcome."""
        with self._lock:
            rows = [r for r in self.log if r.path.endswith("/chat/completions")]
        return [r for r in rows if outcome is None or r.outcome == outcome]

    @property
    def billed_usd(self) -> float:
        """The provider's own bill: every request it generated an answer for, at its prices."""
        return sum(r.billed_usd for r in self.completions())

    @property
    def peak_in_flight(self) -> int:
        return max((r.in_flight for r in self.completions()), default=0)

    def start(self) -> ProviderSimulator:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="provider-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ProviderSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _admit(self, path: str, body: dict[str, Any]) -> tuple[int, str]:
        """Number the request and decide its outcome; an admitted one holds an in-flight slot."""
        cfg = self.config
        params = tuple(sorted(k for k in body if k not in ("model", "messages")))
        with self._lock:
            now = time.monotonic()
            while self._accepted and self._accepted[0] <= now - cfg.window_s:
                self._accepted.popleft()
            over = (cfg.max_in_flight is not None and self._in_flight >= cfg.max_in_flight) or (
                cfg.rpm is not None and len(self._accepted) >= cfg.rpm
            )
            if over or (cfg.reject_temperature and "temperature" in body):
                outcome = "limit" if over else "bad_param"
                self.log.append(RequestLog(now, path, outcome, self._in_flight, params))
                return -1, outcome
            n = self._count
            self._count += 1
            self._in_flight += 1
            self._accepted.append(now)
            in_flight = self._in_flight
        u = random.Random(f"{cfg.seed}:{n}").random()
        outcome = "ok"
        for fault in FAULTS:
            rate = getattr(cfg, f"rate_{fault}")
            if u < rate:
                outcome = fault
                break
            u -= rate
        with self._lock:
            self.log.append(RequestLog(now, path, outcome, in_flight, params))
            self._row[n] = len(self.log) - 1
        return n, outcome

    def _bill(self, n: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Charge request `n` (before its answer leaves: a client that gives up is billed too)."""
        cfg = self.config
        usd = prompt_tokens * cfg.price_in + completion_tokens * cfg.price_out
        with self._lock:
            i = self._row.pop(n)
            self.log[i] = dataclasses.replace(self.log[i], billed_usd=usd)

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _completion_text(self, body: dict[str, Any], outcome: str) -> str:
        if outcome == "empty":
            return ""
        if outcome == "nocode":
            return "I am not sure how to solve this puzzle."
        if outcome == "thinkonly":
            return "<think>\nThe grid looks mirrored... or rotated. Let me check each row." + " Hmm." * 40
        digest = hashlib.sha256(f"{self.config.seed}:{json.dumps(body, sort_keys=True)}".encode()).digest()
        program = _PROGRAMS[digest[0] % len(_PROGRAMS)]
        answer = f"Here is a program.\n```python\n{program}\n```\n"
        if self.config.think:
            return f"<think>\nMaybe this:\n```python\n{DECOY}\n```\nNo, better:\n</think>\n{answer}"
        return answer


def _make_handler(server: ProviderSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # silence per-request stderr lines
            pass

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                body = {"object": "list", "data": [{"id": "fault", "object": "model", "owned_by": "abmcts"}]}
                self._send(200, json.dumps(body).encode())
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, b'{"error": {"message": "bad json"}}')
                return
            n, outcome = server._admit(self.path, body)
            cfg = server.config
            if outcome == "limit":
                err = {"error": {"message": "rate limit reached", "type": "rate_limit_error"}}
                self._send(429, json.dumps(err).encode(), {"Retry-After": f"{cfg.retry_after_s:g}"})
                return
            if outcome == "bad_param":
                err = {
                    "error": {
                        "message": "Unsupported parameter: 'temperature' is not supported with this model.",
                        "type": "invalid_request_error",
                        "param": "temperature",
                        "code": "unsupported_parameter",
                    }
                }
                self._send(400, json.dumps(err).encode())
                return
            try:
                status, data, headers = self._answer(n, outcome, body)
            finally:
                server._release()  # before the answer leaves: the client may send the next at once
            self._send(status, data, headers)

        def _answer(self, n: int, outcome: str, body: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
            cfg = server.config
            latency = cfg.latency(n)
            if latency:
                time.sleep(latency)
            if outcome in ("429", "500"):  # an error response: no charge
                server._bill(n, 0, 0)
            if outcome == "429":
                err = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
                return 429, json.dumps(err).encode(), {"Retry-After": f"{cfg.retry_after_s:g}"}
            if outcome == "500":
                return 500, b'{"error": {"message": "internal error", "type": "server_error"}}', {}
            text = server._completion_text(body, outcome)
            prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
            completion_tokens = len(text) // 4 + cfg.reasoning_tokens
            draw = random.Random(f"usage:{cfg.seed}:{n}")
            limit = body.get("max_completion_tokens") or body.get("max_tokens")
            if isinstance(limit, int):  # an honest provider stops at the limit (finish_reason "length")
                completion_tokens = min(completion_tokens, limit)
                if draw.random() < cfg.rate_overbill:
                    completion_tokens = limit + cfg.overbill_tokens
            server._bill(n, prompt_tokens, completion_tokens)
            payload = {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "fault"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                    "completion_tokens_details": {"reasoning_tokens": cfg.reasoning_tokens},
                },
            }
            if draw.random() < cfg.rate_nousage:
                del payload["usage"]
            if outcome == "slow":  # generated and billed; the client has given up by now
                time.sleep(cfg.slow_s)
            data = json.dumps(payload).encode()
            if outcome == "truncated":
                data = data[: len(data) // 2]
            return 200, data, {}

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="OpenAI-compatible provider simulator on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    for fault in FAULTS:
        parser.add_argument(f"--rate-{fault}", type=float, default=0.0, help=f"fraction of '{fault}' answers")
    parser.add_argument("--retry-after-s", type=float, default=0.1)
    parser.add_argument("--slow-s", type=float, default=5.0)
    parser.add_argument("--latency-s", type=float, default=0.0, help="fixed, or the lognormal median")
    parser.add_argument("--latency-sigma", type=float, default=0.0, help="> 0: lognormal latency")
    parser.add_argument("--max-in-flight", type=int, default=None)
    parser.add_argument("--rpm", type=int, default=None)
    parser.add_argument("--reasoning-tokens", type=int, default=0)
    parser.add_argument("--rate-nousage", type=float, default=0.0, help="fraction of answers without usage")
    parser.add_argument("--rate-overbill", type=float, default=0.0, help="fraction billing over max_tokens")
    parser.add_argument("--overbill-tokens", type=int, default=100)
    parser.add_argument("--price-in", type=float, default=0.0, help="USD per prompt token (the bill)")
    parser.add_argument("--price-out", type=float, default=0.0, help="USD per completion token")
    parser.add_argument("--think", action="store_true", help="answers start with a <think> block")
    parser.add_argument("--reject-temperature", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = ProviderConfig(
        **{f"rate_{f}": getattr(args, f"rate_{f}") for f in FAULTS},
        retry_after_s=args.retry_after_s,
        slow_s=args.slow_s,
        latency_s=args.latency_s,
        latency_sigma=args.latency_sigma,
        max_in_flight=args.max_in_flight,
        rpm=args.rpm,
        reasoning_tokens=args.reasoning_tokens,
        rate_nousage=args.rate_nousage,
        rate_overbill=args.rate_overbill,
        overbill_tokens=args.overbill_tokens,
        price_in=args.price_in,
        price_out=args.price_out,
        think=args.think,
        reject_temperature=args.reject_temperature,
        seed=args.seed,
    )
    with ProviderSimulator(config, port=args.port) as srv:
        print(
            f"provider simulator on {srv.api_base} (model string: openai/<anything>, api_base above)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
