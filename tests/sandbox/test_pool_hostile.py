"""Hostile programs must be contained: bounded time, nothing touched outside the sandbox, the pool
recovers and later calls are correct.

Every attack runs twice: with the in-process audit hook (the default) and without it, so the
OS-level layers (namespaces, privilege drop, rlimits) are shown to hold on their own.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

import abmcts.arc.task as task_module
from abmcts.sandbox.pool import Executor

G = [[1, 2], [3, 4]]
FLIP = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
TIMEOUT = 1.0
BOUND = TIMEOUT + 3.0  # generous: the machine is shared


@pytest.fixture(scope="module")
def area(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "solutions").mkdir()
    (root / "solutions" / "arc2.json").write_text('{"secret": [[[7]]]}')
    (root / "canary.txt").write_text("alive")
    return root


@pytest.fixture(scope="module", params=["audit_hook", "os_only"])
def ex(request, area: Path):
    forbidden = [area / "solutions", Path(task_module.__file__)]  # the second lies outside /tmp
    with Executor(
        n_workers=1, timeout_s=TIMEOUT, forbidden_paths=forbidden, audit_hook=request.param == "audit_hook"
    ) as e:
        yield e


def run(ex: Executor, code: str, grids=None):
    start = time.monotonic()
    results = ex.run(code, grids or [G])
    elapsed = time.monotonic() - start
    assert elapsed < BOUND, f"took {elapsed:.1f} s"
    return results


def healthy(ex: Executor, area: Path) -> None:
    assert run(ex, FLIP, [G, [[5]]])[1].output == [[5]] and run(ex, FLIP)[0].output == [[2, 1], [4, 3]]
    assert (area / "canary.txt").read_text() == "alive"
    assert sorted(p.name for p in area.iterdir()) == ["canary.txt", "solutions"]


def failed(results, kinds=("runtime",)) -> str:
    assert all(r.output is None and r.kind in kinds for r in results), results
    return results[0].error


def test_infinite_loop(ex, area) -> None:
    start = time.monotonic()
    failed(run(ex, "def transform(grid):\n    while True:\n        pass\n"), ("timeout",))
    assert time.monotonic() - start < TIMEOUT + 0.5
    healthy(ex, area)


def test_deep_recursion(ex, area) -> None:
    assert "RecursionError" in failed(run(ex, "def transform(grid):\n    return transform(grid)\n"))
    code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1) + 1\ndef transform(grid):\n    return f(0)\n"
    failed(run(ex, code), ("crash", "runtime", "memory", "timeout"))
    healthy(ex, area)


def test_allocating_20_gb(ex, area) -> None:
    failed(run(ex, "def transform(grid):\n    return bytearray(20 << 30)\n"), ("memory",))
    failed(run(ex, "import numpy as np\ndef transform(grid):\n    return np.ones(20 << 27)\n"), ("memory",))
    # growing without end (np.empty reserves address space without zero-filling it, so the limit is
    # what stops it, not the 1 s timeout on a loaded machine)
    grow = "import numpy as np\ndef transform(grid):\n    x = []\n    while True:\n        x.append(np.empty(1 << 24))\n"
    failed(run(ex, grow), ("memory",))
    healthy(ex, area)


def test_fork_bomb_cannot_fork_at_all(ex, area) -> None:
    err = failed(run(ex, "import os\ndef transform(grid):\n    while True:\n        os.fork()\n"))
    assert "PermissionError" in err or "BlockingIOError" in err  # not a single child was created
    healthy(ex, area)


def test_subprocesses(ex, area) -> None:
    target = area / "spawned.txt"
    failed(run(ex, f"import subprocess\ndef transform(grid):\n    subprocess.run(['touch', '{target}'])\n"))
    (res,) = run(
        ex, f"import os\ndef transform(grid):\n    return [[0 if os.system('touch {target}') else 1]]\n"
    )
    assert res.output in (None, [[0]])
    assert not target.exists()
    healthy(ex, area)


def test_files_outside_the_sandbox_are_untouched(ex, area) -> None:
    outside = Path(task_module.__file__).with_name("pwned-by-sandbox.txt")
    attacks = [
        f"import os\nos.remove('{area}/canary.txt')",
        f"open('{area}/canary.txt', 'w').write('dead')",
        f"open('{area}/new.txt', 'w').write('x')",
        f"import shutil\nshutil.rmtree('{area}')",
        f"import os\nos.rename('{area}/canary.txt', '{area}/moved.txt')",
        f"import os\nos.chmod('{area}/canary.txt', 0)",
        f"open('{outside}', 'w').write('x')",  # outside /tmp, which the sandbox sees as a private tmpfs
    ]
    try:
        for attack in attacks:
            failed(run(ex, attack + "\ndef transform(grid):\n    return grid\n"))
            healthy(ex, area)
        assert not outside.exists()
    finally:
        outside.unlink(missing_ok=True)


def test_cwd_is_a_private_temp_dir_emptied_after_each_program(ex, area) -> None:
    write = "import os\ndef transform(grid):\n    open('junk.txt', 'w').write('x' * 100)\n    return [[len(os.listdir('.'))]]\n"
    assert run(ex, write)[0].output == [[1]]
    look = "import os, tempfile\ndef transform(grid):\n    return [[len(os.listdir('.')), int(tempfile.gettempdir() == os.getcwd())]]\n"
    assert run(ex, look)[0].output == [[0, 1]]
    big = "def transform(grid):\n    open('big.bin', 'wb').write(b'x' * (64 << 20))\n    return grid\n"
    failed(run(ex, big))  # RLIMIT_FSIZE
    healthy(ex, area)


def test_network_sockets_to_loopback(ex, area) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        code = f"import socket\ndef transform(grid):\n    socket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n    return grid\n"
        if not ex.isolation["audit_hook"] and not ex.isolation["network"]:
            pytest.skip("no network namespace on this machine: only the audit hook blocks sockets")
        failed(run(ex, code))
        with pytest.raises(BlockingIOError):
            server.accept()
    healthy(ex, area)


def test_killing_its_parent_or_group(ex, area) -> None:
    for attack in (
        "os.kill(os.getppid(), 9)",
        "os.kill(0, 9)",
        f"os.kill({os.getpid()}, 9)",
        "os.killpg(0, 9)",
    ):
        run(ex, f"import os\ndef transform(grid):\n    {attack}\n    return grid\n")
        healthy(ex, area)


def test_worker_killed_from_outside_is_replaced(ex, area) -> None:
    worker = ex._idle[0]
    worker.proc.kill()
    worker.proc.wait()
    failed(ex.run(FLIP, [G]), ("crash",))
    assert ex._idle[0] is not worker
    healthy(ex, area)


def test_exit_calls(ex, area) -> None:
    assert "SystemExit" in failed(run(ex, "import sys\ndef transform(grid):\n    sys.exit(0)\n"))
    assert "SystemExit" in failed(run(ex, "import sys\nsys.exit(3)\n"))
    failed(run(ex, "import os\ndef transform(grid):\n    os._exit(0)\n", [G, G]), ("crash",))
    failed(
        run(ex, "import os, signal\ndef transform(grid):\n    os.kill(os.getpid(), signal.SIGSEGV)\n"),
        ("crash",),
    )
    healthy(ex, area)


def test_printing_a_gigabyte(ex, area) -> None:
    code = "import os, sys\ndef transform(grid):\n    s = 'x' * (1 << 20)\n    for _ in range(512):\n        print(s)\n        sys.stderr.write(s)\n    return grid\n"
    assert run(ex, code)[0].output == G
    failed(run(ex, "def transform(grid):\n    print('x' * (1 << 30))\n"), ("memory",))
    healthy(ex, area)


def test_huge_and_non_grid_outputs(ex, area) -> None:
    cases = [
        "np.zeros((5000, 5000), dtype=np.uint8)",
        "[[0] * 10**6] * 1000",
        "[[0]] * 10**6",
        "iter(grid)",
        "object()",
    ]
    for value in cases:
        failed(run(ex, f"import numpy as np\ndef transform(grid):\n    return {value}\n"), ("bad_output",))
    healthy(ex, area)


def test_monkeypatching_does_not_leak_into_later_programs(ex, area) -> None:
    patch = (
        "import builtins, numpy, json, sys\n"
        "builtins.len = lambda x: 0\nbuiltins.range = None\nnumpy.array = None\njson.dumps = None\n"
        "sys.modules['collections'] = None\n"
        "def transform(grid):\n    return [[len(grid)]]\n"
    )
    run(ex, patch)  # its own result may be anything: it sabotaged itself
    check = "import numpy as np, collections\ndef transform(grid):\n    return np.array([[len(grid), len(list(range(3)))]])\n"
    assert run(ex, check)[0].output == [[2, 3]]
    healthy(ex, area)


def test_forbidden_solutions_file_cannot_be_read(ex, area) -> None:
    for path in (area / "solutions" / "arc2.json", Path(task_module.__file__)):
        code = f"def transform(grid):\n    data = open('{path}').read()\n    assert data, 'empty'\n    return [[7]]\n"
        failed(run(ex, code))
    allowed = "import numpy\ndef transform(grid):\n    return [[1 if open(numpy.__file__).read() else 0]]\n"
    assert run(ex, allowed)[0].output == [[1]]
    healthy(ex, area)


def test_reading_the_parents_memory(ex, area, monkeypatch) -> None:
    secret = "ABMCTS-TOP-SECRET-7f3a"
    monkeypatch.setenv("ABMCTS_SECRET", secret)
    for target in ("os.getppid()", str(os.getpid())):
        for what in ("mem", "environ"):
            code = (
                f"import os\ndef transform(grid):\n    pid = {target}\n"
                f"    with open(f'/proc/{{pid}}/{what}', 'rb') as fh:\n"
                f"        fh.seek(0)\n        data = fh.read(1 << 16)\n"
                f"    return [[9 if b'{secret}' in data else 1]]\n"
            )
            (res,) = run(ex, code)
            assert res.output is None and res.kind == "runtime", (target, what, res)
    healthy(ex, area)
