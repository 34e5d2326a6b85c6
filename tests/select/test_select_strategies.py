import pytest

from abmcts.errors import ConfigError
from abmcts.select import STRATEGIES, select_programs

A, B, C, D = [[1]], [[2]], [[3]], [[4]]


def test_sakana_breaks_ties_to_latest(make_node, make_tree):
    t = make_tree(
        "t", [make_node(0, 1.0, [A]), make_node(1, 0.5, [B]), make_node(2, 1.0, [C]), make_node(3, 1.0, [D])]
    )
    assert select_programs(t, "sakana") == [3, 2]
    assert select_programs(t, "sakana", n=None) == [3, 2, 0, 1]


def test_reward_earliest_breaks_ties_to_earliest(make_node, make_tree):
    t = make_tree("t", [make_node(0, 0.5, [A]), make_node(1, 1.0, [B]), make_node(2, 1.0, [C])])
    assert select_programs(t, "reward_earliest") == [1, 2]


def test_second_pick_skips_programs_with_identical_test_outputs(make_node, make_tree):
    # Nodes 3 and 2 give the same answer; the second pick must be a different answer.
    t = make_tree("t", [make_node(0, 0.5, [B]), make_node(2, 1.0, [A]), make_node(3, 1.0, [A])])
    assert select_programs(t, "sakana") == [3, 0]


def test_programs_without_any_test_output_are_never_selected(make_node, make_tree):
    t = make_tree("t", [make_node(0, 1.0, [None, None], error="runtime"), make_node(1, 0.0, [None, B])])
    assert select_programs(t, "sakana", n=None) == [1]
    assert select_programs(make_tree("e", [make_node(0, 1.0, None)]), "sakana") == []


def test_reward_simplicity_prefers_shorter_code(make_node, make_tree):
    t = make_tree(
        "t",
        [
            make_node(0, 1.0, [A], code="x" * 50),
            make_node(1, 1.0, [B], code="x" * 10),
            make_node(2, 0.5, [C], code=""),
            make_node(3, 1.0, [D], code="x" * 10),
        ],
    )
    assert select_programs(t, "reward_simplicity", n=None) == [1, 3, 0, 2]


def test_majority_vote_orders_top_reward_answers_by_count(make_node, make_tree):
    nodes = [
        make_node(0, 1.0, [A]),
        make_node(1, 1.0, [B]),
        make_node(2, 1.0, [B]),
        make_node(3, 0.5, [C]),
        make_node(4, 0.5, [C]),
        make_node(5, 0.5, [C]),  # most common overall, but not top reward
        make_node(6, 1.0, [B]),
    ]
    ranking = select_programs(make_tree("t", nodes), "majority_vote", n=None)
    assert ranking == [6, 0, 5]  # B (3 votes, latest rep), A, then fallback C


def test_majority_vote_count_ties_go_to_the_answer_found_first(make_node, make_tree):
    nodes = [make_node(0, 1.0, [B]), make_node(1, 1.0, [A]), make_node(2, 1.0, [A]), make_node(3, 1.0, [B])]
    assert select_programs(make_tree("t", nodes), "majority_vote") == [3, 2]


def test_weighted_agreement_sums_reward_powers(make_node, make_tree):
    # A: 1.0**2 = 1.0; B: 3 * 0.7**2 = 1.47; C: 0.9**2 = 0.81
    nodes = [
        make_node(0, 1.0, [A]),
        make_node(1, 0.7, [B]),
        make_node(2, 0.7, [B]),
        make_node(3, 0.7, [B]),
        make_node(4, 0.9, [C]),
    ]
    assert select_programs(make_tree("t", nodes), "weighted_agreement", n=None) == [3, 0, 4]


def test_every_strategy_is_deterministic_and_returns_distinct_known_ids(make_node, make_tree):
    nodes = [make_node(i, (i * 7 % 5) / 4, [[[i % 4]]]) for i in range(20)]
    t = make_tree("t", nodes)
    free = [name for name, strategy in STRATEGIES.items() if not strategy.needs_judge]
    assert "judge" in STRATEGIES and "judge" not in free  # judging: tests/select/test_select_judge.py
    for name in free:
        picks = select_programs(t, name, n=2)
        assert len(picks) == 2 and len(set(picks)) == 2
        assert picks == select_programs(t, name, n=2)
        assert all(0 <= i < 20 for i in picks)


def test_unknown_strategy_names_the_key_and_value(make_tree):
    with pytest.raises(ConfigError, match=r"selection\.strategy=nope: no such selection strategy"):
        select_programs(make_tree("t", []), "nope")
