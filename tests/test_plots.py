import sys

import pytest

from abmcts.score.plots import allocation_data, plot_cost, plot_model_allocation, plot_pass_at_k

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _node(i, model, reward):
    return {
        "id": i,
        "parent": None,
        "model": model,
        "reward": reward,
        "test_outputs": [[[1]]],
        "prompt_tokens": 10,
        "completion_tokens": 3,
        "cost": 0.25,
    }


@pytest.fixture
def trees():
    return {
        "low": {"task_id": "low", "nodes": [_node(0, "a", 0.2), _node(1, "a", 0.0)]},
        "high": {
            "task_id": "high",
            "nodes": [_node(0, "a", 0.0), _node(1, "b", 1.0), _node(2, "b", 0.5), _node(3, "c", 0)],
        },
        "tie": {"task_id": "tie", "nodes": [_node(0, "c", 0.2)]},
        "empty": {"task_id": "empty", "nodes": []},
    }


def test_allocation_data_sorts_tasks_by_best_reward(trees):
    data = allocation_data(trees)
    assert data.task_ids == ["high", "low", "tie", "empty"]
    assert data.models == ["a", "b", "c"]
    assert data.best_reward == [1.0, 0.2, 0.2, 0.0]
    assert data.shares == [
        [0.25, 1.0, 0.0, 0.0],
        [0.5, 0.0, 0.0, 0.0],
        [0.25, 0.0, 1.0, 0.0],
    ]


def _is_png(path):
    data = path.read_bytes()
    return data.startswith(PNG_MAGIC) and len(data) > 1000


def test_plots_write_valid_pngs_atomically(tmp_path, trees):
    curves = {"ab_mcts_a": [0.1, 0.2, 0.4], "repeated": [0.1, 0.1, 0.3]}
    written = [
        plot_pass_at_k(curves, tmp_path / "p" / "pass_at_k.png"),
        plot_model_allocation(trees, tmp_path / "alloc.png"),
        plot_cost(trees, str(tmp_path / "cost.png")),
    ]
    assert written == [tmp_path / "p" / "pass_at_k.png", tmp_path / "alloc.png", tmp_path / "cost.png"]
    for name in ("p/pass_at_k.png", "alloc.png", "cost.png"):
        assert _is_png(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alloc.png", "cost.png", "p"]  # no temp files left


def test_plots_handle_empty_inputs(tmp_path):
    plot_pass_at_k({}, tmp_path / "a.png")
    plot_model_allocation({}, tmp_path / "b.png")
    plot_cost({}, tmp_path / "c.png")
    assert all(_is_png(tmp_path / n) for n in ("a.png", "b.png", "c.png"))


def test_importing_plots_does_not_import_matplotlib():
    import subprocess

    code = "import abmcts.score.plots, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
