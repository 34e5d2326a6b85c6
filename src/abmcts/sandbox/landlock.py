"""Landlock (Linux >= 5.13): an unprivileged allowlist of what a process may read and write.

Why Landlock: it needs no root and no namespaces, it is enforced by the kernel on every file
access (C code such as sqlite3 or ctypes included, which Python's audit hook never sees), and it
survives privilege changes and fork. The sandbox zygote builds a ruleset from open path handles
and applies it to itself once started, so every forked child inherits it at no cost per program.
Everything not granted is denied: reading files and directories, writing, creating, removing,
renaming, truncating, device ioctls; from ABI 4 TCP bind/connect; from ABI 6 signals and abstract
unix sockets to processes outside the sandbox's domain.

Pure standard library (ctypes): `_worker.py` imports this file directly.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the only rights a file rule may hold
READ = READ_FILE | READ_DIR
WRITE = WRITE_FILE | TRUNCATE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | REFER

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 where Landlock is missing or disabled."""
    version = _libc.syscall(
        _SYS_CREATE_RULESET,
        ctypes.c_void_p(None),
        ctypes.c_size_t(0),
        ctypes.c_uint32(_CREATE_RULESET_VERSION),
    )
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    return _FS_BY_ABI.get(abi, (1 << 16) - 1)


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock {what}: {os.strerror(err)}")
    return result


class Ruleset:
    """An allowlist under construction; `restrict_self()` applies it to the calling process for good.

    `read` paths grant reading (and listing, for directories) beneath them; `write` paths grant
    reading, writing, creating and removing beneath them. Paths that do not exist are skipped
    (a library directory this distribution lacks), so the list can name every usual location.
    """

    def __init__(self, abi: int) -> None:
        if abi < 1:
            raise OSError("landlock is not available in this kernel")
        self.abi = abi
        self.handled_fs = _fs_rights(abi)
        handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
        scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
        fields, size = (self.handled_fs, handled_net, scoped), 24 if abi >= 6 else 16 if abi >= 4 else 8
        attr = ctypes.create_string_buffer(struct.pack("=QQQ", *fields)[:size], size)
        self.fd = _check(
            _libc.syscall(_SYS_CREATE_RULESET, attr, ctypes.c_size_t(size), ctypes.c_uint32(0)),
            "create_ruleset",
        )
        self.granted: list[tuple[str, str]] = []

    def allow(self, path: str, rights: int, label: str) -> bool:
        """Grant `rights` beneath `path` (file rules keep only the rights a file can have)."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
            allowed = (rights if is_dir else rights & FILE_RIGHTS) & self.handled_fs
            attr = ctypes.create_string_buffer(struct.pack("=Qi", allowed, fd), 12)
            _check(
                _libc.syscall(_SYS_ADD_RULE, self.fd, _RULE_PATH_BENEATH, attr, ctypes.c_uint32(0)),
                "add_rule",
            )
        finally:
            os.close(fd)
        self.granted.append((path, label))
        return True

    def restrict_self(self) -> None:
        """Confine the calling thread's process (no_new_privs must already be set); irreversible."""
        _check(_libc.syscall(_SYS_RESTRICT_SELF, self.fd, ctypes.c_uint32(0)), "restrict_self")

    def close(self) -> None:
        os.close(self.fd)
