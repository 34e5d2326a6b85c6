"""The search stage on a Dask cluster (joblib's dask backend) writes the same trees as a local run."""

from __future__ import annotations

import pytest

from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage

from project_helpers import smoke_config, tree_bytes

distributed = pytest.importorskip("distributed")  # an optional extra; the config group needs it


def test_dask_cluster_search_writes_byte_identical_trees(tmp_path):
    local = smoke_config(tmp_path, "local", "executor=sequential")
    fetch_stage(local)
    search_stage(local, progress=False)

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        remote = smoke_config(
            tmp_path, "dask", "executor=dask", f"executor.address={cluster.scheduler_address}"
        )
        summary = search_stage(remote, progress=False)
        with distributed.Client(cluster) as client:  # a lambda is pickled by value, so workers can run it
            ran_on = client.run(lambda: "abmcts.experiment.runner" in __import__("sys").modules)
    finally:
        cluster.close()

    assert summary["tasks"] == 3 and summary["calls"] == 24
    assert summary["cache"]["misses"] == 24  # its own empty cache: every call was made on the cluster
    assert any(ran_on.values()), "no Dask worker ran a search"
    expected = tree_bytes(local)
    assert len(expected) == 3
    assert tree_bytes(remote) == expected
