"""Same seed + same generate results -> identical tree; checkpoint/reload/continue == uninterrupted run."""

from __future__ import annotations

import json

import pytest

from search_helpers import ALL_ALGOS, refining_fns

SKILLS = {"weak": 0.1, "strong": 0.5, "mid": 0.3}


def _run(algo, tree, steps, seed):
    fns = refining_fns(seed, SKILLS)
    for _ in range(steps):
        tree = algo.step(tree, fns)
    return tree


@pytest.mark.parametrize("make", ALL_ALGOS)
def test_same_seed_same_tree(make):
    a = _run(make(), make().init_tree(), 30, seed=1).to_dict()
    b = _run(make(), make().init_tree(), 30, seed=1).to_dict()
    assert a == b
    assert len(a["nodes"]) == 31


@pytest.mark.parametrize("make", ALL_ALGOS)
def test_checkpoint_resume_is_exact(make):
    algo = make()
    full = algo.init_tree()
    fns = refining_fns(7, SKILLS)
    for _ in range(40):
        full = algo.step(full, fns)

    fns = refining_fns(7, SKILLS)
    part = algo.init_tree()
    for _ in range(17):
        part = algo.step(part, fns)
    blob = json.dumps(part.to_dict())
    resumed = make().load_tree(json.loads(blob))
    for _ in range(23):
        resumed = algo.step(resumed, fns)
    assert resumed.to_dict() == full.to_dict()


@pytest.mark.parametrize("make", ALL_ALGOS)
def test_resume_with_pending_trials(make):
    """A checkpoint taken between ask and tell keeps the pending trials and their reservations."""

    def run(checkpoint: bool):
        algo = make()
        tree = algo.init_tree()
        tree = _run(algo, tree, 5, seed=2)
        tree, trials = algo.ask_batch(tree, 3, list(SKILLS))
        if checkpoint:
            tree = make().load_tree(json.loads(json.dumps(tree.to_dict())))
        for i, t in enumerate(trials):
            tree = algo.tell(tree, t.trial_id, (f"s{i}", 0.1 * i))
        tree, more = algo.ask_batch(tree, 2, list(SKILLS))
        return tree.to_dict(), [(t.trial_id, t.action, t.parent_id) for t in more]

    assert run(False) == run(True)


def test_different_seeds_differ():
    from abmcts.search import ABMCTSA

    a = _run(ABMCTSA(seed=1), ABMCTSA(seed=1).init_tree(), 30, seed=1).to_dict()["nodes"]
    b = _run(ABMCTSA(seed=2), ABMCTSA(seed=2).init_tree(), 30, seed=1).to_dict()["nodes"]
    assert [n["parent"] for n in a] != [n["parent"] for n in b]
