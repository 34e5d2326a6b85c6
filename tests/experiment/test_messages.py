"""What a person sees when something is off: one line naming it, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from abmcts.errors import ConfigError
from abmcts.experiment.interrupt import INTERRUPTED_LINE

from project_helpers import copy_project, smoke_config

SMALL = ["experiment=smoke", "tracking=none", "executor.n_jobs=2"]


def run(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def shown(stderr: str) -> list[str]:
    """stderr without the progress bar's redraws."""
    lines = stderr.replace("\r", "\n").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("search ")]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("messages"))


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("serach.budget=5", "error: unknown config key 'serach.budget' (did you mean 'search.budget'?)"),
        ("data.limt=3", "error: unknown config key 'data.limt' (did you mean 'data.limit'?)"),
        ("search=ab_mcts_mm", "error: config search=ab_mcts_mm: no such option (did you mean 'ab_mcts_m'?)"),
    ],
)
def test_a_typo_is_one_line_with_the_nearest_name(project, override, expected):
    done = run(project, "pipeline/search.py", override)
    assert done.returncode == 2
    (line,) = shown(done.stderr)
    assert line.startswith(expected) and "+" not in line.split("(options")[0]


def test_options_in_a_users_own_config_folder_are_known(tmp_path):
    """A config file added through `hydra.searchpath` is an option like the repository's own."""
    from abmcts.cli import check_overrides

    conf = Path(__file__).resolve().parents[2] / "conf"
    (tmp_path / "selection").mkdir()
    (tmp_path / "selection" / "mine.yaml").write_text("name: mine\n")
    check_overrides([f"hydra.searchpath=[file://{tmp_path}]", "selection=mine", "selection=sakana"], conf)
    with pytest.raises(ConfigError, match="selection=mine: no such option"):
        check_overrides(["selection=mine"], conf)
    with pytest.raises(ConfigError, match="selection=mien: no such option \\(did you mean 'mine'"):
        check_overrides([f"hydra.searchpath=[file://{tmp_path}]", "selection=mien"], conf)


def test_a_misspelt_key_in_a_config_file_names_the_nearest_too():
    from abmcts.experiment.validate import validate_config

    with pytest.raises(ConfigError, match=r"did you mean 'search.budget'\?"):
        validate_config({"search": {"budgte": 3}})


@pytest.mark.parametrize(("backend", "module"), [("dask", "distributed"), ("ray", "ray")])
def test_an_executor_without_its_extra_is_one_line_naming_the_extra(tmp_path, monkeypatch, backend, module):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a)
    )
    with pytest.raises(ConfigError) as err:
        smoke_config(tmp_path, "runs", f"executor={backend}")
    assert str(err.value) == (
        f"config executor={backend}: needs the {backend!r} extra (pip install 'abmcts[{backend}]')"
    )


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_a_rerun_resumes(project):
    """SIGINT to the whole process group (what a terminal's Ctrl-C does), while the workers search."""
    args = ["pipeline/run.py", *SMALL, "data.limit=6", "search.budget=200", "run.name=ctrlc"]
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    trees = project / "runs" / "ctrlc" / "trees"
    deadline = time.monotonic() + 120
    while not (trees.is_dir() and any(trees.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.2)  # a checkpoint or a finished tree: the search is under way
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert shown(err) == [INTERRUPTED_LINE]
    done = run(project, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[score]" in done.stdout and len(list(trees.iterdir())) == 6
