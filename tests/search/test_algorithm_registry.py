"""Algorithms are found by name (`abmcts.search.algorithms`), and the visualisation API loads only on use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import abmcts.search as tq
from abmcts.errors import ConfigError
from abmcts.search import SearchInputError, make_algorithm
from abmcts.search.algorithms import algorithm_class

# Recorded in every tree's settings and search state: a rename would orphan existing trees.
RECORDED_NAMES = {
    "ab_mcts_a": tq.ABMCTSA,
    "ab_mcts_m": tq.ABMCTSM,
    "repeated_sampling": tq.RepeatedSampling,
    "sequential_refinement": tq.SequentialRefinement,
    "standard_mcts": tq.FixedBranchingMCTS,
    "treequest_standard_mcts": tq.StandardMCTS,
    "bandit_ucb": tq.MultiArmedBanditUCB,
    "treequest_bandit_ucb": tq.MultiArmedBanditUCBAlgo,
    "best_first_search": tq.BestFirstSearchAlgo,
    "tree_of_thoughts_bfs": tq.TreeOfThoughtsBFSAlgo,
}


def test_every_recorded_name_is_its_module_and_its_class_name():
    assert dict(tq.ALGORITHMS) == RECORDED_NAMES
    for name, cls in RECORDED_NAMES.items():
        assert cls.name == name
        assert type(make_algorithm(name, seed=3)) is cls


def test_algorithms_is_a_read_only_view_of_the_registry():
    with pytest.raises(TypeError):
        tq.ALGORITHMS["mine"] = tq.ABMCTSA  # type: ignore[index]


def test_unknown_names_are_one_line_with_the_nearest():
    with pytest.raises(
        ConfigError,
        match=r"^config search\.algorithm=ab_mcts_x: no such search algorithm \(did you mean 'ab_mcts_",
    ):
        algorithm_class("ab_mcts_x")
    with pytest.raises(
        SearchInputError, match=r"search\.algorithm=bandit_ucbb: .*did you mean 'bandit_ucb'"
    ) as info:
        make_algorithm("bandit_ucbb")
    assert "\n" not in str(info.value)


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """A user's own package of algorithms, outside this repository."""
    pkg = tmp_path / "my_algos"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "root_only.py").write_text(
        textwrap.dedent(
            """
            from abmcts.search import Algorithm

            class RootOnly(Algorithm):
                name = "my_algos.root_only"

                def _select(self, tree, actions):
                    return 0, actions[0]

            ALGORITHM = RootOnly
            """
        )
    )
    (pkg / "not_a_class.py").write_text("ALGORITHM = 3\n")
    (pkg / "renamed.py").write_text("from abmcts.search import RepeatedSampling as ALGORITHM\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [m for m in sys.modules if m.startswith("my_algos")]:
        del sys.modules[name]


def test_a_dotted_name_is_a_users_own_module(user_package):
    algo = make_algorithm("my_algos.root_only", seed=2)
    tree = algo.init_tree()
    for _ in range(3):
        tree = algo.step(tree, {"a": lambda s: ("x", 0.5), "b": lambda s: ("y", 0.9)})
    saved = tree.to_dict()
    assert saved["algorithm"] == "my_algos.root_only"
    assert [(n["parent"], n["action"]) for n in saved["nodes"][1:]] == [(0, "a")] * 3
    with pytest.raises(ConfigError, match=r"my_algos\.not_a_class\.ALGORITHM is 3, not a subclass"):
        algorithm_class("my_algos.not_a_class")
    with pytest.raises(
        ConfigError, match=r"my_algos\.renamed\.ALGORITHM\.name is 'repeated_sampling', not 'my"
    ):
        algorithm_class("my_algos.renamed")
    with pytest.raises(SearchInputError, match="my_algos.nope: no such search algorithm"):
        make_algorithm("my_algos.nope")


def test_searching_imports_neither_the_pictures_nor_treeview():
    """The TreeQuest names of `search.vis` load on first use, so a search stage never depends on them."""
    code = """
        import sys
        import abmcts.search as tq

        def loaded():
            return sorted(m for m in sys.modules if m.startswith(("abmcts.search.vis", "abmcts.treeview")))

        algo = tq.make_algorithm("ab_mcts_a", seed=0)
        tq.top_k(algo.step(algo.init_tree(), {"m": lambda s: ("x", 0.5)}), algo, 1)
        assert loaded() == [], loaded()
        lazy = {"render_graphviz", "render_html", "VisualizationSnapshot", "vis", "ALGORITHMS"}
        assert lazy <= set(dir(tq)), dir(tq)
        assert set(tq.vis.__all__) <= set(tq.__all__)
        assert tq.render_graphviz is tq.vis.render_graphviz and "abmcts.search.vis" in loaded()
        """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_star_import_still_gives_the_pictures():
    names: dict = {}
    exec("from abmcts.search import *", names)
    assert names["render"] is tq.vis.render and names["ALGORITHMS"] is tq.ALGORITHMS
