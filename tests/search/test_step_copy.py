"""``step`` without ``inplace`` leaves the given state as it was (TreeQuest's copy), at O(1) per step.

Every version a random mix of steps, in-place steps, ask/tell batches and reads makes is compared with
a JSON dump taken when it was made (the checkpoint: nodes, statistics, RNG, trials) and with its
node objects and finished trials, so a change that is not logged shows up as a difference.
"""

from __future__ import annotations

import copy
import json
import pickle
import random

import pytest

from abmcts.search import (
    BestFirstSearchAlgo,
    MultiArmedBanditUCBAlgo,
    StandardMCTS,
    TreeOfThoughtsBFSAlgo,
)

from search_helpers import ALL_ALGOS

ALGOS = [
    *ALL_ALGOS,
    pytest.param(lambda: StandardMCTS(seed=3), id="treequest-standard-mcts"),
    pytest.param(lambda: BestFirstSearchAlgo(seed=3), id="best-first"),
    pytest.param(lambda: TreeOfThoughtsBFSAlgo(seed=3), id="tot-bfs"),
    pytest.param(lambda: MultiArmedBanditUCBAlgo(seed=3), id="treequest-bandit"),
]


def pure_fns(actions=("a", "b")) -> dict:
    """Deterministic in the parent: the same parent and action always give the same child."""

    def make(action):
        def gen(parent):
            h = random.Random(f"{action}/{parent}").random()
            return f"{parent or ''}{action}{h:.3f}"[-40:], round(h, 6)

        return gen

    return {a: make(a) for a in actions}


def view(state) -> tuple:
    """Everything a caller can read: the checkpoint, the node objects, the finished trials."""
    nodes = [
        (n.expand_idx, n.parent and n.parent.expand_idx, n.score, n.state) for n in state.tree.get_nodes()
    ]
    finished = {k: (t.trial_status, t.score) for k, t in state.trial_store.finished_trials.items()}
    return json.dumps(state.to_dict(), sort_keys=True), nodes, finished, len(state)


@pytest.mark.parametrize("make", ALGOS)
def test_every_version_stays_as_it_was(make):
    algo, fns, rnd = make(), pure_fns(), random.Random(7)
    versions = [algo.init_tree()]
    seen = [view(versions[0])]
    for _ in range(60):
        i = rnd.randrange(len(versions)) if rnd.random() < 0.3 else len(versions) - 1
        op = rnd.random()
        if op < 0.6:  # TreeQuest's step: a new version, the old one untouched
            versions.append(algo.step(versions[i], fns))
            seen.append(view(versions[-1]))
        elif op < 0.8:  # in place: this version changes, the others must not
            algo.step(versions[i], fns, inplace=True)
            seen[i] = view(versions[i])
        else:  # ask a batch, tell it in reverse order (in place)
            state, trials = algo.ask_batch(versions[i], 3, list(fns))
            for t in reversed(trials):
                algo.tell(state, t.trial_id, fns[t.action](t.parent_state))
            seen[i] = view(versions[i])
        j = rnd.randrange(len(versions))  # read some version now and then (rebuilds a stepped-from one)
        assert view(versions[j]) == seen[j]
    for k in rnd.sample(range(len(versions)), len(versions)):
        assert view(versions[k]) == seen[k], f"version {k} changed"


@pytest.mark.parametrize("make", ALGOS)
def test_step_copy_and_in_place_give_byte_identical_checkpoints(make):
    a, b = make(), make()
    fns = pure_fns(("x", "y", "z"))
    copied, in_place = a.init_tree(), b.init_tree()
    for _ in range(40):
        copied = a.step(copied, fns)
        b.step(in_place, fns, inplace=True)
    assert json.dumps(copied.to_dict()) == json.dumps(in_place.to_dict())


def test_stepped_from_state_and_its_objects_do_not_change():
    algo = StandardMCTS(seed=0)
    fns = pure_fns()
    s0 = algo.init_tree()
    for _ in range(5):
        s0 = algo.step(s0, fns)
    before = copy.deepcopy(s0.to_dict())
    tree, running, finished = s0.tree, s0.trial_store.running_trials, s0.trial_store.finished_trials
    nodes = tree.get_nodes()
    s1 = algo.step(s0, fns)
    s2 = algo.step(s1, fns, inplace=True)
    assert s2 is s1 and len(s1) == len(s0) + 2
    assert tree.get_nodes() == nodes and len(nodes[0].children) == len(s0.tree.root.children)
    assert s0.tree is tree  # the node objects already handed out stay this state's
    assert running == s0.trial_store.running_trials and finished == s0.trial_store.finished_trials
    assert s0.to_dict() == before
    # the same step from the same state again gives the same state again
    again = algo.step(s0, fns)
    assert again.to_dict()["nodes"] == algo.step(copy.deepcopy(s0), fns).to_dict()["nodes"]


def test_the_loop_keeps_no_undo_log_once_the_old_state_is_gone():
    algo = StandardMCTS(seed=0)
    state = algo.init_tree()
    for _ in range(5):
        state = algo.step(state, pure_fns())
    assert state._journal is None  # nothing left to undo for: logging stopped
    kept = state
    new = algo.step(kept, pure_fns())
    assert new._journal is not None  # `kept` still reads as before, so the step was logged


def test_copies_and_pickles_of_a_stepped_from_state_are_whole():
    algo = StandardMCTS(seed=0)
    s0 = algo.init_tree()
    for _ in range(4):
        s0 = algo.step(s0, pure_fns())
    want = s0.to_dict()
    algo.step(s0, pure_fns())
    assert copy.deepcopy(s0).to_dict() == want
    assert pickle.loads(pickle.dumps(s0)).to_dict() == want
    fresh = pickle.loads(pickle.dumps(s0))
    assert algo.step(fresh, pure_fns()).to_dict()["nodes"][: len(want["nodes"])] == want["nodes"]


def test_small_posterior_draws_match_the_vectorised_draws_bit_for_bit(monkeypatch):
    import numpy as np

    from abmcts.search import posteriors

    rnd = random.Random(0)
    cases = []
    for _ in range(400):
        k = rnd.randint(1, posteriors._SCALAR_MAX)
        stats = []
        for _ in range(k):
            xs = [rnd.random() for _ in range(rnd.randint(0, 20))]
            stats.append([len(xs), sum(xs), sum(x * x for x in xs)])
        dist = rnd.choice(posteriors.DISTS)
        prior = [
            np.array([p * (0.5 + rnd.random()) for _ in range(k)]) if rnd.random() < 0.3 else p
            for p in posteriors.default_prior(dist)
        ]
        cases.append((dist, stats, rnd.choice([None, prior]), rnd.randrange(2**32)))

    def run() -> list:
        out = []
        for dist, stats, prior, seed in cases:
            rng = np.random.default_rng(seed)
            out.append((posteriors.draw(dist, stats, rng, prior).tolist(), rng.bit_generator.state))
        return out

    small = run()
    monkeypatch.setattr(posteriors, "_SCALAR_MAX", 0)  # every draw vectorised
    assert small == run()
