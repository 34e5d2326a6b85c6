"""Where a run came from, as MLflow tags: git commit (MLflow's own tag, shown as the run's source
version), config fingerprint, package versions, lock digest and data version, all from
`abmcts.experiment.provenance.run_provenance` (the one definition)."""

from __future__ import annotations

import json

from abmcts.experiment.config import RootConfig
from abmcts.experiment.provenance import run_provenance

GIT_TAG = "mlflow.source.git.commit"


def provenance_tags(cfg: RootConfig) -> dict[str, str]:
    info = run_provenance(cfg)
    tags = {
        "abmcts.fingerprint": str(info["fingerprint"]),
        "abmcts.data_version": str(info["data_version"]),
        "abmcts.lock": str(info.get("lock") or "none"),
        "abmcts.packages": json.dumps(info.get("packages") or {}, sort_keys=True),
    }
    if info.get("git_commit"):
        tags[GIT_TAG] = str(info["git_commit"])
    return tags
