"""Imported by the fork server the search's worker processes are forked from
(`abmcts.experiment.parallel.WorkerPool`) when a run calls remote models: litellm is imported,
configured and warmed up once there (~4 s of CPU), and every worker starts with it loaded.

Any failure is left for the workers to meet and report in one line, as they would without it.
"""

from __future__ import annotations

import contextlib

from abmcts.llm.remote import load_litellm

with contextlib.suppress(Exception):
    load_litellm()
