"""Headless Chromium (Debian package `chromium`): a page's DOM after its scripts ran, or a PNG of it.

Used by the tree viewer's browser tests and the dashboard screenshot bench; not by the pipeline."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium() -> str:
    """The browser binary; CI installs Debian's `chromium` (.ci/run)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("chromium not found: apt-get install -y chromium (.ci/run does it)")
    return path


def _run(url: str, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def dump_dom(url: str, wait_ms: int = 0) -> str:
    extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    return _run(url, *extra, "--dump-dom").stdout


def screenshot(url: str, out: Path, size: str = "1400,900", wait_ms: int = 0) -> Path:
    extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    _run(url, *extra, f"--screenshot={out}", f"--window-size={size}")
    return out
