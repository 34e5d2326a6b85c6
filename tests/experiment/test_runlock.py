"""One live run per run directory: a second run is refused naming the holder; a lock left by a
killed process is taken over, and said so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from abmcts.experiment.runlock import RunLockedError, run_lock

HOLD = "from abmcts.experiment.runlock import run_lock\nimport sys, time\nwith run_lock(sys.argv[1], 'search'):\n    print('held', flush=True)\n    time.sleep(60)\n"


def test_a_live_holder_is_named_and_a_killed_ones_lock_is_taken_over(tmp_path, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError) as info, run_lock(tmp_path, "select"):
            pass
        message = str(info.value)
        assert f"in use by search (pid {holder.pid} on host " in message and "\n" not in message
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with run_lock(tmp_path, "score"):  # the kernel dropped the dead process's lock
        held = json.loads((tmp_path / "run.lock").read_text())
        with run_lock(tmp_path, "score"):  # re-entrant in one process (pipeline/run.py)
            pass
    assert held["pid"] == os.getpid() and held["stage"] == "score"
    err = capsys.readouterr().err
    assert f"taking over the lock search (pid {holder.pid} on host" in err
    assert not (tmp_path / "run.lock").exists()  # a clean exit leaves no lock file


def test_a_lock_naming_another_host_is_refused(tmp_path):
    (tmp_path / "run.lock").write_text(
        json.dumps({"stage": "search", "pid": 1, "host": "elsewhere", "since": time.time()})
    )
    refused = pytest.raises(RunLockedError, match=r"names search \(pid 1 on host elsewhere\), another host")
    with refused, run_lock(tmp_path, "search"):
        pass
