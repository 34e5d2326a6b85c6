"""ConceptARC (Moskvichev et al. 2023): one folder per concept, `<data.path>/<Concept>/<task>.json`.

`data.path` is the corpus folder (`ConceptARC/corpus` of a clone of
github.com/victorvikram/ConceptARC: 16 concepts x 10 tasks). A task's id is its file's stem
(`AboveBelow1`), checked by the task-id rule like every loader's. The layout is enforced rather than
guessed, so a wrong `data.path` or a stray file stops the fetch with one line instead of quietly
loading other tasks:
- every `*.json` below the corpus folder must sit exactly one folder deep (a JSON file at the top
  or nested deeper is refused, naming it: pointing `data.path` at the repository root is caught so);
- every such file must be a valid task (a non-task JSON file is a `TaskError` naming the file);
- two files with one stem in different concepts are refused, naming both (one id, two tasks);
- other files (README, spreadsheets) are ignored.
"""

from __future__ import annotations

from pathlib import Path

from abmcts.arc.datasource import DataSource, DataSpec
from abmcts.arc.loaders import Solutions, Tasks, from_task_files
from abmcts.errors import InputError


def from_concept_folders(path: str | Path) -> tuple[Tasks, Solutions]:
    """Tasks and solutions of a `<Concept>/<task>.json` tree (see the module docstring)."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"ConceptARC corpus {root}: not a directory")
    files = sorted(root.rglob("*.json"))
    misplaced = [f for f in files if len(f.relative_to(root).parts) != 2]
    if misplaced:
        raise InputError(
            f"ConceptARC corpus {root}: {misplaced[0]} is not a <Concept>/<task>.json file "
            "(data.path must be the folder of concept folders, e.g. ConceptARC/corpus)"
        )
    if not files:
        raise InputError(f"ConceptARC corpus {root}: contains no <Concept>/<task>.json files")
    return from_task_files(files)


def _load(spec: DataSpec) -> tuple[Tasks, Solutions]:
    return from_concept_folders(spec.require("path"))


SOURCE = DataSource(load=_load, version=lambda spec: f"conceptarc:{spec.path}", required=("path",))
