"""MLflow side of the pipeline: run groups, live search progress, traces, per-task tables, tree views.

Everything here runs in the pipeline's main process, outside the search workers, and only when
`tracking.enabled`; mlflow is imported lazily. Redaction and MLflow's size limits live in
`abmcts.tracking.redact`.
"""
