"""Where a run came from, as MLflow tags: the entry point and git commit (MLflow's own tags, shown
as the run's Source and Version), config fingerprint, package versions, lock digest and data version, all from
`abmcts.experiment.provenance.run_provenance` (the one definition)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from abmcts.experiment.config import RootConfig
from abmcts.experiment.provenance import run_provenance

GIT_TAG = "mlflow.source.git.commit"
SOURCE_NAME, SOURCE_TYPE = "mlflow.source.name", "mlflow.source.type"  # the UI's Source column


def source_name() -> str:
    """The entry point that ran (`pipeline/run.py`), relative to the working directory when inside it."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else Path("python")
    return str(script.relative_to(Path.cwd())) if script.is_relative_to(Path.cwd()) else script.name


def provenance_tags(cfg: RootConfig) -> dict[str, str]:
    info = run_provenance(cfg)
    tags = {
        "abmcts.fingerprint": str(info["fingerprint"]),
        "abmcts.data_version": str(info["data_version"]),
        "abmcts.lock": str(info.get("lock") or "none"),
        "abmcts.packages": json.dumps(info.get("packages") or {}, sort_keys=True),
        SOURCE_NAME: source_name(),
        SOURCE_TYPE: "LOCAL",
    }
    if info.get("git_commit"):
        tags[GIT_TAG] = str(info["git_commit"])
    return tags
