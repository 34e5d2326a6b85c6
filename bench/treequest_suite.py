"""Run TreeQuest's own test suite against abmcts.search: its tests, with every ``treequest`` import pointed at us.

    python bench/treequest_suite.py /path/to/treequest-checkout   # e.g. a clone of SakanaAI/treequest at v0.2.0

The tests are copied to a temporary directory (nothing of TreeQuest enters this repository); each
``from treequest[.module] import X`` becomes ``from abmcts.search import X`` and ``import treequest as
tq`` becomes ``import abmcts.search as tq``. Prints pytest's summary (tests that save pictures need
Graphviz's ``dot`` program).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
IMPORTS = [
    (re.compile(r"^(\s*)from treequest(\.[\w.]+)? import ", re.M), r"\1from abmcts.search import "),
    (re.compile(r"^(\s*)import treequest as ", re.M), r"\1import abmcts.search as "),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("treequest_checkout", type=Path)
    args = ap.parse_args()
    tests = args.treequest_checkout / "tests"
    if not tests.is_dir():
        sys.exit(f"error: {tests} is not a directory (expected a TreeQuest checkout)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tests"
        shutil.copytree(tests, out, ignore=shutil.ignore_patterns("profiling", "__pycache__"))
        for path in out.glob("*.py"):
            text = path.read_text()
            for pattern, repl in IMPORTS:
                text = pattern.sub(repl, text)
            path.write_text(text)
        env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
        sys.exit(subprocess.run(cmd, cwd=tmp, env=env).returncode)


if __name__ == "__main__":
    main()
