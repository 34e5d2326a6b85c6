"""Sandbox zygote: a pre-started process that forks one fresh, locked-down child per program.

Started by `abmcts.sandbox.pool` as `python -I _worker.py <config-json>`; it imports nothing from
abmcts so it starts fast, pre-imports numpy once, and then loops: read a request frame, fork a
child, let the child run the program on every grid, relay the results. Forking per program gives
every program a clean interpreter (no monkeypatch survives) for about a millisecond.

Frames on the protocol pipes are a 4-byte big-endian length followed by UTF-8 JSON. The child
reports to the zygote as JSON lines; nothing from untrusted code is ever unpickled.

Layers, outer to inner (each best effort, reported in the hello frame as `isolation`):
  * zygote namespaces: a private mount namespace (tmpfs over /tmp, /var/tmp, /dev/shm and over
    every forbidden path) and an empty network namespace (no interface is up, so no socket can
    reach anything, loopback included). As root directly; otherwise inside a user namespace.
  * zygote Landlock allowlist (`landlock.py`, `build_ruleset`), applied to the zygote once it has
    started, so every child inherits it: read only the standard library, numpy and the loaded C
    libraries, write only the scratch dir; no TCP; no signals out of the sandbox. Unlike the other
    layers it is not best effort: without it the executor refuses to run programs (`confinement.py`).
  * child: rlimits (address space, CPU, file size, no new processes, few fds, no core), a private
    temp dir as cwd, stdio to /dev/null, parent-death signal, then privileges dropped: root
    becomes `nobody` (so RLIMIT_NPROC applies, root-owned files are read-only, root processes
    can be neither signalled nor ptraced/read); a non-root zygote enters a nested user namespace,
    which leaves the child no capability over the zygote's namespaces.
  * in-process audit hook (PEP 578): refuses sockets, process creation, signals to other
    processes, ctypes loading, opening forbidden paths and any write outside the temp dir.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
import types
from typing import TYPE_CHECKING, Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

# Modules generated programs commonly use, loaded once here so children inherit them for free.
import collections  # noqa: E402,F401
import copy  # noqa: E402,F401
import functools  # noqa: E402,F401
import itertools  # noqa: E402,F401
import math  # noqa: E402,F401
import typing  # noqa: E402,F401

numpy: types.ModuleType | None
try:
    import numpy  # noqa: F401
except ImportError:  # the executor still works for pure-python programs
    numpy = None

if TYPE_CHECKING:  # the same module, as the type checker finds it
    from abmcts.sandbox import landlock
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import landlock  # this package's landlock.py (stdlib only); -I keeps the package itself off sys.path
    finally:
        del sys.path[0]

MAX_SIDE = 30
MAX_REPORT_BYTES = 1 << 20
MAX_ERROR_CHARS = 400
NOBODY = 65534

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

_libc = ctypes.CDLL(None, use_errno=True)


# ---------------------------------------------------------------- framing


def read_exact(fd: int, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def send_frame(fd: int, obj: object) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    write_all(fd, struct.pack(">I", len(data)) + data)


def recv_frame(fd: int) -> Any:  # the JSON value of one frame, None at end of input
    head = read_exact(fd, 4)
    if head is None:
        return None
    body = read_exact(fd, struct.unpack(">I", head)[0])
    return None if body is None else json.loads(body)


# ---------------------------------------------------------------- zygote isolation


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if _libc.mount(enc[0], enc[1], enc[2], flags, enc[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    if _libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def setup_namespaces(forbidden: list[str]) -> dict[str, bool | int]:  # main adds the Landlock ABI (int)
    """Private mounts + empty network namespace for this zygote and its children; best effort."""
    uid, gid = os.getuid(), os.getgid()
    iso: dict[str, bool | int] = {
        "namespaces": False,
        "network": False,
        "private_tmp": False,
        "forbidden_mounts": False,
    }
    iso["imports_visible"] = uid != 0
    try:
        if uid == 0:
            _unshare(CLONE_NEWNS | CLONE_NEWNET)
        else:
            _unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
        _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    except OSError:
        return iso
    iso["namespaces"] = iso["network"] = True
    try:
        for path in forbidden:
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
            elif os.path.exists(path):
                _mount("/dev/null", path, None, MS_BIND, None)
        iso["forbidden_mounts"] = True
        imports = [os.path.realpath(p) for p in (*sys.path, sys.prefix) if p and os.path.isdir(p)]
        for path in ("/tmp", "/var/tmp", "/dev/shm"):
            if os.path.isdir(path):
                _mask_keeping(path, imports)
        iso["private_tmp"] = True
        if uid == 0:
            _expose_to_nobody([p for p in sys.path if p and os.path.isdir(p)])
            iso["imports_visible"] = True
    except OSError:
        pass
    return iso


def _mask_keeping(masked: str, keep: list[str]) -> None:
    """Cover `masked` with an empty tmpfs, then bind back the `keep` paths that lie inside it.

    A project (and its venv) may live under /tmp; programs must still import numpy from there.
    Handles on the kept directories are opened before the tmpfs hides them.
    """
    root = os.path.realpath(masked)
    inside = sorted({p for p in keep if p == root or p.startswith(root + os.sep)})
    handles = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in inside]
    try:
        _mount("tmpfs", masked, "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,mode=1777")
        for path, fd in handles:
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
    finally:
        for _, fd in handles:
            os.close(fd)


def _closed_ancestor(path: str) -> str | None:
    """The highest directory above `path` that others may not traverse (e.g. /root), or None."""
    cur = "/"
    for part in os.path.realpath(path).split(os.sep)[1:]:
        if not os.stat(cur).st_mode & 0o001:
            return cur
        cur = os.path.join(cur, part)
    return None


def _expose_to_nobody(paths: list[str]) -> None:
    """Make the import paths readable for `nobody` when they sit under a closed dir like /root.

    In this private mount namespace the closed dir is covered by an empty 0755 tmpfs into which
    only the needed subtrees are bind-mounted back, so the rest of it (keys, caches) stays hidden.
    """
    stash = tempfile.mkdtemp(prefix="stash-", dir="/tmp")  # 0700: nobody cannot look inside
    done: list[str] = []
    for path in sorted(os.path.realpath(p) for p in paths):
        closed = _closed_ancestor(path)
        if closed is None or any(path == d or path.startswith(d + os.sep) for d in done):
            continue
        saved = os.path.join(stash, closed.strip(os.sep).replace(os.sep, "_"))
        if not os.path.isdir(saved):
            os.mkdir(saved)
            _mount(closed, saved, None, MS_BIND | MS_REC, None)
            _mount("tmpfs", closed, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(os.path.join(saved, os.path.relpath(path, closed)), path, None, MS_BIND | MS_REC, None)
        done.append(path)


# ---------------------------------------------------------------- confinement (Landlock)


def _stdlib_entries() -> list[str]:
    """Every entry of the standard library directories except the site-packages inside them."""
    import sysconfig

    entries: set[str] = set()
    for key in ("stdlib", "platstdlib"):
        root = sysconfig.get_paths().get(key)
        if root and os.path.isdir(root):
            entries.update(
                os.path.join(root, name)
                for name in os.listdir(root)
                if name not in ("site-packages", "dist-packages")
            )
    return sorted(entries)


def _mapped_files() -> list[str]:
    """The shared objects this zygote has loaded (interpreter, libc, numpy's libraries)."""
    paths: set[str] = set()
    with open("/proc/self/maps") as fh:
        for line in fh:
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith("/") and not parts[5].rstrip().endswith("(deleted)"):
                paths.add(parts[5].rstrip("\n"))
    return sorted(paths)


def _system_library_dirs() -> list[str]:
    """Where lazily imported stdlib extensions find their C libraries (libffi, libsqlite3, ...)."""
    import sysconfig

    arch = sysconfig.get_config_var("MULTIARCH") or ""
    return [os.path.join(base, arch) for base in ("/lib", "/usr/lib", "/lib64", "/usr/lib64") if arch]


def build_ruleset(abi: int, scratch: str) -> landlock.Ruleset:
    """What a program may touch: read the interpreter, its standard library, numpy and the C
    libraries they load; read and write its scratch directory. Nothing else: no other installed
    package (an ARC dataset package holds every answer), no checkout, data, runs, caches or home."""
    rules = landlock.Ruleset(abi)
    reads = [("stdlib", p) for p in _stdlib_entries()]
    if numpy is not None and numpy.__file__:
        numpy_dir = os.path.dirname(numpy.__file__)
        reads += [("numpy", numpy_dir), ("numpy", os.path.join(os.path.dirname(numpy_dir), "numpy.libs"))]
    reads += [("loaded library", p) for p in _mapped_files()]
    reads += [("system libraries", p) for p in _system_library_dirs()]
    reads += [("device", p) for p in ("/etc/ld.so.cache", "/dev/zero", "/dev/urandom", "/dev/random")]
    for label, path in reads:
        rules.allow(path, landlock.READ, label)
    rules.allow("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE, "device")
    rules.allow(scratch, landlock.READ | landlock.WRITE, "scratch")
    return rules


def confine_self(abi: int, scratch: str) -> bool:
    """Apply the allowlist to this zygote, so every child inherits it at fork for free (a ruleset of
    ~250 rules applied per child cost ~0.5 ms a fork). The zygote itself needs nothing more after
    start-up than its pipes and the scratch directory. False when the kernel refused."""
    try:
        rules = build_ruleset(abi, scratch)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        rules.restrict_self()
        rules.close()
    except OSError:
        return False
    return True


# ---------------------------------------------------------------- child side


class _Discard:
    """Stands in for sys.stdout/stderr: accepts and drops everything, so printing costs little."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _error_text(exc: BaseException) -> str:
    """`line N: Type: message` pointing into the program, capped."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<program>":
            where = f"line {frame.lineno}: "
    try:
        text = f"{where}{type(exc).__name__}: {exc}"
    except Exception:
        text = f"{where}{type(exc).__name__}"
    return text[:MAX_ERROR_CHARS]


def _exc_kind(exc: BaseException) -> str:
    return "memory" if isinstance(exc, MemoryError) else "runtime"


def normalise(out: object) -> tuple[list[list[int]] | None, str | None]:
    """numpy arrays / tuples -> list of lists of int; (None, reason) for anything that is not a grid."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(out, np.ndarray):
        if out.ndim != 2 or out.dtype.kind not in "iu":
            return None, f"array of shape {out.shape} and dtype {out.dtype}, need a 2-D integer array"
        if not (0 < out.shape[0] <= MAX_SIDE and 0 < out.shape[1] <= MAX_SIDE):
            return None, f"array of shape {out.shape}, sides must be 1..{MAX_SIDE}"
        out = out.tolist()
    if not isinstance(out, list | tuple):
        return None, f"returned {type(out).__name__}, need a list of rows"
    if not 0 < len(out) <= MAX_SIDE:
        return None, f"grid has {len(out)} rows, need 1..{MAX_SIDE}"
    grid: list[list[int]] = []
    for r, row in enumerate(out):
        if np is not None and isinstance(row, np.ndarray):
            row = row.tolist() if row.ndim == 1 and row.dtype.kind in "iu" else None
        if not isinstance(row, list | tuple) or not 0 < len(row) <= MAX_SIDE:
            return None, f"row {r} is not a list of 1..{MAX_SIDE} cells"
        cells = []
        for c, v in enumerate(row):
            if type(v) is not int:
                if np is not None and isinstance(v, np.integer):
                    v = int(v)
                else:
                    return None, f"cell ({r},{c}) is a {type(v).__name__}, need an int 0..9"
            if not 0 <= v <= 9:
                return None, f"cell ({r},{c}) is {v}, need 0..9"
            cells.append(v)
        if grid and len(cells) != len(grid[0]):
            return None, f"ragged grid: row {r} has {len(cells)} cells, row 0 has {len(grid[0])}"
        grid.append(cells)
    return grid, None


def _audit_hook(sandbox_dir: str, forbidden: list[str]):
    """PEP 578 hook refusing network, processes, signals, ctypes and file access outside the sandbox."""
    blocked = {
        "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
        "os.forkpty", "os.killpg", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "pty.spawn",
        "os.startfile", "sys.remote_exec", "os.setuid", "os.chroot",
    }  # fmt: skip
    path_write_events = {
        "os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.chmod", "os.chown", "os.link",
        "os.symlink", "os.truncate", "os.utime", "os.mkfifo", "os.mknod", "shutil.rmtree",
        "shutil.copyfile", "shutil.move",
    }  # fmt: skip
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    root = os.path.realpath(sandbox_dir)
    deny = [os.path.realpath(p) for p in forbidden]
    me = os.getpid()
    abspath, fsdecode = os.path.abspath, os.fsdecode

    def under(path: str, base: str) -> bool:
        return path == base or path.startswith(base + os.sep)

    def resolve(path: Any) -> str | None:  # any audit event argument; only paths resolve
        if isinstance(path, int):
            return None
        try:
            return abspath(fsdecode(path))
        except Exception:
            return None

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            if any(under(path, d) for d in deny):
                raise PermissionError(f"sandbox: {path} is forbidden")
            mode, flags = args[1], args[2]
            writing = bool(flags & write_flags) if isinstance(flags, int) and flags else False
            writing = writing or (isinstance(mode, str) and any(ch in mode for ch in "wax+"))
            if writing and not under(path, root):
                raise PermissionError(f"sandbox: writing {path} outside the sandbox dir")
        elif event in blocked or event.startswith("socket."):
            raise PermissionError(f"sandbox: {event} is not allowed")
        elif event == "os.kill":
            if args[0] != me:
                raise PermissionError("sandbox: signals to other processes are not allowed")
        elif event in path_write_events:
            for arg in args[:2]:
                path = resolve(arg) if isinstance(arg, str | bytes | os.PathLike) else None
                if path is not None and not under(path, root):
                    raise PermissionError(f"sandbox: {event} on {path} outside the sandbox dir")

    return hook


def _limit(which: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass


def _child(report_fd: int, sandbox_dir: str, req: dict, cfg: dict, zygote_pid: int) -> None:
    """Runs in the forked child: lock down, run the program on each grid, report JSON lines."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, report_fd)
    os.closerange(report_fd + 1, 1 << 16)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    mem = int(cfg["memory_mb"]) << 20
    _limit(resource.RLIMIT_AS, mem)
    _limit(resource.RLIMIT_DATA, mem)
    _limit(resource.RLIMIT_CPU, int(req["cpu_s"]))
    _limit(resource.RLIMIT_FSIZE, int(cfg["fsize_mb"]) << 20)
    _limit(resource.RLIMIT_NOFILE, 64)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_NPROC, 0)
    os.chdir(sandbox_dir)
    os.environ.update(TMPDIR=sandbox_dir, HOME=sandbox_dir)
    tempfile.tempdir = sandbox_dir
    if cfg["drop_to_nobody"]:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    elif cfg["nested_userns"]:
        _libc.unshare(CLONE_NEWUSER)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # After the credential change, which clears it; the zygote is single-threaded, so it fires on its death.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != zygote_pid:
        os._exit(3)
    if cfg["audit_hook"]:
        sys.addaudithook(_audit_hook(sandbox_dir, cfg["forbidden"]))
    sys.stdout = sys.stderr = _Discard()
    sys.stdin = None

    dumps, write = json.dumps, os.write  # bound now: the program may patch the modules

    def report(record: dict) -> None:
        view = memoryview(dumps(record, separators=(",", ":")).encode() + b"\n")
        while view:
            view = view[write(report_fd, view) :]

    try:
        program = compile(req["code"], "<program>", "exec")
    except BaseException as exc:  # SyntaxError, ValueError (null bytes), MemoryError, RecursionError
        kind = "memory" if isinstance(exc, MemoryError) else "syntax"
        report({"all": True, "kind": kind, "error": _error_text(exc)})
        return
    namespace = {"__name__": "__program__", "__builtins__": __builtins__}
    try:
        exec(program, namespace)
    except BaseException as exc:  # the program may raise anything, SystemExit included
        report({"all": True, "kind": _exc_kind(exc), "error": _error_text(exc)})
        return
    transform = namespace.get("transform")
    if not callable(transform):
        report({"all": True, "kind": "no_transform", "error": "the program defines no callable `transform`"})
        return
    for grid in req["grids"]:  # each grid is a fresh object decoded from JSON: no copy needed
        try:
            out = transform(grid)
        except BaseException as exc:
            report({"kind": _exc_kind(exc), "error": _error_text(exc)})
            continue
        try:
            output, problem = normalise(out)
        except BaseException as exc:  # e.g. a hostile __iter__ or __len__
            output, problem = None, _error_text(exc)
        if output is None:
            report({"kind": "bad_output", "error": f"bad output: {problem}"[:MAX_ERROR_CHARS]})
        else:
            report({"output": output})


# ---------------------------------------------------------------- zygote side


def _collect(rfd: int, pid: int, deadline: float) -> tuple[list[dict], str | None]:
    """Read the child's JSON lines until EOF or the deadline; kill it on timeout or flood."""
    data = b""
    cut = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            cut = "timeout"
            break
        ready, _, _ = select.select([rfd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REPORT_BYTES:
            cut = "flood"
            break
    if cut:
        os.kill(pid, signal.SIGKILL)
    records = []
    for line in data.split(b"\n")[:-1] if cut != "flood" else []:
        try:
            rec = json.loads(line)
        except ValueError:
            break
        if not isinstance(rec, dict):
            break
        records.append(rec)
    return records, cut


def _death_reason(status: int, cut: str | None, timeout_s: float, cpu_s: int) -> tuple[str, str]:
    if cut == "timeout":
        return "timeout", f"timed out after {timeout_s:g} s (wall clock)"
    if cut == "flood":
        return "crash", "the program wrote too much output to the result channel"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "timeout", f"CPU limit of {cpu_s} s exceeded"
        return "crash", f"the process died from signal {signal.Signals(sig).name}"
    return "crash", f"the process exited (status {os.waitstatus_to_exitcode(status)}) before returning"


def _fresh_dir(base_dir: str, cfg: dict) -> str:
    """The program's private cwd: `base/run`, recreated only when the previous program left traces."""
    path = os.path.join(base_dir, "run")
    try:
        st = os.lstat(path)
        if st.st_mode == 0o40700 and st.st_nlink == 2 and not os.listdir(path):
            return path
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    os.mkdir(path, 0o700)
    if cfg["drop_to_nobody"]:
        os.chown(path, NOBODY, NOBODY)
    return path


def run_program(req: dict, cfg: dict, base_dir: str) -> list[dict]:
    n = len(req["grids"])
    timeout_s = float(req["timeout_s"])
    sandbox_dir = _fresh_dir(base_dir, cfg)
    rfd, wfd = os.pipe()
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            _child(wfd, sandbox_dir, req, cfg, zygote_pid)
        finally:
            os._exit(0)
    os.close(wfd)
    try:
        records, cut = _collect(rfd, pid, time.monotonic() + timeout_s)
    finally:
        os.close(rfd)
    _, status = os.waitpid(pid, 0)
    _fresh_dir(base_dir, cfg)  # remove what the program wrote now, not at the next call
    if records and records[0].get("all"):
        rec = records[0]
        return [{"output": None, "kind": rec.get("kind"), "error": rec.get("error")}] * n
    results = [
        {"output": r.get("output"), "kind": r.get("kind"), "error": r.get("error")} for r in records[:n]
    ]
    if len(results) < n:
        kind, error = _death_reason(status, cut, timeout_s, int(req["cpu_s"]))
        results += [{"output": None, "kind": kind, "error": error}] * (n - len(results))
    return results


def main() -> None:
    cfg = json.loads(sys.argv[1])
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    uid = os.getuid()
    iso = setup_namespaces(cfg["forbidden"])
    cfg["nested_userns"] = iso["namespaces"] and uid != 0
    # Dropping to nobody needs the import paths readable by nobody; else the child stays root.
    cfg["drop_to_nobody"] = iso["drop_to_nobody"] = uid == 0 and iso["imports_visible"]
    iso["audit_hook"] = bool(cfg["audit_hook"])
    base_dir = tempfile.mkdtemp(prefix="abmcts-sandbox-")
    os.chmod(base_dir, 0o711)
    iso["landlock"] = landlock.abi_version()
    iso["confined"] = bool(iso["landlock"]) and confine_self(iso["landlock"], base_dir)
    gc.freeze()  # children then neither scan nor copy-on-write the zygote's objects during GC
    try:
        send_frame(out_fd, {"hello": True, "pid": os.getpid(), "isolation": iso})
        while True:
            req = recv_frame(in_fd)
            if req is None:
                return
            send_frame(out_fd, {"results": run_program(req, cfg, base_dir)})
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
