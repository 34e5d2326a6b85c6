"""Public API: call shape, ask/tell semantics, validation errors, factory, top_k, action_stats."""

from __future__ import annotations

import math

import pytest

from abmcts.errors import InputError
from abmcts.search import (
    ABMCTSA,
    ABMCTSM,
    RepeatedSampling,
    SearchInputError,
    SearchState,
    make_algorithm,
    top_k,
)

from search_helpers import ALL_ALGOS, refining_fns


def test_step_passes_parent_state_and_records_node():
    seen = []

    def gen(parent):
        seen.append(parent)
        return {"depth": 0 if parent is None else parent["depth"] + 1}, 0.5

    algo = ABMCTSA(seed=0)
    tree = algo.init_tree()
    for _ in range(10):
        tree = algo.step(tree, {"m": gen})
    assert seen[0] is None
    assert len(tree) == 10
    for i in range(1, 11):
        parent = tree.parent[i]
        expected = 0 if parent == 0 else tree.state[parent]["depth"] + 1
        assert tree.state[i]["depth"] == expected


@pytest.mark.parametrize("make", ALL_ALGOS)
def test_ask_batch_tell_any_order(make):
    algo = make()
    tree = algo.init_tree()
    fns = refining_fns(0, {"a": 0.3, "b": 0.2})
    for _ in range(6):
        tree = algo.step(tree, fns)
    tree, trials = algo.ask_batch(tree, 4, ["a", "b"])
    assert len({t.trial_id for t in trials}) == 4
    assert set(tree.pending) == {t.trial_id for t in trials}
    for t in trials:
        assert t.parent_state == tree.state[t.parent_id]
    results = {t.trial_id: (0.2 + 0.01 * i, 0.25) for i, t in enumerate(trials)}
    for t in reversed(trials):
        tree = algo.tell(tree, t.trial_id, results[t.trial_id])
    assert not tree.pending
    for t in trials:
        node = tree.done[t.trial_id]
        assert (tree.parent[node], tree.action[node], tree.state[node]) == (
            t.parent_id,
            t.action,
            results[t.trial_id][0],
        )
    # told twice: no-op
    before = tree.to_dict()
    tree = algo.tell(tree, trials[0].trial_id, results[trials[0].trial_id])
    assert tree.to_dict() == before
    # the search goes on after a batch
    tree = algo.step(tree, fns)
    assert len(tree) == 11


def test_virtual_loss_spreads_a_batch():
    """With one child much better than GEN, a batch must not send every trial down the same path blindly."""
    algo = ABMCTSA(dist="beta", seed=0)
    tree = algo.init_tree()
    tree, (t,) = algo.ask_batch(tree, 1, ["m"])
    tree = algo.tell(tree, t.trial_id, ("root-child", 0.9))
    tree, trials = algo.ask_batch(tree, 40, ["m"])
    parents = [t.parent_id for t in trials]
    assert 0 < parents.count(1) < 40
    for t in trials:
        algo.tell(tree, t.trial_id, ("x", 0.0))
    # reservations were removed exactly
    assert tree.stats["nodes"][0]["gen"]["m"][0] == 1 + parents.count(0)


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (("s", 1.5), "1.5"),
        (("s", -0.1), "-0.1"),
        (("s", math.nan), "nan"),
        (("s", "0.5"), "'0.5'"),
        ("oops", "oops"),
    ],
)
def test_bad_scores_rejected(result, match):
    algo = ABMCTSM(seed=0)
    tree, (trial,) = algo.ask_batch(algo.init_tree(), 1, ["m"])
    with pytest.raises(SearchInputError, match=match):
        algo.tell(tree, trial.trial_id, result)
    assert trial.trial_id in tree.pending  # a rejected result leaves the trial pending


def test_step_rejects_bad_score_from_generate_fn():
    algo = RepeatedSampling()
    with pytest.raises(ValueError, match="2.0"):
        algo.step(algo.init_tree(), {"m": lambda s: ("x", 2.0)})


def test_unknown_and_repeated_trial_ids_are_ignored_with_a_warning(caplog):
    algo = ABMCTSA()
    tree, (trial,) = algo.ask_batch(algo.init_tree(), 1, ["m"])
    algo.tell(tree, "t99", ("x", 0.5))
    assert len(tree) == 0 and "'t99' is unknown" in caplog.text
    algo.tell(tree, trial.trial_id, ("x", 0.5))
    before = tree.to_dict()
    algo.tell(tree, trial.trial_id, ("y", 0.7))
    assert tree.to_dict() == before
    assert "already finished" in caplog.text
    assert tree.trial_store.finished_trials[trial.trial_id].score == 0.5


def test_error_is_value_error_and_input_error():
    assert issubclass(SearchInputError, ValueError)
    assert issubclass(SearchInputError, InputError)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ABMCTSA(dist="poisson"), "poisson"),
        (lambda: ABMCTSA(dist_type="beta", dist="gaussian"), "disagree"),
        (lambda: ABMCTSA(model_selection="greedy"), "greedy"),
        (lambda: ABMCTSM(model_selection="joint"), "joint"),
        (lambda: make_algorithm("beam_search"), "beam_search"),
        (lambda: make_algorithm("ab_mcts_a", temperature=1.0), "temperature"),
        (lambda: ABMCTSA().step(ABMCTSA().init_tree(), {}), "empty action set"),
        (lambda: ABMCTSA().ask_batch(ABMCTSA().init_tree(), -1, ["m"]), "batch_size=-1"),
        (lambda: ABMCTSM().ask_batch(ABMCTSM().init_tree(), 0, ["m"]), "batch_size=0"),
        (lambda: ABMCTSA().ask_batch(ABMCTSA().init_tree(), 1, ["m", "m"]), "duplicate"),
    ],
)
def test_bad_options_rejected(call, match):
    with pytest.raises(SearchInputError, match=match):
        call()


def test_load_tree_checks_algorithm():
    d = ABMCTSA(seed=1).init_tree().to_dict()
    with pytest.raises(SearchInputError, match="ab_mcts_a"):
        ABMCTSM(seed=1).load_tree(d)
    with pytest.raises(SearchInputError, match="format_version"):
        SearchState.from_dict({"nodes": []})


def test_make_algorithm_names():
    for name in [
        "ab_mcts_a",
        "ab_mcts_m",
        "repeated_sampling",
        "sequential_refinement",
        "standard_mcts",
        "bandit_ucb",
    ]:
        algo = make_algorithm(name, seed=5)
        assert algo.name == name
        assert algo.init_tree().params["seed"] == 5
    assert make_algorithm("ab_mcts_a", dist="beta").dist == "beta"


def test_top_k_and_action_stats():
    algo = RepeatedSampling()
    tree = algo.init_tree()
    scores = iter([0.2, 0.9, 0.5, 0.9, 0.1, 0.4])
    for _ in range(6):
        tree = algo.step(tree, {"a": lambda s: ("a", next(scores)), "b": lambda s: ("b", next(scores))})
    assert top_k(tree, algo, 3) == [("b", 0.9), ("b", 0.9), ("a", 0.5)]
    assert top_k(tree, algo, 0) == []
    with pytest.raises(RuntimeError, match="only 6"):
        top_k(tree, algo, 7)
    stats = tree.action_stats()
    assert stats["a"]["calls"] == 3 and stats["a"]["mean"] == pytest.approx((0.2 + 0.5 + 0.1) / 3)
    assert stats["b"]["max"] == 0.9 and stats["b"]["mean"] == pytest.approx((0.9 + 0.9 + 0.4) / 3)
