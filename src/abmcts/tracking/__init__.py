"""MLflow side of the pipeline: run groups, live search progress, traces, per-task tables, tree views.

Everything here runs in the pipeline's main process, outside the search workers, and only when
`tracking.enabled`; mlflow is imported lazily. Redaction and MLflow's size limits live in
`abmcts.tracking.redact`.
"""

import os

# MLflow 3 reports usage over the network from a thread of its own: a run talks to its tracking store
# and its configured models only (an explicit MLFLOW_DISABLE_TELEMETRY=false is the user's to make)
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
