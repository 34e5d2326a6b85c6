"""The code each DVC stage depends on: its entry point and every module its stage module imports.

`dvc.yaml` lists exactly these, so editing the plotting code reruns only `score`, editing a dashboard
reruns nothing, and editing a selection strategy never reruns the search. The stages are the stage
registry's (`abmcts.stages`, those with `dvc=True`). Imports are found statically (stdlib
`modulefinder`, which also sees imports inside functions); a registry's names are imported at run
time, so a stage that reaches a `Registry(kind, package, ...)` depends on that package's whole folder.
The validation every entry point runs first (`cli`, `validate` and the registries it consults) is
deliberately not a dependency, since it cannot change a stage's outputs. Print the lists with
`python -m abmcts.dvcdeps` (`--write` puts them into dvc.yaml); tests/experiment/test_dvc.py checks
dvc.yaml against them.
"""

from __future__ import annotations

import importlib
from modulefinder import ModuleFinder
from pathlib import Path

from abmcts.registry import Registry
from abmcts.stages import STAGES

# Files a stage uses without importing them: the sandbox pool starts its worker as a script, the
# learned ranker reads its shipped model.
USES = {
    "src/abmcts/sandbox/pool.py": ("src/abmcts/sandbox/_worker.py",),
    "src/abmcts/select/ranker.py": ("src/abmcts/select/ranker_v1.json",),
}
SOURCE_SUFFIXES = (".py", ".json")
CODE_DIRS = ("src/", "pipeline/")


def dvc_stages() -> dict[str, str]:
    """DVC stage name -> its entry point, from the stage registry."""
    stages = {name: STAGES.get(name, "stage") for name in STAGES.names()}
    return {name: stage.entry_point for name, stage in stages.items() if stage.dvc}


def stage_files(repo: Path, stage: str) -> set[str]:
    """Repo-relative paths of the entry point and every abmcts module the stage imports."""
    src = (repo / "src").resolve()
    finder = ModuleFinder(path=[str(src)])  # only our code: third-party imports are not followed
    finder.run_script(str(src / "abmcts" / "stages" / f"{stage}.py"))
    files = {dvc_stages()[stage]}
    for module in finder.modules.values():
        path = Path(module.__file__ or "")
        if path.is_relative_to(src):
            files.add(str(path.relative_to(repo.resolve())))
    for module in finder.modules.values():
        # The stage registry is left out: a stage imports `abmcts.stages` for its record, not to run others.
        for package in _registries(module.__name__, Path(module.__file__ or "")) - {STAGES.package}:
            files |= _sources(repo, src / package.replace(".", "/"))
    for module, used in USES.items():
        if module in files:
            files.update(used)
    return files


def _registries(module: str, path: Path) -> set[str]:
    """The packages of the registries `module` defines (it is imported only if its source names one)."""
    if path.suffix != ".py" or "Registry(" not in path.read_text():
        return set()
    found = vars(importlib.import_module(module)).values()
    return {value.package for value in found if isinstance(value, Registry)}


def compress(repo: Path, files: set[str]) -> list[str]:
    """`files` with every folder whose Python files are all listed written as the folder."""
    result = set(files)
    for folder in sorted({str(Path(f).parent) for f in files}, key=len):
        inside = _sources(repo, repo / folder)
        covered = any(folder.startswith(f + "/") for f in result)  # an enclosing folder is listed
        if (
            inside
            and inside <= files
            and folder.startswith("src/abmcts/")
            and folder.count("/") > 1
            and not covered
        ):
            result = {f for f in result if not f.startswith(folder + "/")} | {folder}
    return sorted(result)


def expand(repo: Path, deps: list[str]) -> set[str]:
    """The code files named by dvc.yaml deps (folders expanded); data and run deps are skipped."""
    files: set[str] = set()
    for dep in deps:
        if dep.startswith(CODE_DIRS):
            files |= _sources(repo, repo / dep) if (repo / dep).is_dir() else {dep}
    return files


def _sources(repo: Path, folder: Path) -> set[str]:
    return {str(p.relative_to(repo)) for p in folder.rglob("*") if p.suffix in SOURCE_SUFFIXES}


def rewrite_dvc_yaml(repo: Path) -> str:
    """dvc.yaml's text with each stage's code deps replaced by `stage_files` (data deps and
    everything else kept as written)."""
    out: list[str] = []
    stages = dvc_stages()
    stage = None
    for line in (repo / "dvc.yaml").read_text().splitlines(keepends=True):
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            stage = line.strip()[:-1]
        is_code = line.startswith("      - ") and line[8:].startswith(CODE_DIRS)
        if stage in stages and is_code:
            continue
        out.append(line)
        if stage in stages and line == "    deps:\n":
            out += [f"      - {dep}\n" for dep in compress(repo, stage_files(repo, stage))]
    return "".join(out)


if __name__ == "__main__":
    import sys

    root = Path(__file__).resolve().parents[2]
    if sys.argv[1:] == ["--write"]:
        (root / "dvc.yaml").write_text(rewrite_dvc_yaml(root))
    for name in dvc_stages():
        print(f"{name}:")
        for dep in compress(root, stage_files(root, name)):
            print(f"  - {dep}")
