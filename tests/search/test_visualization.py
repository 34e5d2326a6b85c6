"""TreeQuest 0.3's visualisation API on abmcts.search: snapshots, JSON/YAML, DOT, Mermaid, Graphviz, HTML."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import pytest
import yaml

import abmcts.search as tq


@pytest.fixture
def state():
    algo = tq.ABMCTSA(seed=0, model_selection_strategy="stack")
    hostile = {"evil": lambda p: ('<script>alert("x")</script>', 0.8), "plain": lambda p: ("ok", 0.3)}
    st = algo.init_tree()
    for _ in range(6):
        st = algo.step(st, hostile)
    return st


def test_snapshot_has_every_node_edge_and_trial(state):
    snap = tq.build_snapshot(state, annotations={"run": "r1"})
    assert isinstance(snap, tq.VisualizationSnapshot)
    assert [n.id for n in snap.nodes] == list(range(-1, 6))
    root = snap.nodes[0]
    assert (root.state_repr, root.status, root.parent_id, root.score) == ("ROOT", "ROOT", None, -1.0)
    assert len(snap.edges) == 6 == len(snap.trials)
    assert snap.metadata["run"] == "r1" and snap.metadata["algorithm"] == "ABMCTSA"
    assert snap.metadata["num_nodes"] == 6 and snap.metadata["num_trials"] == 6
    for e in snap.edges:
        assert e.action == state.action[e.target + 1]
        assert state.parent[e.target + 1] == e.source + 1
    for n in snap.nodes[1:]:
        assert n.status == "COMPLETE" and n.score == state.score[n.id + 1]
        assert n.depth == len(state.path_to_root(n.id + 1)) - 1
        assert n.created_at is not None and n.completed_at is not None
    assert snap.nodes[0].algo_metrics["action_probas"]["display_name"] == "Action Probabilities"


def test_snapshot_records_are_treequests():
    fields = {
        tq.NodeSnapshot: ["id", "trial_id", "parent_id", "depth", "score", "state_repr", "action_from_parent",
                          "created_at", "completed_at", "status", "annotations", "algo_metrics"],
        tq.EdgeSnapshot: ["source", "target", "action"],
        tq.TrialSnapshot: ["trial_id", "node_to_expand", "action", "score", "created_at", "completed_at",
                           "trial_status"],
        tq.VisualizationSnapshot: ["nodes", "edges", "trials", "metadata"],
    }  # fmt: skip
    for cls, names in fields.items():
        assert [f.name for f in dataclasses.fields(cls)] == names
    with pytest.raises(ValueError, match="root"):
        tq.VisualizationSnapshot([], [], [], {})
    assert issubclass(tq.DependencyNotFoundError, tq.VisualizationError)
    assert issubclass(tq.InvalidStateError, tq.VisualizationError)
    assert issubclass(tq.RenderError, tq.VisualizationError)
    assert issubclass(tq.SecurityWarning, UserWarning)


def test_build_snapshot_refuses_other_objects():
    with pytest.raises(tq.InvalidStateError):
        tq.build_snapshot({"not": "a tree"})


@pytest.mark.parametrize(
    ("make", "name", "metric"),
    [
        (lambda: tq.ABMCTSM(seed=0), "ABMCTSM", "rewards_by_action"),
        (lambda: tq.StandardMCTS(), "StandardMCTS", "visits"),
        (lambda: tq.BestFirstSearchAlgo(), "BestFirstSearch", "is_leaf"),
        (lambda: tq.TreeOfThoughtsBFSAlgo(), "TreeOfThoughtsBFS", None),
        (lambda: tq.MultiArmedBanditUCBAlgo(), "MultiArmedBanditUCB", "total_len"),
    ],
)
def test_each_algorithm_has_treequests_name_and_metrics(make, name, metric):
    algo = make()
    st = algo.init_tree()
    for i in range(8):
        st = algo.step(st, {"a": lambda p, i=i: (f"s{i}", 0.1 * (i % 7)), "b": lambda p: ("t", 0.5)})
    snap = tq.build_snapshot(st)
    assert snap.metadata["algorithm"] == name
    if metric:
        assert any(metric in n.algo_metrics for n in snap.nodes)


def test_register_adapter_replaces_with_a_warning():
    class Named:
        def extract_node_metrics(self, algo_state, node):
            return {"depth2": {"display_name": "twice depth", "display_value": str(2 * node.depth)}}

        def get_algorithm_name(self, algo_state):
            return "Mine"

    algo = tq.RepeatedSampling(seed=0)
    st = algo.step(algo.init_tree(), {"a": lambda p: ("x", 0.5)})
    from abmcts.search.vis import adapters

    saved = adapters._REGISTRY["repeated_sampling"]
    try:
        with pytest.warns(UserWarning, match="Overwriting"):
            tq.register_adapter("repeated_sampling", Named())
        snap = tq.build_snapshot(st)
        assert (
            snap.metadata["algorithm"] == "Mine"
            and snap.nodes[1].algo_metrics["depth2"]["display_value"] == "2"
        )
    finally:
        adapters._REGISTRY["repeated_sampling"] = saved


def test_dump_snapshot_json_and_yaml_hold_the_same_tree(state, tmp_path):
    snap = tq.build_snapshot(state)
    tq.dump_snapshot(snap, str(tmp_path / "t"), format="json")
    tq.dump_snapshot(snap, str(tmp_path / "t"), format="yaml", include_fields=["id", "score"])
    as_json = json.loads((tmp_path / "t.json").read_text())
    as_yaml = yaml.safe_load((tmp_path / "t.yaml").read_text())
    assert list(as_json) == ["nodes", "edges", "trials", "metadata"]
    assert as_json["nodes"] == [dataclasses.asdict(n) for n in snap.nodes]
    assert as_yaml["nodes"] == [{"id": n.id, "score": n.score} for n in snap.nodes]
    assert as_yaml["edges"] == as_json["edges"] and as_yaml["metadata"] == as_json["metadata"]
    with pytest.raises(ValueError):
        tq.dump_snapshot(snap, str(tmp_path / "t"), format="xml")


def test_dot_and_mermaid_escape_states(state, tmp_path):
    dot = tq.render_dot(state, title='say "hi"', state_formatter=str, max_label_length=100)
    assert dot.startswith("digraph {") and dot.count("->") == 6
    assert 'label="say \\"hi\\""' in dot and '[label="<script>alert(\\"x\\")</script>\\nScore: 0.80' in dot
    tq.render_mermaid(tq.build_snapshot(state), str(tmp_path / "m"), max_nodes=3)
    mermaid = (tmp_path / "m.mermaid").read_text()
    assert "graph TD" in mermaid and len(re.findall(r"^\s*node-?\d+\[", mermaid, re.M)) == 3
    assert "<script>" not in mermaid and "#60;script#62;" in mermaid


def test_render_writes_each_format(state, tmp_path):
    out = tq.render(state, tmp_path / "tree", format="json")
    assert out == tmp_path / "tree.json" and len(json.loads(out.read_text())["nodes"]) == 7
    assert (
        yaml.safe_load(tq.render(state, tmp_path / "tree", format="yaml").read_text())["metadata"][
            "num_nodes"
        ]
        == 6
    )
    md = tq.render(state, tmp_path / "tree", format="md").read_text()
    assert md.startswith("```mermaid\n") and "graph TD" in md
    assert tq.render(state, tmp_path / "tree", format="dot").read_text() == tq.render_dot(state)
    with pytest.raises(tq.VisualizationError, match="bmp"):
        tq.render(state, tmp_path / "tree", format="bmp")
    with pytest.warns(UserWarning, match="directory"):
        out = tq.render(state, tmp_path, format="json")
    assert out.parent == tmp_path and out.name.startswith("treequest_")


def test_graphviz_needs_the_package_and_dot(state, tmp_path):
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(tq.DependencyNotFoundError):
            tq.render(state, tmp_path / "g", format="png")
        return
    if shutil.which("dot") is None:
        with pytest.raises(tq.DependencyNotFoundError):
            tq.render(state, tmp_path / "g", format="png")
    else:
        assert tq.render(state, tmp_path / "g", format="svg").read_text().count('<g id="node') == 7
    dot = tq.visualize_tree_graphviz(state.tree, title="T", max_label_length=5)
    assert "ROOT" in dot.source and dot.source.count("->") == 6 and "Score: 0.80" in dot.source


def test_render_html_is_one_offline_page_with_a_timeline_and_escaped_states(state, tmp_path):
    path = tq.render(state, tmp_path / "tree", format="html")
    page = path.read_text()
    assert path.name == "tree.html" and "TreeQuest Visualization" in page and "ABMCTSA" in page
    steps = [int(t) for t in re.findall(r'<g class="node[^"]*" data-id="\d+" data-t="(\d+)"', page)]
    assert sorted(steps) == list(range(1, 7))  # root drawn apart; one timeline step per node
    assert 'id="tl"' in page and 'max="6"' in page
    assert "<script>alert" not in page  # the hostile state travels escaped, shown as text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing fetched: works offline
    data = re.search(r'<script type="application/json" id="snapshotData">(.*?)</script>', page, re.S)
    snap = json.loads(data.group(1))
    assert [n["id"] for n in snap["nodes"]] == list(range(-1, 6))
    assert snap["nodes"][1]["state_repr"] in ("'<script>alert(\"x\")</script>'", "'ok'")
