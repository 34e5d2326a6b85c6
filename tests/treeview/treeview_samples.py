"""Sample tree pages for the tree viewer tests: a small tree whose code and facts are hostile."""

from __future__ import annotations

from abmcts.treeview import GridPanel, NodeDetail, ViewNode

HOSTILE = (
    "def transform(g):\n    return g  # </script><script>document.body.setAttribute('data-pwned','1')</script>"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> & \u2028"
)


def sample_nodes(n: int = 12) -> list[ViewNode]:
    grid = [[0, 1], [2, 3]]
    nodes = []
    for i in range(n):
        parent = None if i < 3 else (i - 3) // 2
        nodes.append(
            ViewNode(
                id=i,
                parent=parent,
                score=i / (n - 1),
                group="model-a" if i % 2 else "model-b",
                edge="fresh" if parent is None else "refine",
                label=f"#{i} <b>label</b>",
                marks=("A1",) if i == 5 else (),
                detail=NodeDetail(
                    code=HOSTILE,
                    facts=(("error", "<img src=x onerror=alert(1)>"),),
                    grids=(GridPanel("demo 1", grid, grid), GridPanel("test 1", None)),
                ),
            )
        )
    return nodes
