"""A new sqlite MLflow store starts as a copy of an empty one, made once per MLflow version.

Why: MLflow makes a sqlite store by running its whole chain of schema migrations, 2-6 s of CPU in
the command that first tracks to it (a new project's first run, each fresh store a sweep or a test
makes), and the result is always the same empty schema. The template is that schema made by MLflow
itself (`SqlAlchemyStore`), kept in the user's cache (`$XDG_CACHE_HOME/abmcts/mlflow`, else
`~/.cache/abmcts/mlflow`) under the MLflow version, without its Default experiment: MLflow creates
that one when it first opens the copy, with this store's own artifact location and time, as it would
in a store it had migrated itself. Stores that exist, and non-sqlite URIs, are left to MLflow.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

SQLITE = "sqlite:///"


def seed_sqlite_store(uri: str) -> None:
    """If `uri` names a sqlite store that does not exist yet, create it from the template."""
    path = _sqlite_path(uri)
    if path is None or path.exists():
        return
    template = _template()
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.seeding")
    try:
        shutil.copyfile(template, part)
        with contextlib.suppress(FileExistsError):  # another process made the store meanwhile: theirs stays
            os.link(part, path)
    finally:
        part.unlink(missing_ok=True)


def _sqlite_path(uri: str) -> Path | None:
    """The file of a `sqlite:///<path>` URI (relative, or absolute with a fourth slash); None otherwise."""
    if not uri.startswith(SQLITE):
        return None
    rest = uri[len(SQLITE) :]
    if not rest or rest == ":memory:" or "?" in rest:
        return None
    return Path(rest)


def _template() -> Path:
    import mlflow

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "abmcts" / "mlflow"
    template = cache / f"empty-store-mlflow-{mlflow.__version__}.sqlite"
    if template.exists():
        return template
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        made = Path(scratch) / "store.sqlite"
        store = SqlAlchemyStore(f"{SQLITE}{made}", str(Path(scratch) / "artifacts"))
        store.engine.dispose()
        with contextlib.closing(sqlite3.connect(made)) as db, db:
            db.execute("DELETE FROM experiment_tags WHERE experiment_id = 0")
            db.execute("DELETE FROM experiments WHERE experiment_id = 0")
        os.replace(made, template)  # whole or absent, whoever wins a race
    return template
