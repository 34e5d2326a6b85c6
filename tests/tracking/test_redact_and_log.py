import sys

import pytest

from abmcts.errors import InputError
from abmcts.tracking.redact import REDACTED, flatten, redact, scalar_metrics
from abmcts.tracking.report import log_run
from abmcts.tracking.runs import Tracker, connect

CANARY = "sk-canary-0123456789abcdef"


def test_flatten_uses_dotted_keys():
    assert flatten({"a": {"b": 1, "c": {"d": "x"}}, "e": [1, 2], "f": {}}) == {
        "a.b": 1,
        "a.c.d": "x",
        "e": [1, 2],
        "f": {},
    }


def test_redact_masks_secret_keys_and_canary_values(monkeypatch):
    monkeypatch.setenv("CANARY_API_KEY", CANARY)
    params = {
        "models": {
            "o4": {"api_key": "whatever", "api_key_env": "OPENAI_API_KEY", "max_tokens": 4096},
            "local": {"api_base": f"http://127.0.0.1:8080/?key={CANARY}", "temperature": 0.7},
        },
        "hf_token": "abc",
        "db_password": "pw",
        "client_secret": "s",
        "note": CANARY,
        "prompt_tokens": 12,
        "tokenizer": "bpe",
    }
    clean = redact(params)
    for key in (
        "models.o4.api_key",
        "models.local.api_base",
        "hf_token",
        "db_password",
        "client_secret",
        "note",
    ):
        assert clean[key] == REDACTED, key
    assert clean["models.o4.api_key_env"] == "OPENAI_API_KEY"
    assert (
        clean["models.o4.max_tokens"] == 4096 and clean["prompt_tokens"] == 12 and clean["tokenizer"] == "bpe"
    )
    assert clean["models.local.temperature"] == 0.7
    assert CANARY not in repr(clean)


def test_api_key_env_holding_a_real_key_is_still_masked(monkeypatch):
    monkeypatch.setenv("CANARY_API_KEY", CANARY)
    assert redact({"api_key_env": CANARY}) == {"api_key_env": REDACTED}


def test_scalar_metrics_keeps_numbers_only():
    m = scalar_metrics(
        {"a": 1, "b": {"c": 0.5, "d": [1, 2]}, "s": "x", "per_model": {"openrouter/x:free": {"calls": 3}}}
    )
    assert m == {"a": 1.0, "b.c": 0.5, "per_model.openrouter/x_free.calls": 3.0}


def test_log_run_round_trip(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CANARY_API_KEY", CANARY)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "pass_at_k.png").write_bytes(b"\x89PNG")
    curve = [0.1 * k for k in range(1, 8)]
    params = {
        "search": {"algo": "ab_mcts_a", "budget": 7},
        "models": {"x": {"api_key": CANARY}},
        "long": "y" * 7000,
        **{f"many.p{i}": i for i in range(150)},  # more than one log_batch of params
    }
    client, experiment_id = connect(uri, "exp")
    parent = client.create_run(experiment_id, run_name="pipeline").info.run_id
    run_id = log_run(
        Tracker(client, experiment_id, parent),
        "run-1",
        params=params,
        tags={"data": "arc2/eval", "leak": CANARY},
        metrics={"pass_at_2": 0.5, "pass_at_k": {"1": 0.1}, "pass_at_k_curve": curve},
        curve=curve,
        artifacts=[tmp_path / "metrics.json", tmp_path / "plots"],
    )
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.info.run_name == "run-1" and run.info.status == "FINISHED"
    assert run.data.tags["mlflow.parentRunId"] == parent
    p = run.data.params
    assert p["search.algo"] == "ab_mcts_a" and p["search.budget"] == "7"
    assert p["models.x.api_key"] == REDACTED
    assert len(p["long"]) == 6000 and p["long"].endswith("...")
    assert p["many.p149"] == "149"
    assert run.data.tags["data"] == "arc2/eval" and run.data.tags["leak"] == REDACTED
    assert CANARY not in repr(run.data)
    assert run.data.metrics["pass_at_2"] == 0.5 and run.data.metrics["pass_at_k.1"] == 0.1
    history = sorted((m.step, m.value) for m in client.get_metric_history(run_id, "pass_at_k"))
    assert history == [(k, pytest.approx(0.1 * k)) for k in range(1, 8)]
    top = sorted(a.path for a in client.list_artifacts(run_id))
    assert top == ["metrics.json", "plots"]
    assert [a.path for a in client.list_artifacts(run_id, "plots")] == ["plots/pass_at_k.png"]


def test_log_run_rejects_missing_artifact_before_creating_a_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client, experiment_id = connect(f"sqlite:///{tmp_path / 'db.sqlite'}", "exp")
    parent = client.create_run(experiment_id, run_name="pipeline").info.run_id
    with pytest.raises(InputError, match="nope.png: file not found"):
        log_run(Tracker(client, experiment_id, parent), "x", artifacts=[tmp_path / "nope.png"])
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [parent]


def test_importing_the_tracking_modules_does_not_import_mlflow():
    import subprocess

    code = "import abmcts.tracking.hooks, sys; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
