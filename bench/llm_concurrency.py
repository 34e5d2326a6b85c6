"""Speed-up of LLMClient.complete_many over sequential calls, against the fault server at 1 s latency.

Run: .venv/bin/python bench/llm_concurrency.py [--calls 16] [--latency-s 1.0]
"""

from __future__ import annotations

import argparse
import time

from abmcts.llm import CompletionRequest, LLMClient, ModelSpec, ResponseCache
from abmcts.testing.provider import ProviderConfig, ProviderSimulator


def run(api_base: str, calls: int, concurrency: int, batched: bool, tag: str) -> float:
    spec = ModelSpec(
        name="f", model="openai/fault", api_base=api_base, max_concurrency=concurrency, timeout_s=30
    )
    client = LLMClient({"f": spec}, ResponseCache(None, mode="off"))
    reqs = [CompletionRequest("f", [{"role": "user", "content": f"{tag} {i}"}], 0) for i in range(calls)]
    start = time.perf_counter()
    out = client.complete_many(reqs) if batched else [client.complete(r.model_name, r.messages) for r in reqs]
    elapsed = time.perf_counter() - start
    assert all(c.error is None for c in out), [c.error for c in out if c.error]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=16)
    parser.add_argument("--latency-s", type=float, default=1.0)
    args = parser.parse_args()
    with ProviderSimulator(ProviderConfig(latency_s=args.latency_s)) as srv:
        run(srv.api_base, 1, 1, False, "warmup")  # litellm import + first connection
        seq = run(srv.api_base, args.calls, 1, False, "seq")
        print(f"sequential           {args.calls} calls: {seq:6.2f} s")
        for conc in (4, 8):
            t = run(srv.api_base, args.calls, conc, True, f"c{conc}")
            print(
                f"complete_many conc={conc} {args.calls} calls: {t:6.2f} s  speed-up x{seq / t:.2f} (ideal x{conc})"
            )


if __name__ == "__main__":
    main()
