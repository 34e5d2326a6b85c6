"""A misbehaving OpenAI-compatible server on loopback, to test retries, timeouts and concurrency.

Each request to `/v1/chat/completions` draws one outcome from a RNG seeded by (seed, request
number): `rate_429` (with Retry-After), `rate_500`, `rate_slow` (sleeps `slow_s`, past the
client's timeout), `rate_truncated` (cut-off JSON), `rate_empty` (empty content), `rate_nocode`
(prose, no code block); otherwise a valid completion holding a fenced python block chosen from
the seed and the request. `latency_s` delays every answer (concurrency benchmark). Requests are
logged in memory (time, outcome) — never headers, so API keys are never recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "slow", "truncated", "empty", "nocode")

_PROGRAMS = (
    "def transform(grid):\n    return [row[::-1] for row in grid]",
    "def transform(grid):\n    return grid[::-1]",
    "def transform(grid):\n    return [list(r) for r in zip(*grid)]",
    "def transform(grid):\n    return [[(c + 1) % 10 for c in row] for row in grid]",
)


@dataclass
class FaultConfig:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_slow: float = 0.0
    rate_truncated: float = 0.0
    rate_empty: float = 0.0
    rate_nocode: float = 0.0
    retry_after_s: float = 0.1
    slow_s: float = 5.0
    latency_s: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        rates = [getattr(self, f"rate_{f}") for f in FAULTS]
        if any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError(f"fault rates must be >= 0 and sum to <= 1, got {rates}")


@dataclass(frozen=True)
class RequestLog:
    t: float
    path: str
    outcome: str  # "ok" or one of FAULTS


class FaultServer:
    """Context manager: `with FaultServer(FaultConfig(rate_500=0.5)) as srv: srv.api_base`."""

    def __init__(self, config: FaultConfig | None = None, port: int = 0) -> None:
        self.config = config or FaultConfig()
        self.log: list[RequestLog] = []
        self._lock = threading.Lock()
        self._count = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
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

    def start(self) -> FaultServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="faultserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _draw(self, path: str) -> tuple[int, str]:
        with self._lock:
            n = self._count
            self._count += 1
        u = random.Random(f"{self.config.seed}:{n}").random()
        outcome = "ok"
        for fault in FAULTS:
            rate = getattr(self.config, f"rate_{fault}")
            if u < rate:
                outcome = fault
                break
            u -= rate
        with self._lock:
            self.log.append(RequestLog(time.monotonic(), path, outcome))
        return n, outcome

    def _completion_text(self, body: dict[str, Any], outcome: str) -> str:
        if outcome == "empty":
            return ""
        if outcome == "nocode":
            return "I am not sure how to solve this puzzle."
        digest = hashlib.sha256(f"{self.config.seed}:{json.dumps(body, sort_keys=True)}".encode()).digest()
        program = _PROGRAMS[digest[0] % len(_PROGRAMS)]
        return f"Here is a program.\n```python\n{program}\n```\n"


def _make_handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
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
            n, outcome = server._draw(self.path)
            cfg = server.config
            if cfg.latency_s:
                time.sleep(cfg.latency_s)
            if outcome == "429":
                err = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
                self._send(429, json.dumps(err).encode(), {"Retry-After": f"{cfg.retry_after_s:g}"})
                return
            if outcome == "500":
                self._send(500, b'{"error": {"message": "internal error", "type": "server_error"}}')
                return
            if outcome == "slow":
                time.sleep(cfg.slow_s)
            text = server._completion_text(body, outcome)
            prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
            payload = {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "fault"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_chars // 4,
                    "completion_tokens": len(text) // 4,
                    "total_tokens": prompt_chars // 4 + len(text) // 4,
                },
            }
            data = json.dumps(payload).encode()
            if outcome == "truncated":
                data = data[: len(data) // 2]
            self._send(200, data)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="OpenAI-compatible fault-injection server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    for fault in FAULTS:
        parser.add_argument(f"--rate-{fault}", type=float, default=0.0, help=f"fraction of '{fault}' answers")
    parser.add_argument("--retry-after-s", type=float, default=0.1)
    parser.add_argument("--slow-s", type=float, default=5.0)
    parser.add_argument("--latency-s", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = FaultConfig(
        **{f"rate_{f}": getattr(args, f"rate_{f}") for f in FAULTS},
        retry_after_s=args.retry_after_s,
        slow_s=args.slow_s,
        latency_s=args.latency_s,
        seed=args.seed,
    )
    with FaultServer(config, port=args.port) as srv:
        print(f"fault server on {srv.api_base} (model string: openai/<anything>, api_base above)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
