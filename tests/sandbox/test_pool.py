"""Executor behaviour on ordinary programs: results, normalisation, error kinds, threads, lifecycle."""

from __future__ import annotations

import os
import threading

import pytest

from abmcts.errors import InputError
from abmcts.sandbox import pool as sandbox
from abmcts.sandbox.pool import KINDS, ExecResult, Executor, SandboxError, execute

G = [[1, 2, 3], [4, 5, 6]]
FLIP = "def transform(grid):\n    return [row[::-1] for row in grid]\n"


@pytest.fixture(scope="module")
def ex():
    with Executor(n_workers=2, timeout_s=1.0) as executor:
        yield executor


def test_runs_transform_on_every_grid(ex: Executor) -> None:
    assert ex.run(FLIP, [G, [[7]]]) == [
        ExecResult([[3, 2, 1], [6, 5, 4]], None, None),
        ExecResult([[7]], None, None),
    ]
    assert ex.run(FLIP, []) == []


@pytest.mark.parametrize(
    "body",
    [
        "return np.array(grid)[:, ::-1]",
        "return np.array(grid, dtype=np.uint8)[:, ::-1]",
        "return tuple(tuple(r[::-1]) for r in grid)",
        "return [np.array(r[::-1]) for r in grid]",
        "return [[np.int64(v) for v in r[::-1]] for r in grid]",
    ],
)
def test_normalises_arrays_tuples_and_numpy_ints(ex: Executor, body: str) -> None:
    (res,) = ex.run(f"import numpy as np\ndef transform(grid):\n    {body}\n", [G])
    assert res.output == [[3, 2, 1], [6, 5, 4]] and res.kind is None
    assert all(type(v) is int for row in res.output for v in row)


@pytest.mark.parametrize(
    "value",
    [
        "None", "'abc'", "5", "[]", "[[]]", "[[1.0]]", "[[True]]", "[[10]]", "[[-1]]", "[[1], [1, 2]]",
        "[[0] * 31]", "[[0]] * 31", "np.zeros((2, 2))", "np.zeros((2, 2, 2), dtype=int)", "np.zeros((31, 1), dtype=int)",
        "(r for r in grid)", "{'a': 1}", "[[np.float64(1)]]", "[['1']]",
    ],
)  # fmt: skip
def test_bad_outputs(ex: Executor, value: str) -> None:
    (res,) = ex.run(f"import numpy as np\ndef transform(grid):\n    return {value}\n", [G])
    assert res.output is None and res.kind == "bad_output", res
    assert res.error.startswith("bad output")


def test_error_kinds(ex: Executor) -> None:
    cases = {
        "def transform(grid:\n": "syntax",
        "x = 1\n": "no_transform",
        "transform = 3\n": "no_transform",
        "raise ValueError('at import')\n": "runtime",
        "def transform(grid):\n    return grid[10][0]\n": "runtime",
        "def transform(grid):\n    return bytearray(8 << 30)\n": "memory",
        "def transform(grid):\n    while True:\n        pass\n": "timeout",
    }
    for code, kind in cases.items():
        results = ex.run(code, [G, G])
        assert [r.kind for r in results] == [kind, kind], (code, results)
        assert all(r.output is None and r.error for r in results)
    assert set(cases.values()) <= set(KINDS)


def test_runtime_error_names_program_line(ex: Executor) -> None:
    (res,) = ex.run("def transform(grid):\n    a = 1\n    return grid[99]\n", [G])
    assert res.kind == "runtime" and res.error == "line 3: IndexError: list index out of range"


def test_each_grid_independent_and_inputs_are_copies(ex: Executor) -> None:
    code = (
        "seen = []\n"
        "def transform(grid):\n"
        "    seen.append(1)\n"
        "    if grid[0][0] == 0:\n"
        "        raise KeyError('zero')\n"
        "    grid[0][0] = 9\n"
        "    return [[len(seen)]] + grid\n"
    )
    grid = [[1]]
    results = ex.run(code, [grid, [[0]], grid])
    assert results[0].output == [[1], [9]] and results[2].output == [[3], [9]]
    assert results[1].kind == "runtime"
    assert grid == [[1]]


def test_timeout_per_call_override_and_later_calls_work(ex: Executor) -> None:
    (res,) = ex.run(
        "import time\ndef transform(grid):\n    time.sleep(0.3)\n    return grid\n", [G], timeout_s=0.1
    )
    assert res.kind == "timeout"
    assert ex.run(FLIP, [G])[0].ok


def test_parent_environment_secrets_do_not_reach_programs(ex: Executor, monkeypatch) -> None:
    monkeypatch.setenv("ABMCTS_FAKE_API_KEY", "sk-secret")
    with Executor(n_workers=1) as fresh:
        code = "import os\ndef transform(grid):\n    return [[1 if 'ABMCTS_FAKE_API_KEY' in os.environ else 0]]\n"
        assert fresh.run(code, [G])[0].output == [[0]]


def test_thread_safe_under_concurrent_callers(ex: Executor) -> None:
    errors: list[str] = []

    def worker(k: int) -> None:
        code = f"def transform(grid):\n    return [[{k % 10}] * len(grid[0])]\n"
        for _ in range(10):
            res = ex.run(code, [G, [[1]]])
            if [r.output for r in res] != [[[k % 10] * 3], [[k % 10]]]:
                errors.append(f"{k}: {res}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_closed_executor_refuses_and_kills_workers() -> None:
    executor = Executor(n_workers=1)
    pids = [w.proc.pid for w in executor._idle]
    executor.close()
    with pytest.raises(SandboxError, match="closed"):
        executor.run(FLIP, [G])
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="n_workers"):
        Executor(n_workers=0)
    with pytest.raises(InputError, match="timeout_s"):
        Executor(timeout_s=0)
    with Executor() as executor:
        with pytest.raises(InputError, match="code"):
            executor.run(b"x", [G])
        with pytest.raises(InputError, match="grids"):
            executor.run(FLIP, [{1, 2}])


def test_module_level_execute_uses_one_default_pool() -> None:
    assert execute(FLIP, [G])[0].output == [[3, 2, 1], [6, 5, 4]]
    pool = sandbox.default_executor()
    assert execute("def transform(g):\n    while 1: pass\n", [G], timeout_s=0.2)[0].kind == "timeout"
    assert sandbox.default_executor() is pool
