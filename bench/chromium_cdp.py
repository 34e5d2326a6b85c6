"""A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe` (no websocket library):
open a page, run JavaScript in it (click, wait for content), take a screenshot.

Used by bench/dashboard_screenshots.py to expand MLflow's nested runs and close pop-ups before
photographing; plain page loads go through `abmcts.treeview.browser`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from abmcts.treeview.browser import CHROMIUM_FLAGS, chromium


class Browser:
    def __init__(self, width: int = 1400, height: int = 900) -> None:
        self._profile = tempfile.TemporaryDirectory()
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # the pipe protocol: Chromium reads fd 3, writes fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self._proc = subprocess.Popen(
            [chromium(), *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile.name}",
             f"--window-size={width},{height}", "about:blank"],
            preexec_fn=wire, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.enable")

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def call(self, method: str, params: dict | None = None) -> dict[str, Any]:
        return self._call(method, params, self._session)

    def eval(self, script: str) -> Any:
        result = self.call(
            "Runtime.evaluate", {"expression": script, "returnByValue": True, "awaitPromise": True}
        )
        return result.get("result", {}).get("value")

    def goto(self, url: str, ready: str = "true", timeout_s: float = 60) -> None:
        """Navigate, then wait until the JavaScript expression `ready` is truthy."""
        self.call("Page.navigate", {"url": url})
        self.wait(ready, timeout_s)

    def wait(self, condition: str, timeout_s: float = 60) -> None:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            try:
                if self.eval(f"Boolean({condition})"):
                    return
            except RuntimeError:
                pass  # page still loading
            time.sleep(0.5)
        raise TimeoutError(f"page never satisfied {condition!r}")

    def screenshot(self, out: Path) -> Path:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self._call("Browser.close")
        self._proc.wait(timeout=30)
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self._profile.cleanup()
