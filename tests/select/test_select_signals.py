"""Generalisation signals: plausibility checks, candidate evidence, the generalisation and hedge strategies."""

import numpy as np
import pytest

from abmcts.errors import ConfigError
from abmcts.select import rank_programs
from abmcts.select.candidates import candidates
from abmcts.select.context import SelectionContext, TaskView
from abmcts.select.plausibility import Relations, check_output
from abmcts.select.strategies.hedge import dissimilarity
from abmcts.select.strategy import strategy_params

# Demonstrations: recolour 1 -> 2, same size, outputs never equal inputs.
TASK = TaskView(
    "t",
    [([[1, 0], [0, 1]], [[2, 0], [0, 2]]), ([[1, 1], [0, 0]], [[2, 2], [0, 0]])],
    [[[0, 1], [1, 1]]],
)
RIGHT = [[0, 2], [2, 2]]
SAME = [[0, 1], [1, 1]]  # the unchanged test input
ODD = [[0, 3], [3, 3]]  # a colour no demonstration uses


def ctx(strategy, **params):
    return SelectionContext(task=TASK, params=strategy_params(strategy, params))


def test_relations_come_from_what_every_demonstration_obeys():
    rel = Relations.of([(np.array(i), np.array(o)) for i, o in TASK.train])
    grid_in = np.array(TASK.test_inputs[0])
    assert all(check_output(rel, grid_in, np.array(RIGHT)).values())
    assert check_output(rel, grid_in, np.array(SAME))["not_identity"] is False
    assert check_output(rel, grid_in, np.array(ODD))["palette"] is False
    assert check_output(rel, grid_in, np.array([[2]]))["shape"] is False
    assert check_output(rel, grid_in, np.array([[0, 0], [0, 0]]))["not_blank"] is False


def test_a_relation_the_demonstrations_disagree_on_is_never_held_against_an_answer():
    demos = [(np.array([[1]]), np.array([[1, 1]])), (np.array([[1, 2]]), np.array([[1]]))]
    rel = Relations.of(demos)
    assert check_output(rel, np.array([[5, 5, 5]]), np.array([[7, 7], [7, 7]]))["shape"] is True


def test_candidates_pool_evidence_per_answer(make_node, make_tree):
    nodes = [
        make_node(0, 1.0, [RIGHT], model="a"),
        make_node(1, 1.0, [RIGHT], model="a", parent=0),  # same lineage as node 0
        make_node(2, 1.0, [RIGHT], model="b"),
        make_node(3, 1.0, [SAME], model="a"),
        make_node(4, 0.0, None, model="a"),  # no answer: not a candidate
    ]
    by_id = {c.node_id: c for c in candidates(nodes, TASK)}
    assert set(by_id) == {2, 3}
    right = by_id[2].features
    assert right["models"] == 2.0 and right["log_lineages"] == pytest.approx(np.log1p(2))
    assert right["min_depth"] == 0.0 and right["first_found"] == 0.0
    assert by_id[3].features["plaus_not_identity"] == 0.0 and right["plaus_not_identity"] == 1.0


def test_generalisation_prefers_independent_agreement_over_the_latest_tie(make_node, make_tree):
    nodes = [
        make_node(0, 1.0, [RIGHT], model="a"),
        make_node(1, 1.0, [RIGHT], model="b"),
        make_node(2, 1.0, [ODD], model="a"),
        make_node(3, 0.5, [[[1, 1], [1, 1]]], model="c"),
    ]
    t = make_tree("t", nodes)
    assert rank_programs(t, "sakana")[0] == 2
    assert rank_programs(t, "generalisation", ctx("generalisation"))[:2] == [1, 2]
    # reward stays the first key: the lower-reward answer comes last
    assert rank_programs(t, "generalisation", ctx("generalisation"))[-1] == 3


def test_each_generalisation_signal_can_be_ablated(make_node, make_tree):
    # Two answers, one lineage each; the later one is implausible (unchanged input).
    t = make_tree("t", [make_node(0, 1.0, [RIGHT]), make_node(1, 1.0, [SAME])])
    assert rank_programs(t, "generalisation", ctx("generalisation"))[0] == 0
    assert rank_programs(t, "generalisation", ctx("generalisation", plausibility=0.0))[0] == 1


def test_reward_slack_lets_near_best_answers_compete_on_evidence(make_node, make_tree):
    nodes = [
        make_node(0, 0.9, [RIGHT], model="a"),
        make_node(1, 0.9, [RIGHT], model="b"),
        make_node(2, 1.0, [SAME]),
    ]
    t = make_tree("t", nodes)
    assert rank_programs(t, "generalisation", ctx("generalisation"))[0] == 2
    assert rank_programs(t, "generalisation", ctx("generalisation", reward_slack=0.2))[0] == 1


def test_hedge_second_pick_covers_another_hypothesis_when_evidence_is_split(make_node, make_tree):
    near = [[0, 2], [2, 0]]  # one cell from RIGHT
    far = [[2, 0], [0, 0]]  # three cells from RIGHT
    nodes = [
        make_node(0, 1.0, [far]),
        make_node(1, 1.0, [near]),
        make_node(2, 1.0, [RIGHT]),
        make_node(3, 1.0, [RIGHT]),
    ]
    t = make_tree("t", nodes)
    base = rank_programs(t, "hedge", ctx("hedge", base="generalisation", diversity=0.0))
    hedged = rank_programs(t, "hedge", ctx("hedge", base="generalisation", diversity=1.0))
    assert base[:2] == [3, 1]  # two lineages agree on RIGHT; then the later single answer
    assert hedged[:2] == [3, 0]  # the far answer, not the near-copy of the first pick
    assert rank_programs(t, "hedge", ctx("hedge", base="generalisation", margin=0.0))[:2] == base[:2]
    assert dissimilarity([RIGHT], [near]) == 0.25 and dissimilarity([RIGHT], [[[1]]]) == 1.0


@pytest.mark.parametrize(
    ("strategy", "params", "match"),
    [
        ("generalisation", {"agrement": 1.0}, r"selection.params.agrement: unknown parameter"),
        ("generalisation", {"agreement": "lots"}, r"selection.params.agreement: bad value 'lots'"),
        ("generalisation", {"reward_slack": 2.0}, r"reward_slack must be in \[0, 1\]"),
        (
            "hedge",
            {"base": "judge"},
            r"base must be one of generalisation, learned_ranker \(strategies that score",
        ),
        (
            "hedge",
            {"base": "genralisation"},
            r"selection.params.base=genralisation: no such selection strategy",
        ),
        ("judge", {"base": "judge"}, r"base must be a strategy that needs no judge model, got 'judge'"),
        ("judge", {"top_k": 1}, r"top_k must be in"),
        ("sakana", {"p": 1}, r"selection.params.p: unknown parameter \(known: none\)"),
    ],
)
def test_bad_strategy_params_are_one_clear_config_error(strategy, params, match):
    with pytest.raises(ConfigError, match=match):
        strategy_params(strategy, params)
