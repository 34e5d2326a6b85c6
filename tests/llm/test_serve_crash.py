"""`python -m abmcts.llm.serve` with a server that dies: non-zero exit, the signal named, the log
kept at the path it printed. A stand-in server (a small Python HTTP server that kills itself) takes
the place of llama.cpp, so this runs without the llama-cpp-python build."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from abmcts.errors import LLMError
from abmcts.llm import serve

# Answers /v1/models, writes a line to its log (stdout), then kills itself with the given signal
# after `delay` seconds (0: before it ever listens).
FAKE_SERVER = textwrap.dedent(
    """
    import http.server, os, sys, threading, time
    port, sig, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    print("fake llama server: loading model", flush=True)
    if delay == 0:
        os.kill(os.getpid(), sig)
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
            self.wfile.write(b"{}")
        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("fake llama server: ready", flush=True)
    time.sleep(delay)
    print("fake llama server: about to crash", flush=True)
    os.kill(os.getpid(), sig)
    """
)

# Runs serve.main with LocalServer.command swapped for the stand-in.
DRIVER = textwrap.dedent(
    """
    import sys
    from abmcts.llm import serve
    fake, sig, delay = sys.argv[1], sys.argv[2], sys.argv[3]
    serve.LocalServer.command = lambda self: [sys.executable, fake, str(self.port), sig, delay]
    serve.main(sys.argv[4:])
    """
)


@pytest.fixture
def fake(tmp_path: Path) -> tuple[Path, Path]:
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER)
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    return script, model


def _serve(fake: tuple[Path, Path], sig: int, delay: float) -> subprocess.CompletedProcess:
    script, model = fake
    args = [str(script), str(int(sig)), str(delay), "--model", str(model), "--startup-timeout-s", "30"]
    return subprocess.run([sys.executable, "-c", DRIVER, *args], capture_output=True, text=True, timeout=90)


def _kept_log(stderr: str) -> Path:
    first = stderr.splitlines()[0]
    path = Path(first.split("log kept: ", 1)[1].split(")", 1)[0])
    assert path.is_file(), first
    return path


def test_server_that_dies_while_serving_is_reported_with_its_signal(fake):
    done = _serve(fake, signal.SIGSEGV, 1.5)
    assert done.returncode != 0
    assert "serving model.gguf" in done.stdout and "(log: " in done.stdout
    printed = done.stdout.split("(log: ", 1)[1].split(")", 1)[0]
    assert done.stderr.startswith("error: llama.cpp server killed by signal SIGSEGV"), done.stderr
    log = _kept_log(done.stderr)
    try:
        assert str(log) == printed  # the path it printed is the log it kept
        assert "about to crash" in log.read_text()
        assert "about to crash" in done.stderr  # the tail is shown too
    finally:
        log.unlink()


def test_server_that_dies_while_starting_is_reported_with_its_signal(fake):
    done = _serve(fake, signal.SIGABRT, 0)
    assert done.returncode != 0
    assert done.stderr.startswith("error: llama.cpp server killed by signal SIGABRT"), done.stderr
    log = _kept_log(done.stderr)
    try:
        assert "loading model" in log.read_text()
    finally:
        log.unlink()


def test_context_manager_keeps_the_log_of_a_crashed_server(fake, monkeypatch):
    script, model = fake
    monkeypatch.setattr(
        serve.LocalServer, "command", lambda self: [sys.executable, str(script), str(self.port), "9", "0.5"]
    )
    with serve.LocalServer(model, startup_timeout_s=30) as server:
        server._proc.wait(timeout=30)
    assert server.log_path.is_file()  # died by itself (SIGKILL): evidence kept
    server.log_path.unlink()
    with pytest.raises(LLMError, match=r"killed by signal SIGKILL \(log kept: "):
        monkeypatch.setattr(
            serve.LocalServer, "command", lambda self: [sys.executable, str(script), str(self.port), "9", "0"]
        )
        serve.LocalServer(model, startup_timeout_s=30).start()


def test_a_server_we_stop_leaves_no_log(fake, monkeypatch):
    script, model = fake
    monkeypatch.setattr(
        serve.LocalServer, "command", lambda self: [sys.executable, str(script), str(self.port), "9", "60"]
    )
    with serve.LocalServer(model, startup_timeout_s=30) as server:
        assert server.exit_description() is None
    assert not server.log_path.exists()
