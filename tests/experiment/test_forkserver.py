"""The search workers' fork server, started before the config (`abmcts.experiment.forkserver`):
its processes never re-run the command's entry script, and they start from the search runtime
it imported once."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
from pathlib import Path

Path(sys.argv[1]).open("a").write(f"{os.getpid()}\\n")  # a side effect of running this script
if __name__ == "__main__":
    import multiprocessing
    from abmcts.experiment.forkserver import entry_script_not_rerun, start_fork_server

    start_fork_server(["abmcts.experiment.parallel"])
    ctx = multiprocessing.get_context("forkserver")
    queue = ctx.Queue()
    with entry_script_not_rerun():
        check = "import sys; queue.put('abmcts.experiment.parallel' in sys.modules)"  # run in the worker
        proc = ctx.Process(target=exec, args=(check, {"queue": queue}))
        proc.start()
    preloaded = queue.get(timeout=60)
    proc.join()
    print(proc.exitcode, preloaded, "abmcts.experiment.parallel" in sys.modules)
"""


def test_workers_start_from_the_runtime_without_rerunning_the_entry_script(tmp_path):
    script, runs = tmp_path / "entry.py", tmp_path / "runs.txt"
    script.write_text(SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script), str(runs)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    # the worker had the runtime from its fork server; this process never imported it
    assert out.stdout.split() == ["0", "True", "False"]
    assert len(runs.read_text().split()) == 1  # only the command itself ran the script
