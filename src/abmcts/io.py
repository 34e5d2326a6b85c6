"""Atomic file output: a killed process leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from abmcts.errors import InputError


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` via a temp file in the same directory, fsync, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps_json(obj: Any) -> str:
    """Canonical compact JSON: sorted keys, no spaces, so equal content gives equal bytes."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, dumps_json(obj))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while building large acyclic data (parsed JSON, decoded
    grids): it would otherwise scan every live object again and again as the data grows, up to
    half the time of loading a run's trees; nothing it could free is made meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_json(path: str | os.PathLike, what: str) -> Any:
    """Load JSON, turning a missing or malformed file into one clear InputError."""
    return parse_json(read_bytes(path, what), path, what)


def read_bytes(path: str | os.PathLike, what: str) -> bytes:
    """A file's bytes; a missing file is one clear InputError."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{what} {path}: file not found") from None


def parse_json(data: bytes, path: str | os.PathLike, what: str) -> Any:
    """The JSON in `data`, the bytes of the file `path`, read as a UTF-8 text file (newlines
    translated); malformed JSON or text is one clear InputError naming the file."""
    try:
        text = data.decode("utf-8")
        if "\r" in text:  # what a file opened as text reads
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        with paused_gc():
            return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {path}: malformed JSON ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path}: not UTF-8 text ({exc})") from None
