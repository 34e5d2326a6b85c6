"""Run a command as if the kernel had no Landlock: `python no_landlock.py <program> [args...]`.

A seccomp filter (inherited by every child) answers the three Landlock system calls with ENOSYS,
which is what a kernel built without Landlock answers; everything else is allowed.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
LD_W_ABS, JGE_K, JGT_K, RET_K = 0x20, 0x35, 0x25, 0x06
RET_ALLOW, RET_ERRNO, ENOSYS = 0x7FFF0000, 0x00050000, 38
FIRST, LAST = 444, 446  # landlock_create_ruleset .. landlock_restrict_self


def install_filter() -> None:
    program = [
        (LD_W_ABS, 0, 0, 0),  # the system call number
        (JGE_K, 0, 2, FIRST),  # below the range: allow
        (JGT_K, 1, 0, LAST),  # above the range: allow
        (RET_K, 0, 0, RET_ERRNO | ENOSYS),
        (RET_K, 0, 0, RET_ALLOW),
    ]
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    filters = ctypes.create_string_buffer(raw, len(raw))
    fprog = struct.pack("=HxxxxxxQ", len(program), ctypes.addressof(filters))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    buf = ctypes.create_string_buffer(fprog, len(fprog))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, buf, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(SECCOMP)")


if __name__ == "__main__":
    install_filter()
    os.execv(sys.argv[1], sys.argv[1:])
