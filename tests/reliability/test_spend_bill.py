"""Spend caps against the provider's own bill (the simulator's): faults, answers without usage,
`<think>`-only answers, SIGKILLs of the whole process group and reruns never take the bill over
the cap; a capped run uses its cap; two searches under one run name pay once; a provider billing
over max_tokens stops its model."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from abmcts.arc.treefile import read_tree_nodes
from abmcts.llm.ledger import OVER_MAX_TOKENS, RUN_CAP, SpendLedger
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

from project_helpers import copy_project
from rel_helpers import run_cli

P_IN, P_OUT, MAX_TOKENS = 1e-7, 1e-5, 200
RUN = "runs/spend"


def _project(tmp_path: Path, srv: ProviderSimulator, **spec) -> Path:
    root = copy_project(tmp_path / "p")
    model = {
        "name": "sim",
        "model": "openai/sim",
        "api_base": srv.api_base,
        "max_concurrency": 4,
        "max_retries": 2,
        "backoff_s": 0.01,
        "timeout_s": 5.0,
        "params": {"max_tokens": MAX_TOKENS},
        "input_cost_per_token": P_IN,
        "output_cost_per_token": P_OUT,
        **spec,
    }
    (root / "conf/models/sim.yaml").write_text(yaml.safe_dump({"name": "sim", "specs": [model]}))
    return root


def _overrides(tasks: int, budget: int, *extra: str) -> list[str]:
    return [
        "experiment=smoke",
        f"data.limit={tasks}",
        f"search.budget={budget}",
        "models=sim",
        "tracking=none",
        "run.name=spend",
        "search.checkpoint_every=1",
        "++search.checkpoint_min_s=0",
        *extra,
    ]


def _trees(root: Path) -> list[dict]:
    out = []
    for path in sorted((root / RUN / "trees").glob("*.json")):
        tree = json.loads(path.read_text())
        tree["nodes"] = read_tree_nodes(tree, str(path))
        out.append(tree)
    return out


def _search(root: Path, overrides: list[str]) -> subprocess.Popen:
    """pipeline/search.py in a process group of its own (the test kills the whole group)."""
    return subprocess.Popen(
        [sys.executable, "pipeline/search.py", *overrides],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["litellm", "openai_compatible"])
def test_the_bill_stays_under_the_cap_through_faults_missing_usage_and_kills(tmp_path, backend):
    cfg = ProviderConfig(
        rate_429=0.15,
        rate_thinkonly=0.15,
        rate_nocode=0.1,
        rate_nousage=0.3,
        reasoning_tokens=150,
        latency_s=0.05,
        retry_after_s=0.05,
        price_in=P_IN,
        price_out=P_OUT,
        seed=5,
    )
    cap = 0.05
    with ProviderSimulator(cfg) as srv:
        root = _project(tmp_path, srv, backend=backend)
        overrides = _overrides(4, 12, f"run.max_cost_usd={cap}", "executor=local", "executor.n_jobs=2")
        assert run_cli(root, ["fetch"], overrides)[0] == 0
        for kill_at in (3, 7, 11):  # provider requests seen (in flight or answered) before each SIGKILL
            proc = _search(root, overrides)
            deadline = time.monotonic() + 120
            while len(srv.completions()) < kill_at:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.005)
            os.killpg(proc.pid, signal.SIGKILL)  # the search and its worker processes
            proc.wait()
        proc = _search(root, overrides)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        time.sleep(0.3)  # requests of killed processes still being answered are billed too
        billed = srv.billed_usd
        outcomes = {r.outcome for r in srv.completions()}
    ledger = SpendLedger(root / RUN / "spend.sqlite").totals()
    assert billed <= cap, (billed, cap)
    assert ledger.counted >= billed - 1e-12 and ledger.counted <= cap + 1e-12
    assert {"429", "thinkonly", "nocode", "ok"} <= outcomes
    assert ledger.flags.get("usage_missing", 0) > 0
    assert "unsettled now count" in err  # the killed runs' open requests were counted
    trees = _trees(root)
    assert len(trees) == 4 and all(t["complete"] for t in trees)
    assert any(t.get("stop_reason") == RUN_CAP for t in trees)  # the cap was what ended the run
    summary = json.loads((root / RUN / "search_summary.json").read_text())
    assert summary["spend"]["billed_usd"] == pytest.approx(ledger.counted)
    assert "did not fit" in summary["spend"]["unused_reason"]


@pytest.mark.slow
def test_a_capped_run_uses_its_cap(tmp_path):
    """Per-call worst case <= 5% of the cap: the provider bills >= 80% of it, although several
    tasks search at once (none starves while others' reservations are open)."""
    with ProviderSimulator(ProviderConfig(reasoning_tokens=150, price_in=P_IN, price_out=P_OUT)) as srv:
        root = _project(tmp_path, srv)
        probe = _overrides(4, 1, "executor=sequential")
        assert run_cli(root, ["fetch"], probe)[0] == 0
        from abmcts.arc.loaders import load_tasks
        from abmcts.arc.prompts import PromptTemplates, messages_for
        from abmcts.llm.pricing import prompt_token_bound

        tasks = load_tasks(next((root / "data").glob("*/tasks.json")))
        prompts = yaml.safe_load((root / "conf/prompts/default.yaml").read_text())
        templates = PromptTemplates(initial=prompts["initial"], refinement=prompts["refinement"])
        first = max(prompt_token_bound(messages_for(t, templates, None)) for t in list(tasks.values())[:6])
        worst = (2 * first) * P_IN + MAX_TOKENS * P_OUT  # refinement prompts are longer: a margin
        cap = round(20 * worst, 6)
        overrides = _overrides(
            6,
            20,
            f"run.max_cost_usd={cap}",
            "executor=local",
            "executor.n_jobs=1",
            "executor.tasks_in_flight=6",
        )
        code, _, err = run_cli(root, ["search"], overrides)
        assert code == 0, err
        billed = srv.billed_usd
    assert 0.8 * cap <= billed <= cap, (billed, cap)
    stops = [t.get("stop_reason") for t in _trees(root)]
    assert RUN_CAP in stops
    assert sum(len(t["nodes"]) > 0 for t in _trees(root)) == 6  # no task starved at zero calls


@pytest.mark.slow
def test_two_searches_at_once_under_one_run_name_pay_once(tmp_path):
    with ProviderSimulator(ProviderConfig(latency_s=0.2, price_in=P_IN, price_out=P_OUT)) as srv:
        root = _project(tmp_path, srv)
        overrides = _overrides(3, 6, "executor=sequential")
        assert run_cli(root, ["fetch"], overrides)[0] == 0
        procs = [_search(root, overrides) for _ in range(2)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        requests = len(srv.completions())
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, _, err in results if code == 2).strip().splitlines()
    assert len(refused) == 1 and "in use by search (pid" in refused[0], refused
    assert requests == sum(len(t["nodes"]) for t in _trees(root)) == 18


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["litellm", "openai_compatible"])
def test_a_provider_billing_over_max_tokens_stops_its_model(tmp_path, backend):
    cfg = ProviderConfig(rate_overbill=1.0, overbill_tokens=300, price_in=P_IN, price_out=P_OUT)
    with ProviderSimulator(cfg) as srv:
        root = _project(tmp_path, srv, backend=backend)
        overrides = _overrides(2, 6, "executor=sequential")
        assert run_cli(root, ["fetch"], overrides)[0] == 0
        code, _, err = run_cli(root, ["search"], overrides)
        requests = len(srv.completions())
    assert code == 0, err
    said = re.findall(r"spend: model [^\n]*", err)  # (the progress bar shares the stream)
    assert len(said) == 1, err
    assert re.fullmatch(
        rf"spend: model 'sim' billed {MAX_TOKENS + 300} completion tokens for a request limited to "
        rf"max_tokens={MAX_TOKENS} \(USD [0-9.]+, worst case USD [0-9.]+\); no more requests go to it in this run",
        said[0],
    )
    trees = _trees(root)
    assert requests == 1 and [len(t["nodes"]) for t in trees] == [1, 0]
    assert all(t["stop_reason"] == OVER_MAX_TOKENS for t in trees)
    ledger = SpendLedger(root / RUN / "spend.sqlite").totals()
    assert ledger.flags == {OVER_MAX_TOKENS: 1}
    assert ledger.counted == pytest.approx(srv.billed_usd)  # the real figure is recorded
