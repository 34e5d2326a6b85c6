"""TreeQuest's public API on abmcts.search: node objects, constructors and defaults, trials, tolerant tell,
step/ask, top_k, and the queued algorithms (StandardMCTS, best-first, Tree-of-Thoughts BFS, UCB bandit)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

import abmcts.search as tq
from abmcts.experiment.validate import validate_config
from abmcts.search import SearchInputError, make_algorithm

CONF = Path(__file__).resolve().parents[2] / "conf" / "search"


def _run(algo, fns, steps, state=None):
    state = algo.init_tree() if state is None else state
    for _ in range(steps):
        state = algo.step(state, fns, inplace=True)
    return state


def _const(score):
    return lambda parent: (f"{parent}/x", score)


# ---- node objects ---------------------------------------------------------------------------
def test_standalone_tree_and_node_objects():
    tree = tq.Tree()
    assert (tree.root.state, tree.root.score, tree.root.expand_idx, tree.size) == (None, -1.0, -1, 1)
    a = tree.add_node(("a", 0.1), tree.root)
    b = tree.add_node(("b", 0.2), a)
    c = tree.add_node(("c", 0.3), tree.root)
    assert [n.expand_idx for n in tree.get_nodes()] == [-1, 0, 1, 2]
    assert tree.get_node(1) is b and b.parent is a and b.depth == 2 and tree.root.children == [a, c]
    assert len(tree) == 4 and tree.get_state_score_pairs() == [("a", 0.1), ("b", 0.2), ("c", 0.3)]
    assert set(map(id, a.get_subtree_nodes())) == {id(a), id(b)}
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        tq.Node(state="s", score=1.5, expand_idx=0, parent=tree.root)
    with pytest.raises(RuntimeError, match="should not be None"):
        tq.Node(state=None, score=0.5, expand_idx=0, parent=tree.root)
    assert tq.Node(state="s", score=7.0, parent=tree.root, validate_score_range=False).score == 7.0


def test_state_tree_mirrors_the_flat_arrays_as_the_search_goes_on():
    algo = tq.ABMCTSA(seed=1)
    state = _run(algo, {"a": _const(0.4), "b": _const(0.6)}, 5)
    view = state.tree  # built now, then kept in step by tell
    state = _run(algo, {"a": _const(0.4), "b": _const(0.6)}, 7, state)
    nodes = state.tree.get_nodes()
    assert state.tree is view and len(nodes) == len(state) + 1 == 13
    for node in nodes[1:]:
        i = node.expand_idx + 1
        assert (node.state, node.score, node.parent.expand_idx + 1) == (
            state.state[i],
            state.score[i],
            state.parent[i],
        )
        assert state.done[node.trial_id] == i
    assert sum(len(n.children) for n in nodes) == 12


# ---- constructors ---------------------------------------------------------------------------
def test_treequest_defaults_and_old_spellings():
    a = tq.ABMCTSA()
    assert (a.model_selection_strategy, a.dist, a.reward_average_priors) == (
        "multiarm_bandit_thompson",
        "gaussian",
        None,
    )
    assert tq.ABMCTSM().model_selection_strategy == "multiarm_bandit_thompson"
    assert tq.ABMCTSA(model_selection="ucb").model_selection_strategy == "multiarm_bandit_ucb"
    assert tq.ABMCTSA(dist="beta").params() == tq.ABMCTSA("beta").params()
    assert tq.ABMCTSA(prior_config=tq.PriorConfig(dist_type="beta")).dist == "beta"
    assert tq.ABMCTSM(max_process_workers=3, prior_mean=0.3).reward_average_priors == 0.3
    with pytest.raises(SearchInputError, match="disagree"):
        tq.ABMCTSM(model_selection_strategy="stack", model_selection="ucb")
    with pytest.raises(SearchInputError, match="only the defaults"):
        tq.ABMCTSM(_advanced_config=tq.ABMCTSMAdvancedConfig(prior_sigma_y_sigma=0.5))
    with pytest.raises(ValueError, match="must be > 0"):
        tq.ABMCTSMAdvancedConfig(prior_mu_alpha_sigma=0.0)
    with pytest.raises(SearchInputError, match="reward_average_priors"):
        tq.ABMCTSA(reward_average_priors={"a": 1.5})


def test_default_params_keep_checkpoints_unchanged():
    """Options at their TreeQuest defaults add nothing to params (so existing tree files stay identical)."""
    assert tq.ABMCTSA(dist="beta", model_selection="stack", seed=4).params() == {
        "dist": "beta",
        "model_selection": "stack",
        "seed": 4,
    }
    p = tq.ABMCTSM(model_selection="stack").params()
    assert set(p) == {
        "model_selection",
        "prior_mean",
        "enable_pruning",
        "min_subtree_size_for_pruning",
        "same_score_proportion_threshold",
        "seed",
    }
    assert tq.ABMCTSA(reward_average_priors={"a": 0.9}).params()["reward_average_priors"] == {"a": 0.9}


@pytest.mark.parametrize(
    "make",
    [
        lambda: tq.ABMCTSA(
            dist_type="beta",
            reward_average_priors={"good": 0.95, "bad": 0.05},
            model_selection_strategy="stack",
        ),
        lambda: tq.ABMCTSM(
            reward_average_priors={"good": 0.95, "bad": 0.05}, model_selection_strategy="stack"
        ),
    ],
)
def test_per_action_reward_priors_steer_the_first_choices(make):
    firsts = []
    for seed in range(30):
        algo = make()
        algo.seed = seed
        _, trial = algo.ask(algo.init_tree(), ["bad", "good"])
        firsts.append(trial.action)
    assert firsts.count("good") >= 24


def test_validate_reward_range_off_accepts_any_score():
    algo = tq.ABMCTSM(_advanced_config=tq.ABMCTSMAdvancedConfig(validate_reward_range=False))
    state = _run(algo, {"m": _const(3.5)}, 3)
    assert [s for _, s in state.tree.get_state_score_pairs()] == [3.5] * 3
    with pytest.raises(RuntimeError, match="outside"):
        tq.ABMCTSM().step(tq.ABMCTSM().init_tree(), {"m": _const(3.5)})


# ---- trials, tell, ask, step -------------------------------------------------------------------
def test_trial_attributes_and_tolerant_tell():
    algo = tq.ABMCTSA(seed=0)
    state, trial = algo.ask(algo.init_tree(), ["m"])
    assert (trial.node_to_expand, trial.trial_status, trial.score, trial.completed_at) == (
        -1,
        "RUNNING",
        None,
        None,
    )
    assert trial.created_at and state.trial_store.running_trials == {trial.trial_id: trial}
    state = algo.tell(state, trial.trial_id, ("s", np.float32(0.25)))
    done = state.trial_store.finished_trials[trial.trial_id]
    assert (done.trial_status, done.score, done.completed_at is not None) == ("COMPLETE", 0.25, True)
    assert type(state.score[1]) is float
    snapshot = state.to_dict()
    algo.tell(state, trial.trial_id, ("other", 0.9))  # told twice: ignored
    algo.tell(state, "no-such-trial", ("other", 0.9))  # unknown: ignored
    assert state.to_dict() == snapshot
    state, trial = algo.ask(state, ["m"])
    with pytest.raises(RuntimeError, match="state is None"):
        algo.tell(state, trial.trial_id, (None, 0.5))
    assert trial.trial_id in state.pending


def test_step_copies_unless_inplace_and_batch_of_zero():
    algo = tq.ABMCTSA(seed=0)
    state = _run(algo, {"m": _const(0.5)}, 3)
    before = copy.deepcopy(state.to_dict())
    after = algo.step(state, {"m": _const(0.5)})
    assert state.to_dict() == before and len(after) == 4
    assert algo.step(state, {"m": _const(0.5)}, inplace=True) is state and len(state) == 4
    assert algo.ask_batch(state, 0, ["m"]) == (state, [])
    with pytest.raises(ValueError, match="batch_size=0"):
        tq.ABMCTSM().ask_batch(tq.ABMCTSM().init_tree(), 0, ["m"])


def test_top_k_with_ranking_fn():
    algo = tq.RepeatedSampling()
    scores = iter([0.2, 0.9, 0.5])
    state = _run(algo, {"m": lambda p: (f"s{len(str(p))}", next(scores))}, 3)
    assert [s for _, s in tq.top_k(state, algo, 2)] == [0.9, 0.5]
    assert [
        s for _, s in tq.top_k(state, algo, 2, ranking_fn=lambda pairs: sorted(pairs, key=lambda p: p[1]))
    ] == [
        0.2,
        0.5,
    ]


# ---- queued algorithms -------------------------------------------------------------------------
def test_standard_mcts_queues_samples_per_action_and_invalidates_extra_trials():
    algo = tq.StandardMCTS(samples_per_action=2, exploration_weight=1.0)
    state, first = algo.ask_batch(algo.init_tree(), 4, ["A", "B"])
    assert sorted(t.action for t in first) == ["A", "A", "B", "B"]
    state, extra = algo.ask_batch(state, 2, ["A", "B"])
    assert [t.action for t in extra] == ["A", "A"]  # the queue repeats: duplicates of A's expansions
    for t in [*first, *extra]:
        algo.tell(state, t.trial_id, (t.action, 0.5))
    statuses = [state.finished[t.trial_id].trial_status for t in [*first, *extra]]
    assert statuses.count("COMPLETE") == 4 and statuses.count("INVALID") == 2
    assert len(state) == 4 and not state.pending and state.trial_store.is_queue_empty()


def test_standard_mcts_descends_to_the_best_leaf_by_uct():
    algo = tq.StandardMCTS(samples_per_action=1, exploration_weight=0.0)
    scores = {None: 0.0}

    def gen(parent):
        child = f"{parent}/{len(scores)}"
        scores[child] = 0.9 if parent is None and len(scores) == 1 else 0.1
        return child, scores[child]

    state = _run(algo, {"a": gen, "b": gen}, 6)
    # round 1: two root children (0.9, 0.1); pure exploitation then always refines below the 0.9 child
    assert state.parent[1:] == [0, 0, 1, 1, 3, 3]
    assert state.priors[0] == pytest.approx(tq.softmax([0.9, 0.1])[0])
    assert state.visit_counts[-1] == 6


def test_best_first_search_expands_best_score_then_shallower():
    algo = tq.BestFirstSearchAlgo(num_samples=1)
    values = iter([0.3, 0.8, 0.8, 0.1, 0.2, 0.2, 0.1, 0.1])
    state = _run(algo, {"a": lambda p: ("x", next(values)), "b": lambda p: ("y", next(values))}, 8)
    # root -> 1 (0.3), 2 (0.8); best is 2 -> 3 (0.8), 4 (0.1); tie 0.8: shallower 2 is used, so 3 next
    assert state.parent[1:] == [0, 0, 2, 2, 3, 3, 1, 1]


def test_tree_of_thoughts_bfs_goes_level_by_level():
    algo = tq.TreeOfThoughtsBFSAlgo(breadth_limit=2, size_limit=2)
    n = iter(range(1, 100))
    state = _run(algo, {"a": lambda p: ("s", next(n) / 100), "b": lambda p: ("t", next(n) / 100)}, 1 + 2 + 4)
    depth = [len(state.path_to_root(i)) - 1 for i in range(1, len(state) + 1)]
    assert depth == [1, 2, 2, 3, 3, 3, 3]
    with pytest.raises(SearchInputError, match="size_limit"):
        tq.TreeOfThoughtsBFSAlgo(breadth_limit=3, size_limit=2)


def test_bandit_ucb_algo_asks_one_arm_per_batch_and_finds_the_best():
    rng = np.random.default_rng(0)
    quality = {"weak": 0.2, "strong": 0.8}
    fns = {a: (lambda p, q=q: ("x", float(q * rng.random()))) for a, q in quality.items()}
    algo = tq.MultiArmedBanditUCBAlgo()
    state = _run(algo, fns, 60)
    counts = {a: len(v) for a, v in state.scores_by_action.items()}
    assert counts["strong"] > 2 * counts["weak"] and set(state.parent[1:]) == {0}
    _, trials = algo.ask_batch(state, 3, list(quality))
    assert len({t.action for t in trials}) == 1


@pytest.mark.parametrize(
    "make", [lambda: tq.StandardMCTS(), lambda: tq.BestFirstSearchAlgo(), lambda: tq.TreeOfThoughtsBFSAlgo()]
)
def test_queued_checkpoint_resumes_mid_round(make):
    algo = make()
    fns = {"a": lambda p: ("x", 0.3), "b": lambda p: ("y", 0.6)}
    state = _run(algo, fns, 5)
    resumed = algo.load_tree(state.to_dict())
    assert _run(algo, fns, 9, resumed).to_dict() == _run(algo, fns, 9, state).to_dict()


def test_every_search_config_builds_and_runs():
    names = sorted(p.stem for p in CONF.glob("*.yaml"))
    assert {
        "best_first_search",
        "tree_of_thoughts_bfs",
        "treequest_standard_mcts",
        "treequest_bandit_ucb",
    } <= set(names)
    for name in names:
        with initialize_config_dir(config_dir=str(CONF.parent), version_base="1.3"):
            search = validate_config(compose("config", overrides=[f"search={name}"])).search
        algo = make_algorithm(search.algorithm, seed=1, **search.params)
        state = _run(algo, {"m1": _const(0.5), "m2": _const(0.25)}, 6)
        assert len(state) == 6 and algo.load_tree(state.to_dict()).to_dict() == state.to_dict(), name


def test_the_old_baselines_keep_their_config_names():
    assert type(make_algorithm("standard_mcts")) is tq.FixedBranchingMCTS
    assert type(make_algorithm("bandit_ucb")) is tq.MultiArmedBanditUCB
    assert math.isclose(make_algorithm("treequest_standard_mcts").exploration_weight, math.sqrt(2))


def test_treequest_public_names_exist():
    """Names TreeQuest 0.3.3 users import (its __all__, the algorithm modules' classes, types, vis)."""
    names = [
        "ABMCTSA", "ABMCTSM", "Algorithm", "StandardMCTS", "TreeOfThoughtsBFSAlgo", "top_k", "render",
        "BestFirstSearchAlgo", "MultiArmedBanditUCBAlgo", "PriorConfig", "ABMCTSMAdvancedConfig", "Node", "Tree",
        "Trial", "GenerateFnType", "StateScoreType", "RankingFnType", "TrialId", "NodeId", "visualize_tree_graphviz",
        "build_snapshot", "ABMCTSAAlgoState", "ABMCTSMState", "MCTSState", "BFSState", "ToTBFSState", "UCBState",
    ]  # fmt: skip
    missing = [n for n in names if not hasattr(tq, n)]
    assert not missing
    assert tq.vis.render is tq.render and tq.vis.build_snapshot is tq.build_snapshot


def test_keyed_heap_pops_ties_in_heapqs_order():
    """Our key-only heap equals the stdlib heapq on items that compare by key alone (as TreeQuest's heap items)."""
    import heapq
    import random

    from abmcts.search import keyed_heap

    class Item:
        def __init__(self, key, tag):
            self.key, self.tag = key, tag

        def __lt__(self, other):
            return self.key < other.key

    rnd = random.Random(0)
    ours, ref = [], []
    popped_ours, popped_ref = [], []
    for tag in range(300):
        key = rnd.choice([0.1, 0.2, 0.3])  # many ties
        keyed_heap.push(ours, [key, tag], lambda e: e[0])
        heapq.heappush(ref, Item(key, tag))
        if rnd.random() < 0.3:
            popped_ours.append(keyed_heap.pop(ours, lambda e: e[0])[1])
            popped_ref.append(heapq.heappop(ref).tag)
    while ref:
        popped_ours.append(keyed_heap.pop(ours, lambda e: e[0])[1])
        popped_ref.append(heapq.heappop(ref).tag)
    assert popped_ours == popped_ref and not ours
