"""Run untrusted `transform` programs in a pool of pre-started, locked-down worker processes.

Design (see `_worker.py` for the isolation layers and what each enforces):
  * Each worker is a *zygote*: a `python -I _worker.py` subprocess started once, numpy pre-imported,
    that forks a fresh child per program. The fork costs ~1 ms, and every program starts from the
    zygote's untouched state, so monkeypatching builtins or modules never leaks into later calls.
  * Plain subprocesses talking length-prefixed JSON over pipes, not `multiprocessing`: results come
    from untrusted code, so they must never be unpickled, and a hung or killed worker must be
    killable and replaceable (its whole process group) without disturbing a shared Pool.
  * The zygote enforces the wall-clock timeout on its child (SIGKILL) and answers at once; the
    parent keeps a backstop deadline and kills and replaces a zygote that does not answer.
  * Thread-safe: callers check a worker out of an idle list, so up to `n_workers` programs run at
    once and extra callers wait.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from abmcts.arc.task import Grid, grid_problem
from abmcts.errors import AbmctsError, InputError
from abmcts.sandbox.confinement import UnconfinedError, confinement_problem

KINDS = ("syntax", "runtime", "timeout", "memory", "bad_output", "crash", "no_transform")
WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
BACKSTOP_S = 2.0  # extra time the parent grants a zygote beyond the program timeout
START_TIMEOUT_S = 60.0  # a zygote imports numpy; generous for a loaded machine
MAX_FRAME_BYTES = 64 << 20


class SandboxError(AbmctsError):
    """The executor itself failed (closed, or a worker could not start); not a program failure."""


@dataclass(frozen=True)
class ExecResult:
    """One grid's outcome: a valid grid and no error, or no grid and an error of a known kind."""

    output: Grid | None
    error: str | None
    kind: str | None

    @property
    def ok(self) -> bool:
        return self.output is not None


class ProgramExecutor(Protocol):
    """What the search needs to run a program: `Executor`, `CachedExecutor` and test doubles."""

    def run(self, code: str, grids: list[Grid], timeout_s: float | None = None) -> list[ExecResult]: ...


def _result(raw: Any) -> ExecResult:
    """Re-validate a worker record: the child that produced it ran untrusted code."""
    if not isinstance(raw, dict):
        return ExecResult(None, "malformed result from the worker", "crash")
    output, kind, error = raw.get("output"), raw.get("kind"), raw.get("error")
    if output is not None:
        problem = grid_problem(output)
        if problem:
            return ExecResult(None, f"bad output: {problem}", "bad_output")
        return ExecResult(output, None, None)
    if kind not in KINDS:
        kind = "crash"
    return ExecResult(None, str(error)[:400] if error is not None else kind, kind)


class _Worker:
    """One zygote subprocess and its pipes; used by one thread at a time."""

    def __init__(self, config: dict[str, Any]) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }  # no API keys or other secrets reach untrusted code
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_SCRIPT), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd="/",
            start_new_session=True,
            close_fds=True,
        )
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None  # both are pipes (PIPE above)
        self.stdin, self.stdout = stdin, stdout
        self.isolation: dict[str, Any] = {}

    def wait_ready(self) -> None:
        hello = self._recv(time.monotonic() + START_TIMEOUT_S)
        if not isinstance(hello, dict) or not hello.get("hello"):
            self.kill()
            raise SandboxError("sandbox worker failed to start")
        self.isolation = hello["isolation"]

    def _recv(self, deadline: float) -> Any:
        head = self._read(4, deadline)
        if head is None:
            return None
        size = struct.unpack(">I", head)[0]
        if size > MAX_FRAME_BYTES:
            return None
        body = self._read(size, deadline)
        return None if body is None else json.loads(body)

    def _read(self, n: int, deadline: float) -> bytes | None:
        fd = self.stdout.fileno()
        buf = b""
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def call(self, data: bytes, deadline: float) -> list[Any] | None:
        """The zygote's results, or None if it died or missed the deadline (then it must be replaced)."""
        try:
            self.stdin.write(struct.pack(">I", len(data)) + data)
            self.stdin.flush()
            reply = self._recv(deadline)
        except (OSError, ValueError):
            return None
        return reply.get("results") if isinstance(reply, dict) else None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


class Executor:
    """A pool of `n_workers` sandbox zygotes; `run` executes one program on all grids in one round trip.

    Programs read only the interpreter, its standard library, numpy and their C libraries, and
    write only a scratch directory (Landlock, `landlock.py`); where the kernel cannot enforce that,
    the executor refuses to start unless `allow_unconfined=True`. `forbidden_paths` (the solutions)
    are also covered by empty mounts where namespaces are available and refused by the audit hook.
    `audit_hook=False` leaves only the OS-level layers, which the hostile-code tests use to check
    those layers alone.
    """

    def __init__(
        self,
        n_workers: int = 1,
        timeout_s: float = 2.0,
        memory_mb: int = 1024,
        cpu_s: int | None = None,
        fsize_mb: int = 8,
        forbidden_paths: Sequence[str | os.PathLike[str]] = (),
        audit_hook: bool = True,
        allow_unconfined: bool = False,
    ) -> None:
        if n_workers < 1:
            raise InputError(f"executor n_workers={n_workers!r}: must be >= 1")
        if timeout_s <= 0:
            raise InputError(f"sandbox timeout_s={timeout_s!r}: must be > 0")
        if memory_mb < 64:
            raise InputError(f"sandbox memory_mb={memory_mb!r}: must be >= 64")
        self.timeout_s = float(timeout_s)
        self.cpu_s = cpu_s
        self._config = {
            "memory_mb": int(memory_mb),
            "fsize_mb": int(fsize_mb),
            "forbidden": [os.path.realpath(p) for p in forbidden_paths],
            "audit_hook": bool(audit_hook),
        }
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        workers = [_Worker(self._config) for _ in range(n_workers)]
        try:
            for w in workers:
                w.wait_ready()
        except BaseException:
            for w in workers:
                w.kill()
            raise
        self._allow_unconfined = allow_unconfined
        problem = confinement_problem(workers[0].isolation, allow_unconfined)
        if problem:
            for w in workers:
                w.kill()
            raise UnconfinedError(problem)
        self._idle = workers
        self._all = set(workers)
        self.isolation: dict[str, Any] = dict(workers[0].isolation)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _checkout(self) -> _Worker:
        with self._cond:
            while not self._idle and not self._closed:
                self._cond.wait()
            if self._closed:
                raise SandboxError("executor is closed")
            return self._idle.pop()

    def _checkin(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is not None:
                if self._closed:
                    worker.kill()
                else:
                    self._idle.append(worker)
            self._cond.notify()

    def _replace(self, worker: _Worker) -> _Worker | None:
        """A fresh zygote for a dead or hung one; if none starts, the executor closes (callers see it)."""
        worker.kill()
        with self._cond:
            self._all.discard(worker)
            if self._closed:
                return None
        try:
            fresh = _Worker(self._config)
            fresh.wait_ready()
        except (OSError, SandboxError):
            self.close()
            raise SandboxError("a sandbox worker died and no replacement could be started") from None
        problem = confinement_problem(fresh.isolation, self._allow_unconfined)
        if problem:  # never a replacement less confined than the pool it joins
            fresh.kill()
            self.close()
            raise UnconfinedError(problem)
        with self._cond:
            self._all.add(fresh)
        return fresh

    def run(self, code: str, grids: list[Grid], timeout_s: float | None = None) -> list[ExecResult]:
        """Execute `code` once and call its `transform` on (a copy of) each grid; one result per grid."""
        if not isinstance(code, str):
            raise InputError(f"executor code: expected str, got {type(code).__name__}")
        if not grids:
            return []
        timeout = self.timeout_s if timeout_s is None else float(timeout_s)
        cpu_s = self.cpu_s if self.cpu_s is not None else int(timeout) + 1
        try:
            request = {"code": code, "grids": grids, "timeout_s": timeout, "cpu_s": cpu_s}
            data = json.dumps(request, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise InputError(f"executor grids: not JSON-serialisable lists of ints ({exc})") from None
        worker = self._checkout()
        back: _Worker | None = worker  # what returns to the pool (None: no replacement, closed)
        try:
            raw = worker.call(data, time.monotonic() + timeout + BACKSTOP_S)
            if raw is None or not isinstance(raw, list) or len(raw) != len(grids):
                alive = worker.proc.poll() is None
                back = self._replace(worker)
                kind, error = (
                    ("timeout", f"timed out after {timeout:g} s; worker replaced")
                    if alive
                    else ("crash", "sandbox worker died; replaced")
                )
                return [ExecResult(None, error, kind) for _ in grids]
            return [_result(r) for r in raw]
        except BaseException:  # e.g. KeyboardInterrupt mid-call: the zygote's state is unknown
            if back is not None:
                back = self._replace(back)
            raise
        finally:
            self._checkin(back)

    def close(self) -> None:
        """Kill every worker; waiting and later `run` calls raise SandboxError."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for w in idle:
            w.kill()
            self._all.discard(w)


_default: Executor | None = None
_default_lock = threading.Lock()


def _shutdown_default() -> None:
    global _default
    with _default_lock:
        if _default is not None:
            _default.close()
            _default = None


def default_executor() -> Executor:
    """The lazily started process-wide pool (min(2, cores) workers), closed at interpreter exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Executor(n_workers=max(1, min(2, os.cpu_count() or 1)))
            atexit.register(_shutdown_default)
        return _default


def execute(code: str, grids: list[Grid], timeout_s: float = 2.0) -> list[ExecResult]:
    """`default_executor().run(code, grids, timeout_s)`."""
    return default_executor().run(code, grids, timeout_s=timeout_s)
