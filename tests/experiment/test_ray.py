"""The search stage on Ray (joblib's ray backend) writes the same trees as a local run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from joblib import Parallel, delayed, parallel_config

from abmcts.errors import ConfigError
from abmcts.experiment import parallel
from abmcts.experiment.config import ExecutorConfig
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage

from project_helpers import descendants, smoke_config, tree_bytes

# A Ray head of 2 CPUs in its own process (as `ray start --head` would be); EOF on stdin stops it.
HEAD = """
import os, sys
os.environ.update(RAY_USAGE_STATS_ENABLED="0", RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_AUTH_MODE="disabled")
import ray
ray.init("local", num_cpus=2, include_dashboard=False, object_store_memory=128 << 20, logging_level="ERROR")
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:  # exited since
        return ""


@pytest.fixture(scope="module")
def local_trees(tmp_path_factory):
    # Ray's single-machine mode, every process on 127.0.0.1 (tests use loopback only). The stage sets
    # it too, but Ray reads it once, at import, which importorskip does first; it stays set for the
    # session (only these tests use Ray)
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    pytest.importorskip("ray")  # an optional extra; the config group needs it
    tmp = tmp_path_factory.mktemp("ray")
    local = smoke_config(tmp, "local", "executor=sequential")
    fetch_stage(local)
    search_stage(local, progress=False)
    expected = tree_bytes(local)
    assert len(expected) == 3
    return tmp, expected


def check_ray_run(summary: dict, remote, expected: dict[str, bytes]) -> None:
    assert summary["tasks"] == 3 and summary["calls"] == 24
    assert summary["cache"]["misses"] == 24  # its own empty cache: every call was made
    assert parallel._WORKER_STATE == {}, "the driver ran a search itself, not a Ray worker"
    assert tree_bytes(remote) == expected


def sandboxes_of(tmp: Path) -> list[int]:
    """Live sandbox zygotes of this test's runs: their command line names the forbidden data dir."""
    return [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and str(tmp) in cmdline(int(p.name))
    ]


def test_local_ray_instance_search_writes_byte_identical_trees(local_trees):
    tmp, expected = local_trees
    before = descendants(os.getpid())
    remote = smoke_config(tmp, "ray_local", "executor=ray", "executor.address=null")
    summary = search_stage(remote, progress=False)
    check_ray_run(summary, remote, expected)
    left = {pid: cmdline(pid) for pid in descendants(os.getpid()) - before}
    # Ray's daemons and workers are gone; joblib's memmapping pool starts a resource tracker that
    # lives as long as this process, as it does for every loky run.
    left = {pid: cmd[:100] for pid, cmd in left.items() if "resource_tracker" not in cmd}
    assert not left, f"processes left behind: {left}"
    assert not sandboxes_of(tmp), "sandbox zygotes outlived their Ray workers"


def test_ray_cluster_at_address_runs_tasks_and_sandboxes(local_trees):
    tmp, expected = local_trees
    fork = "import os\ndef transform(g):\n    os.fork()\n    return g\n"

    def sandbox_probe():  # nested, so pickled by value: the cluster's workers need not import tests/
        from abmcts.sandbox.pool import Executor

        above, pid = [], os.getpid()
        while pid > 1:  # the processes above this worker: is the test's Ray head among them?
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            above.append(pid)
        with Executor() as sandbox:
            return above, sandbox.isolation, sandbox.run(fork, [[[0]]])[0].error

    head = subprocess.Popen(
        [sys.executable, "-c", HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        address = head.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), f"the Ray head did not start on loopback: {address!r}"
        remote = smoke_config(tmp, "ray_address", "executor=ray", f"executor.address={address}")
        summary = search_stage(remote, progress=False)
        with parallel.joblib_backend(remote.executor) as backend, parallel_config(**backend):
            probes = Parallel()(delayed(sandbox_probe)() for _ in range(2))
        assert all(head.pid in above for above, _, _ in probes), "jobs did not run on the cluster"
        cluster = descendants(head.pid)
    finally:
        head.stdin.close()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            raise
    check_ray_run(summary, remote, expected)
    here = sandbox_probe()
    for _, isolation, error in probes:  # namespaces, privilege drop and audit hook as in this process
        assert isolation == here[1] and error == here[2]
        assert "os.fork is not allowed" in error
    assert head.returncode == 0
    alive = [pid for pid in cluster if Path(f"/proc/{pid}").exists()]
    assert not alive, f"the stopped Ray head left processes behind: {alive}"
    assert not sandboxes_of(tmp)


def test_executor_ray_without_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    backend = parallel.joblib_backend(ExecutorConfig(backend="ray"))
    with pytest.raises(ConfigError, match=r"^config executor=ray: .*pip install 'abmcts\[ray\]'$"):
        backend.__enter__()
