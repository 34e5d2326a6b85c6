"""The default scheduler: many searches in flight per process, trees identical to the sequential loop."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from abmcts.experiment.parallel import run_tasks
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.rundata import load_run_tasks
from abmcts.io import dumps_json
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

from project_helpers import smoke_config, tree_bytes

# sha256 of the tree files written by the executor before the scheduler existed (commit 9b140fd,
# one task after another in joblib workers), 4 ARC-AGI-1 training tasks x 20 offline calls.
FROZEN = {
    "ab_mcts_m-b1": {
        "007bbfb7.json": "08cb7cae690ce97ac4de5dd47c27ec19055fdf2891f72ef025d57db77e346357",
        "00d62c1b.json": "d4c82b6accd61521c37a4d410ebdf9a1acebface5dc973afe95c0bcc4b6f4e9d",
        "017c7c7b.json": "941c0a8d7a31e238aae71ac0bc8e03668d734bb93d2f8abb032a1278de408340",
        "025d127b.json": "c4ef481cf5a1d576d35bf78dc4feec0574a88cc624dca5110a60ee89ba1d2495",
    },
    "ab_mcts_a-b1": {
        "007bbfb7.json": "4714ce576819f2e1d92b9f570ec21ccfd6f42339dbcf09b7f4a7d47d980be98b",
        "00d62c1b.json": "c4e64702c2f1c135fc5fdeb5eae28dc0fd9ce59891a71db4ed0ff62b9b39f25c",
        "017c7c7b.json": "77e20252507bbdab40e06ef320f17f210775c94d5963d53ef276849d576df08a",
        "025d127b.json": "693d434017b12ac8b970575679fa7db437a081d092ee331b6ae7f75084613067",
    },
    "ab_mcts_m-b3": {
        "007bbfb7.json": "b4a238babcfa019726beb4558c64ac13af3185edd1c25cd3d3e722498c7ee37e",
        "00d62c1b.json": "fe9a8ececcbe988aa13caef6bb4e6a51c8a29ae992149a85ac786658fb9ebee5",
        "017c7c7b.json": "4c59214c5913db94bb1c9fa0c03786a6bce64563b2534492f75fa600326f7ec1",
        "025d127b.json": "8d337a6c5320607c9ac2dd15764a8d88d8acf8113302f4f28dda52869b904d1c",
    },
}
EXECUTORS = {
    "sequential": ["executor=sequential"],
    "in_process_4_in_flight": ["executor=local", "executor.n_jobs=1", "executor.tasks_in_flight=4"],
}


def _digests(cfg) -> dict[str, str]:
    """Digests of the trees without the provenance stamp added since (`settings`, `fingerprint`):
    the rest re-encodes to exactly the file's bytes (canonical JSON), so search results are compared
    to the byte."""
    digests = {}
    for name, data in tree_bytes(cfg).items():
        tree = json.loads(data)
        assert dumps_json(tree).encode() == data  # the file is canonical: re-encoding is exact
        tree.pop("settings"), tree.pop("fingerprint")
        digests[name] = hashlib.sha256(dumps_json(tree).encode()).hexdigest()
    return digests


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
@pytest.mark.parametrize("case", sorted(FROZEN))
def test_trees_are_byte_identical_to_the_executor_before_the_scheduler(tmp_path, case, executor):
    search, batch = case.split("-b")
    cfg = smoke_config(
        tmp_path,
        "run",
        f"search={search}",
        "search.budget=20",
        "data.limit=4",
        f"search.batch_size={batch}",
        *EXECUTORS[executor],
    )
    fetch_stage(cfg)
    search_stage(cfg, progress=False)
    assert _digests(cfg) == FROZEN[case]


@pytest.mark.slow
def test_worker_processes_share_the_queue_and_write_the_frozen_trees(tmp_path):
    cfg = smoke_config(
        tmp_path,
        "run",
        "search=ab_mcts_m",
        "search.budget=20",
        "data.limit=4",
        "executor=local",
        "executor.n_jobs=2",
    )
    fetch_stage(cfg)
    seen = []
    tasks = list(load_run_tasks(cfg).values())
    results = run_tasks(cfg, tasks, RunPaths.of(cfg), progress=False, on_result=seen.append)
    assert sorted(s["task_id"] for s in seen) == [t.task_id for t in tasks]
    assert [r["calls"] for r in results] == [20] * 4
    assert sum(r["cache"]["misses"] for r in results) == 80  # exact sums over the processes
    assert _digests(cfg) == FROZEN["ab_mcts_m-b1"]


def _sim_models(root, api_base: str, concurrency: int) -> None:
    spec = {
        "name": "sim",
        "model": "openai/sim",
        "api_base": api_base,
        "max_concurrency": concurrency,
        "timeout_s": 30.0,
        "max_retries": 0,  # a 429 would be an error on the node, so the test sees it
    }
    (root / "sim.yaml").write_text(yaml.safe_dump({"name": "sim", "specs": [spec]}))


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_many_tasks_in_flight_against_a_provider_within_its_limit(tmp_path, n_jobs):
    """24 tasks x 3 calls at 0.3 s: the machine-wide limit of 12 is used and never exceeded (split
    over 2 processes too), and every search is the same as one run alone from the same cache."""
    conf = tmp_path / "models"
    conf.mkdir()
    with ProviderSimulator(ProviderConfig(latency_s=0.3, max_in_flight=12)) as srv:
        _sim_models(conf, srv.api_base, 12)
        common = ["data.limit=24", "search.budget=3", f"hydra.searchpath=[file://{tmp_path}]", "models=sim"]
        cfg = smoke_config(tmp_path, "many", *common, "executor=local", f"executor.n_jobs={n_jobs}")
        fetch_stage(cfg)
        summary = search_stage(cfg, progress=False)
        log = srv.completions()
    assert summary["calls"] == 72 and summary["cache"]["misses"] == 72
    assert [r.outcome for r in log] == ["ok"] * 72  # zero 429s
    assert 8 <= max(r.in_flight for r in log) <= 12  # many tasks at once, within the limit
    one_by_one = smoke_config(
        tmp_path, "alone", *common, "executor=sequential", "cache.mode=replay", f"cache.path={cfg.cache.path}"
    )
    search_stage(one_by_one, progress=False)
    assert tree_bytes(one_by_one) == tree_bytes(cfg)
