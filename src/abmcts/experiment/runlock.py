"""One live run per run directory: two searches under one run name would both pay for every call.

The search, select and score stages hold an exclusive `fcntl.flock` on `runs/<run>/run.lock`
while they work; the file names the holder (stage, pid, host) and is removed when it is done. The
kernel drops the lock when its process dies, however it dies, so a lock file that still names a
holder once the lock is ours was left by a killed process on this host: it is taken over, and said
so. A holder named on another host cannot be checked from here (flock does not reach across NFS),
so that is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from abmcts.errors import AbmctsError

_HELD: set[str] = set()  # lock files this process holds


class RunLockedError(AbmctsError):
    """Another live process works on this run directory."""


def _holder(text: str) -> dict | None:
    try:
        holder = json.loads(text)
    except json.JSONDecodeError:
        return None
    return holder if isinstance(holder, dict) else None


def _describe(holder: dict | None) -> str:
    if holder is None:
        return "an unknown process"
    return f"{holder.get('stage', '?')} (pid {holder.get('pid', '?')} on host {holder.get('host', '?')})"


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike, stage: str) -> Iterator[None]:
    """Hold the run directory's lock for `stage`; RunLockedError (one line) if a live run holds it.

    Re-entrant within a process (`pipeline/run.py` runs every stage in one process): a stage
    inside another stage's lock keeps it.
    """
    path = Path(run_dir) / "run.lock"
    key = str(path.resolve())
    if key in _HELD:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _locked(path, run_dir)
    try:
        left = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        if left:
            holder = _holder(left)
            host = socket.gethostname()
            if holder is not None and holder.get("host") not in (None, host):
                fcntl.flock(fd, fcntl.LOCK_UN)
                raise RunLockedError(
                    f"run directory {run_dir}: lock file {path} names {_describe(holder)}, another "
                    "host, which cannot be checked from here; delete the file if that run is gone"
                )
            print(
                f"run directory {run_dir}: taking over the lock {_describe(holder)} left "
                "(that process is gone)",
                file=sys.stderr,
                flush=True,
            )
        me = {"stage": stage, "pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        os.fsync(fd)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
            path.unlink()  # before the unlock: a waiting opener then finds it gone (see _locked)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _locked(path: Path, run_dir: str | os.PathLike) -> int:
    """An open descriptor of the lock file, locked by us; RunLockedError if a live process holds it.

    A holder removes the file before unlocking it, so a lock won on a file that is no longer at
    `path` is stale: try again on the new one.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 4096, 0).decode(errors="replace"))
            os.close(fd)
            raise RunLockedError(
                f"run directory {run_dir}: in use by {_describe(holder)}; wait for it to finish "
                "or use another run.name"
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
