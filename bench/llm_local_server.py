"""Tokens/s and per-call latency of the local llama.cpp server (default: SmolLM2-135M) via LLMClient.

Run: .venv/bin/python bench/llm_local_server.py [--calls 3] [--threads 1 2] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import statistics
import time

from abmcts.llm import LLMClient, ModelSpec, ResponseCache
from abmcts.llm.serve import LocalServer

PROMPT = (
    "Write a Python function transform(grid) that takes a list of lists of ints and returns it rotated "
    "90 degrees clockwise. Answer with one ```python block."
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    for threads in args.threads:
        start = time.perf_counter()
        with LocalServer(threads=threads) as server:
            startup = time.perf_counter() - start
            spec = ModelSpec(
                name="smol",
                model=f"openai/{server.alias}",
                api_base=server.api_base,
                max_concurrency=1,
                timeout_s=300,
                params={"temperature": 0.8, "max_tokens": args.max_tokens},
            )
            client = LLMClient({"smol": spec}, ResponseCache(None, mode="off"))
            out = [
                client.complete("smol", [{"role": "user", "content": PROMPT}], i) for i in range(args.calls)
            ]
        ok = [c for c in out if c.error is None]
        lat = [c.latency_s for c in ok]
        toks = sum(c.completion_tokens for c in ok)
        print(
            f"threads={threads} startup {startup:.1f}s | {len(ok)}/{len(out)} ok | latency median {statistics.median(lat):.2f}s "
            f"(min {min(lat):.2f}, max {max(lat):.2f}) | {toks / sum(lat):.1f} completion tok/s | "
            f"prompt {ok[0].prompt_tokens} tok"
        )
        print("--- sample answer ---\n" + ok[0].text + "\n---")


if __name__ == "__main__":
    main()
