"""The four pipeline stages, one module each, as plain functions of a validated config.

Each stage module imports only what its own work needs, so `dvc.yaml` can list exactly the code a
stage depends on (checked by tests/experiment/test_dvc_deps.py).
"""
