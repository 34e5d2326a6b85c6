"""The static type check cannot quietly stop: `./dev test` (what CI runs) runs mypy before the tests,
mypy's settings (pyproject.toml) cover every module of src/, and the search engine, the node record
and its tree-file codec get every check that `mypy --strict` makes. Read through mypy's own option
parser, so a setting mypy ignores or applies elsewhere fails here too."""

from __future__ import annotations

import pkgutil
import re

import pytest
from mypy.main import process_options
from mypy.options import PER_MODULE_OPTIONS

import abmcts.search

STRICT = ["abmcts.arc.node", "abmcts.arc.treefile", "abmcts.search"] + [
    m.name for m in pkgutil.walk_packages(abmcts.search.__path__, "abmcts.search.")
]


@pytest.fixture
def project_options(repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)  # as ./dev runs it: `mypy` alone, settings and files from pyproject.toml
    return process_options([])


@pytest.fixture
def strict_flags(tmp_path, monkeypatch):
    """Every per-module setting `--strict` changes, with its strict value."""
    monkeypatch.chdir(tmp_path)  # no project settings
    strict, plain = process_options(["--strict", "-c", "pass"])[1], process_options(["-c", "pass"])[1]
    flags = {k: getattr(strict, k) for k in PER_MODULE_OPTIONS if getattr(strict, k) != getattr(plain, k)}
    assert "disallow_untyped_defs" in flags and "disallow_any_generics" in flags
    return flags


def test_dev_test_runs_mypy_on_its_settings_before_the_tests(repo_root):
    dev = (repo_root / "dev").read_text()
    assert "set -euo pipefail" in dev  # a failing mypy stops the script
    arm = re.search(r"^  test\)\n(.*?);;", dev, flags=re.M | re.S)
    assert arm is not None
    commands = [line.split("#")[0].split() for line in arm.group(1).splitlines()]
    commands = [c for c in commands if c]
    mypy = [i for i, c in enumerate(commands) if c[0] == '"$VENV/bin/mypy"']
    pytest_at = [i for i, c in enumerate(commands) if c[-3:] == ["pytest", "-q", '"$@"']]
    assert len(mypy) == 1 and pytest_at and mypy[0] < pytest_at[0]
    assert commands[mypy[0]] == ['"$VENV/bin/mypy"']  # no files or flags: pyproject.toml's settings
    assert "./dev test" in (repo_root / ".ci" / "run").read_text()


def test_mypy_checks_every_module_of_src(repo_root, project_options):
    sources, _ = project_options
    checked = {(repo_root / s.path).resolve() for s in sources}
    assert checked == {p.resolve() for p in (repo_root / "src").rglob("*.py")}


def test_the_search_and_the_node_record_get_every_strict_check(project_options, strict_flags):
    _, options = project_options
    assert len(STRICT) > 20  # every module of abmcts.search
    for module in STRICT:
        per_module = options.clone_for_module(module)
        loose = {k: getattr(per_module, k) for k, v in strict_flags.items() if getattr(per_module, k) != v}
        assert not loose, f"{module} is not checked strictly: {loose}"
