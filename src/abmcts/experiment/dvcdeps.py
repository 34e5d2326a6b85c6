"""The code each DVC stage depends on: its entry point and every module its stage module imports.

`dvc.yaml` lists exactly these, so editing the plotting code reruns only `score`, and editing a
selection strategy never reruns the search. Imports are found statically (stdlib `modulefinder`,
which also sees imports inside functions), from `abmcts.experiment.stages.<stage>`; the
validation every entry point runs first (`cli`, `validate` and the registries it consults) is
deliberately not a dependency, since it cannot change a stage's outputs. Print the lists with
`python -m abmcts.experiment.dvcdeps`; tests/experiment/test_dvc.py checks dvc.yaml against them.
"""

from __future__ import annotations

from modulefinder import ModuleFinder
from pathlib import Path

STAGES = {"fetch": "fetch.py", "search": "search.py", "select": "select_attempts.py", "score": "score.py"}
# Files a stage uses without importing them: the sandbox pool starts its worker as a script.
SCRIPTS = {"src/abmcts/sandbox/pool.py": ("src/abmcts/sandbox/_worker.py",)}


def stage_files(repo: Path, stage: str) -> set[str]:
    """Repo-relative paths of the entry point and every abmcts module the stage imports."""
    src = (repo / "src").resolve()
    finder = ModuleFinder(path=[str(src)])  # only our code: third-party imports are not followed
    finder.run_script(str(src / "abmcts" / "experiment" / "stages" / f"{stage}.py"))
    files = {f"pipeline/{STAGES[stage]}"}
    for module in finder.modules.values():
        path = Path(module.__file__ or "")
        if path.is_relative_to(src):
            files.add(str(path.relative_to(repo.resolve())))
    for module, scripts in SCRIPTS.items():
        if module in files:
            files.update(scripts)
    return files


def compress(repo: Path, files: set[str]) -> list[str]:
    """`files` with every folder whose Python files are all listed written as the folder."""
    result = set(files)
    for folder in sorted({str(Path(f).parent) for f in files}, key=len):
        inside = {str(p.relative_to(repo)) for p in (repo / folder).rglob("*.py")}
        if inside and inside <= files and folder.startswith("src/abmcts/") and folder.count("/") > 1:
            result = {f for f in result if not f.startswith(folder + "/")} | {folder}
    return sorted(result)


def expand(repo: Path, deps: list[str]) -> set[str]:
    """The Python files named by dvc.yaml deps (folders expanded); data deps are skipped."""
    files: set[str] = set()
    for dep in deps:
        path = repo / dep
        if dep.startswith("${") or not (dep.endswith(".py") or path.is_dir()):
            continue
        files |= {str(p.relative_to(repo)) for p in path.rglob("*.py")} if path.is_dir() else {dep}
    return files


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    for name in STAGES:
        print(f"{name}:")
        for dep in compress(root, stage_files(root, name)):
            print(f"  - {dep}")
