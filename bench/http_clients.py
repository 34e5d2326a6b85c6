"""Why the `openai_compatible` kind calls out with aiohttp, not httpx: CPU per request at 64 in flight.

The provider simulator runs in its own process (0.2 s latency); each client posts N chat-completion
requests of a 2 KB prompt, 64 at a time on one pooled client, in a fresh process, alternating which
client goes first. Prints per round the wall time and the client process's CPU per request, then the
medians and their ratio. httpx's connection pool checks every pooled connection for each request.

Run: .venv/bin/python bench/http_clients.py [--requests 1500] [--in-flight 64] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time

CLIENT = r"""
import asyncio, json, resource, sys, time
url, n, c, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
body = {"model": "sim", "messages": [{"role": "user", "content": "x" * 2000}]}
headers = {"Authorization": "Bearer no-key"}

async def with_httpx():
    import httpx
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=c), timeout=60)
    gate = asyncio.Semaphore(c)
    async def one():
        async with gate:
            json.loads((await client.post(url, json=body, headers=headers)).content)
    await asyncio.gather(*(one() for _ in range(n)))
    await client.aclose()

async def with_aiohttp():
    import aiohttp
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        gate = asyncio.Semaphore(c)
        async def one():
            async with gate, session.post(url, json=body, headers=headers) as response:
                json.loads(await response.read())
        await asyncio.gather(*(one() for _ in range(n)))

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

start, cpu0 = time.perf_counter(), cpu()
asyncio.run({"httpx": with_httpx, "aiohttp": with_aiohttp}[which]())
print(json.dumps({"wall_s": time.perf_counter() - start, "cpu_ms_per_request": 1000 * (cpu() - cpu0) / n}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "abmcts.testing.provider", f"--port={port}", "--latency-s=0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        results: dict[str, list[dict]] = {"httpx": [], "aiohttp": []}
        for r in range(args.rounds):
            for which in ("httpx", "aiohttp") if r % 2 == 0 else ("aiohttp", "httpx"):
                out = subprocess.run(
                    [sys.executable, "-c", CLIENT, url, str(args.requests), str(args.in_flight), which],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[which].append(json.loads(out.stdout))
                print(f"round {r} {which}: {results[which][-1]}", flush=True)
    finally:
        server.terminate()
        server.wait()
    ideal = args.requests * 0.2 / args.in_flight
    print(f"{args.requests} requests, {args.in_flight} in flight, 0.2 s latency (ideal wall {ideal:.1f} s)")
    for metric in ("wall_s", "cpu_ms_per_request"):
        a, b = (statistics.median(r[metric] for r in results[w]) for w in ("aiohttp", "httpx"))
        print(f"{metric}: aiohttp {a:.2f}, httpx {b:.2f}, aiohttp/httpx {a / b:.3f}")


if __name__ == "__main__":
    main()
