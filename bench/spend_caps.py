"""Spend caps against a provider's own bill (issue 18): billed vs cap per scenario.

Each scenario runs `pipeline/search.py` (ARC-AGI-1 training tasks, AB-MCTS-A, 2 local worker
processes) in a scratch project against the provider simulator, which keeps its own bill at the
prices the model spec states (`abmcts.testing.provider`), with `run.max_cost_usd` set to `--calls`
times the largest per-call worst case (prompt bound + max_tokens). Scenarios: an honest provider;
answers without usage; `<think>`-only answers and 429s; the same mix with the whole process group
SIGKILLed twice and rerun; and a provider that bills over max_tokens (the one case a cap cannot
hold: it bills past the limit it was sent). Prints, per scenario: the provider's bill, the cap,
bill / cap, what the ledger counted, the requests and the trees' stop reasons.

Run: .venv/bin/python bench/spend_caps.py [--tasks 12] [--budget 10] [--calls 20] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from abmcts.arc.loaders import load_tasks
from abmcts.arc.prompts import PromptTemplates, messages_for
from abmcts.llm.ledger import SpendLedger
from abmcts.llm.pricing import prompt_token_bound
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

REPO = Path(__file__).resolve().parent.parent
P_IN, P_OUT, MAX_TOKENS = 1e-7, 1e-5, 600
MIX = {"rate_429": 0.15, "rate_thinkonly": 0.2, "rate_nocode": 0.1}
SCENARIOS = {
    "honest": ({}, 0),
    "30% without usage": ({"rate_nousage": 0.3}, 0),
    "think-only 20%, 429 15%, nocode 10%": (MIX, 0),
    "that mix + no usage 30% + 2 SIGKILLs": ({**MIX, "rate_nousage": 0.3}, 2),
    "over-billing 5% (+400 tokens)": ({"rate_overbill": 0.05, "overbill_tokens": 400}, 0),
}


def project(dest: Path, api_base: str) -> Path:
    for name in ("conf", "pipeline"):
        shutil.copytree(REPO / name, dest / name)
    spec = {
        "name": "sim",
        "model": "openai/sim",
        "api_base": api_base,
        "max_concurrency": 8,
        "max_retries": 2,
        "backoff_s": 0.01,
        "params": {"max_tokens": MAX_TOKENS},
        "input_cost_per_token": P_IN,
        "output_cost_per_token": P_OUT,
    }
    (dest / "conf/models/sim.yaml").write_text(yaml.safe_dump({"name": "sim", "specs": [spec]}))
    return dest


def search(root: Path, overrides: list[str], kill_after: int | None, srv: ProviderSimulator) -> int:
    """pipeline/search.py; with `kill_after`, SIGKILL its process group once the provider saw that many requests."""
    proc = subprocess.Popen(
        [sys.executable, "pipeline/search.py", *overrides],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if kill_after is None:
        err = proc.communicate()[1]
        if proc.returncode:
            raise SystemExit(f"search failed: {err[-2000:]}")
        return proc.returncode
    while len(srv.completions()) < kill_after and proc.poll() is None:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=12)
    parser.add_argument("--budget", type=int, default=10)
    parser.add_argument(
        "--calls", type=float, default=20.0, help="cap = this x the largest per-call worst case"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="abmcts-spend-"))
    rows = []
    for i, (name, (faults, kills)) in enumerate(SCENARIOS.items()):
        config = ProviderConfig(reasoning_tokens=150, price_in=P_IN, price_out=P_OUT, seed=i, **faults)
        with ProviderSimulator(config) as srv:
            root = project(work / f"s{i}", srv.api_base)
            base = [
                "experiment=smoke",
                f"data.limit={args.tasks}",
                f"search.budget={args.budget}",
                "models=sim",
                "tracking=none",
                "executor=local",
                "executor.n_jobs=2",
                "run.name=spend",
            ]
            subprocess.run(
                [sys.executable, "pipeline/fetch.py", *base], cwd=root, check=True, capture_output=True
            )
            tasks = list(load_tasks(next((root / "data").glob("*/tasks.json"))).values())[: args.tasks]
            prompts = yaml.safe_load((root / "conf/prompts/default.yaml").read_text())
            templates = PromptTemplates(initial=prompts["initial"], refinement=prompts["refinement"])
            # refinement prompts quote the parent's program and outputs: twice the first prompt's bound
            bound = 2 * max(prompt_token_bound(messages_for(t, templates, None)) for t in tasks)
            worst = bound * P_IN + MAX_TOKENS * P_OUT
            cap = round(args.calls * worst, 6)
            overrides = [*base, f"run.max_cost_usd={cap}"]
            start = time.perf_counter()
            for k in range(kills):
                search(root, overrides, kill_after=4 + 6 * k, srv=srv)
            search(root, overrides, kill_after=None, srv=srv)
            wall = time.perf_counter() - start
            time.sleep(0.5)  # answers to killed processes still on their way are billed too
            billed, requests = srv.billed_usd, len(srv.completions())
        ledger = SpendLedger(root / "runs/spend/spend.sqlite").totals()
        stops = Counter(
            json.loads(p.read_text()).get("stop_reason") or "budget"
            for p in (root / "runs/spend/trees").glob("*.json")
        )
        rows.append((name, billed, cap, ledger.counted, requests, dict(stops), wall, worst))
    print(
        f"{args.tasks} tasks x {args.budget} calls, max_tokens {MAX_TOKENS}, cap = {args.calls:g} x worst case"
    )
    print("| scenario | provider billed | cap | billed / cap | ledger counted | requests | stops | wall |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for name, billed, cap, counted, requests, stops, wall, _worst in rows:
        print(
            f"| {name} | ${billed:.5f} | ${cap:.5f} | {billed / cap:.1%} | ${counted:.5f} | {requests} | "
            f"{', '.join(f'{k} {v}' for k, v in sorted(stops.items()))} | {wall:.0f} s |"
        )
    print(f"(per-call worst case ${rows[0][7]:.5f} = {rows[0][7] / rows[0][2]:.1%} of the cap)")


if __name__ == "__main__":
    main()
