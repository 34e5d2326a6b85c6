"""A pipeline command ends without the interpreter's teardown, yet exactly as an ordinary exit would:
its exit code, its exit handlers, every buffered byte of output; and with a thread still working,
or an exit message, it takes the ordinary exit (which waits for the thread / prints the message)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
from abmcts.cli import entry

out, thread, code = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
atexit.register(lambda: (out / "atexit").write_text("ran"))
sys.stdout.write("buffered, no newline")  # still in the buffer when the command ends

def main():
    if thread == "thread":
        def work():
            time.sleep(0.3)
            (out / "thread").write_text("done")
        threading.Thread(target=work).start()  # not a daemon: the interpreter waits for it
    if code != "none":
        sys.exit(int(code) if code.isdigit() else code)

sys.argv = [sys.argv[0]]  # entry checks the command line's overrides: none
entry(main)
"""


@pytest.mark.parametrize(
    ("thread", "code", "status"), [("no", "none", 0), ("no", "3", 3), ("thread", "0", 0)]
)
def test_the_exit_is_the_ordinary_one_minus_the_teardown(tmp_path, thread, code, status):
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), thread, code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == status, run.stderr
    assert run.stdout == "buffered, no newline"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "thread").exists() == (thread == "thread")


def test_an_exit_message_is_printed_as_usual(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), "no", "stopped: bad input"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and run.stderr.strip() == "stopped: bad input"
    assert (tmp_path / "atexit").read_text() == "ran"
