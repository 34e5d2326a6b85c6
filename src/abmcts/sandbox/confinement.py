"""Whether generated code may run here: the kernel must confine it, or the user must opt out.

Containment is the kernel's Landlock allowlist (`landlock.py`, applied by `_worker.py`); the other
layers (namespaces, privilege drop, rlimits, audit hook) narrow what a program can do, but none
of them hides the installed dataset package or the checkout from it. Without Landlock we refuse
unless the user sets `sandbox.allow_unconfined=true`, and then say once what is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from abmcts.errors import AbmctsError
from abmcts.sandbox import landlock

log = logging.getLogger(__name__)


class UnconfinedError(AbmctsError):
    """This machine cannot confine generated programs and the user did not opt out."""


UNCONFINED_LOSS = (
    "generated programs could read every file your user can read (installed ARC data with every test "
    "output, the checkout, data/, runs/, caches, your home directory) and write where your user can"
)


def confinement_problem(isolation: dict[str, Any], allow_unconfined: bool) -> str | None:
    """Why generated code must not run here (one line naming the setting that opts out), or None."""
    if isolation.get("confined") or allow_unconfined:
        return None
    why = (
        "this kernel has no Landlock (Linux >= 5.13 with 'landlock' in /sys/kernel/security/lsm)"
        if not isolation.get("landlock")
        else "the Landlock allowlist could not be applied"
    )
    return (
        f"sandbox: {why}; set sandbox.allow_unconfined=true to run generated programs anyway, "
        f"knowing that {UNCONFINED_LOSS}"
    )


def preflight(allow_unconfined: bool) -> None:
    """Before any work: refuse (UnconfinedError) or warn once when this kernel cannot confine programs."""
    abi = landlock.abi_version()
    problem = confinement_problem({"landlock": abi, "confined": abi > 0}, allow_unconfined)
    if problem:
        raise UnconfinedError(problem)
    if abi == 0:
        log.warning("sandbox.allow_unconfined=true on a kernel without Landlock: %s", UNCONFINED_LOSS)
