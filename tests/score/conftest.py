import pytest


def node(
    node_id, reward, test_outputs, model="offline/geometry", code="def transform(g):\n    return g\n", **extra
):
    return {
        "id": node_id,
        "parent": None,
        "model": model,
        "code": code,
        "reward": reward,
        "train_correct": [],
        "train_outputs": [],
        "test_outputs": test_outputs,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost": 0.01,
        "latency_s": 0.0,
        "error": None,
        **extra,
    }


def tree(task_id, nodes, budget=10):
    return {"task_id": task_id, "budget": budget, "nodes": nodes}


@pytest.fixture
def make_node():
    return node


@pytest.fixture
def make_tree():
    return tree
