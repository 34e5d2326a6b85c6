"""A canary API key used for a whole pipeline run (MLflow on) appears in no file and no output."""

from __future__ import annotations


def _needles(canary: str) -> list[bytes]:
    secret = canary.removeprefix("sk-canary-")
    return [canary.encode(), secret.encode(), secret.replace("-", "").encode()]


def test_canary_key_is_written_nowhere(fault_run):
    assert fault_run.returncode == 0, fault_run.stderr[-3000:]
    files = [p for p in fault_run.root.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    # the run produced what we mean to search: trees, cache, MLflow store and artifacts, outputs
    assert {
        "responses.sqlite",
        "mlflow.db",
        "metrics.json",
        "submission.json",
        "search_summary.json",
    } <= names
    assert any("mlruns" in p.parts or "mlartifacts" in p.parts for p in files)
    leaks = [str(p) for p in files for needle in _needles(fault_run.canary) if needle in p.read_bytes()]
    assert leaks == []
    for needle in _needles(fault_run.canary):
        assert needle.decode() not in fault_run.stdout
        assert needle.decode() not in fault_run.stderr


def test_server_echoing_the_key_is_scrubbed(fault_run):
    """echo/b's server puts the key in its error message; the recorded error keeps only '***'."""
    import json

    (tree,) = fault_run.root.glob("runs/*/trees/*.json")
    errors = [n["error"] for n in json.loads(tree.read_text())["nodes"] if n["model"] == "echo/b"]
    assert errors and all("Incorrect API key provided: ***" in e for e in errors)
