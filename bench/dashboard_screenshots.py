"""Screenshots of the team dashboard: a small offline multirun, MLflow's UI, and a tree page.

Runs `pipeline/run.py -m search=ab_mcts_a,ab_mcts_m selection=sakana,majority_vote` (4 tasks,
16 calls each, offline models) in a scratch copy of the project, starts `mlflow server` on 127.0.0.1
with that sqlite store, and has headless Chromium photograph the experiment's runs (nested), one
run's page, a strategy's page, the traces list and one trace, the experiment overview (token usage,
latency, errors), and a tree page from `pipeline/view.py`. Chromium is driven over the DevTools
pipe (bench/chromium_cdp.py) to expand the nested runs and close MLflow's pop-ups first.
PNGs are palette-quantised (small enough for git) into --out (default docs/img/).

    python bench/dashboard_screenshots.py [--out docs/img] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from chromium_cdp import Browser  # bench/ is on sys.path when a bench script runs

REPO = Path(__file__).resolve().parent.parent
RUN = ["experiment=smoke", "data.limit=4", "search.budget=16", "executor.n_jobs=2", "tracking=mlflow_local"]
SWEEP = ["search=ab_mcts_a,ab_mcts_m", "selection=sakana,majority_vote"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cwd: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def start_server(cwd: Path, port: int) -> subprocess.Popen:
    mlflow = Path(sys.executable).with_name("mlflow")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    server = subprocess.Popen(
        [
            str(mlflow),
            "server",
            "--backend-store-uri",
            "sqlite:///mlflow.db",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip  (its own process group: the server's workers stop with it)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return server
        except OSError:
            time.sleep(1)
    server.kill()
    raise SystemExit("mlflow server did not come up within 120 s")


EXPAND_ONE_LEVEL = """(() => {
  const collapsed = Array.from(document.querySelectorAll('.ag-row button[data-component-id*=runnamecellrenderer]'))
    .filter(b => b.innerHTML.includes('M7.25 7.25V4.5'));  // the "+" icon: a collapsed parent
  collapsed.forEach(b => b.click());
  return collapsed.length;
})()"""
FIRST_LLM_SPAN = """(() => {
  const spans = Array.from(document.querySelectorAll('span'))
    .filter(e => e.children.length === 0 && (e.innerText || '').trim().startsWith('offline/'));
  if (spans.length) spans[0].click();
})()"""
CLOSE_POPUPS = """(() => {
  for (const b of document.querySelectorAll('button')) {
    if (b.getAttribute('aria-label') === 'Close' || b.innerText.trim() === 'Got it') b.click();
  }
})()"""


def shoot(browser: Browser, url: str, wait_text: str, out: Path, expand_runs: bool = False,
          open_first_trace: bool = False) -> None:  # fmt: skip
    """Load, wait for `wait_text`, tidy the page (close the assistant and tips), photograph, shrink."""
    browser.goto(url, f"document.body.innerText.includes({wait_text!r})")
    time.sleep(2)
    browser.eval(CLOSE_POPUPS)
    while expand_runs and browser.eval(EXPAND_ONE_LEVEL):
        time.sleep(1.5)
    if open_first_trace:
        browser.eval("document.querySelector('[role=row] a, [role=row] [role=link], tbody tr td a')?.click()")
        time.sleep(3)
        browser.eval(CLOSE_POPUPS)
        browser.eval(FIRST_LLM_SPAN)  # show one model call's inputs and outputs
        time.sleep(2)
    time.sleep(1)
    shrink(browser.screenshot(out))
    print(f"{out.name}: {url}")


PWN = "document.body.setAttribute('data-pwned','{}')"
HOSTILE_CODE = f'# pwn\n</code><script>{PWN.format(1)}</script><img src=x onerror="{PWN.format(2)}">\n```\n<script>{PWN.format(3)}</script>'


def log_hostile_trace(work: Path) -> str:
    """A trace whose model wrote markup, in its own experiment; returns that experiment's id."""
    from mlflow.tracking import MlflowClient

    from abmcts.tracking.traces import TraceWriter, task_trace

    uri = f"sqlite:///{work / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("abmcts-xss-check")
    run_id = client.create_run(experiment, run_name="xss-check").info.run_id
    node = {
        "id": 0, "parent": None, "model": "offline/evil", "prompt_hash": "p", "sample_index": 0,
        "code": HOSTILE_CODE, "reward": 0.0, "train_correct": [False], "train_outputs": [None],
        "test_outputs": [None], "prompt_tokens": 100, "completion_tokens": 10, "cost": 0.0,
        "latency_s": 0.5, "error": f"<img src=x onerror=\"{PWN.format(4)}\">", "exec_errors": None,
    }  # fmt: skip
    writer = TraceWriter(uri, experiment, run_id)
    writer.add(task_trace("xss00000", [node], [False], time.time_ns()))
    writer.flush()
    return experiment


def check_hostile_trace(browser: Browser, url: str) -> None:
    """Open the hostile call in MLflow's trace view: its markup must show as text and never run."""
    browser.goto(url, "document.body.innerText.includes('xss00000')")
    time.sleep(2)
    browser.eval(CLOSE_POPUPS)
    browser.eval("document.querySelector('[role=row] a, [role=row] [role=link]')?.click()")
    time.sleep(3)
    browser.eval(CLOSE_POPUPS)
    browser.eval(FIRST_LLM_SPAN)
    time.sleep(3)
    pwned = browser.eval("document.body.getAttribute('data-pwned')")
    shown = browser.eval(f"document.body.innerText.includes({PWN.format(1)!r})")
    print(
        f"hostile trace in MLflow's UI: markup shown as text: {shown}; injected script ran: {pwned is not None}"
    )
    if pwned is not None or not shown:
        raise SystemExit("MLflow's trace view ran or hid LLM-written markup")


def shrink(png: Path) -> None:
    """Palette-quantise (256 colours): UI screenshots shrink ~4x and stay readable."""
    from PIL import Image

    with Image.open(png) as image:
        image.convert("RGB").quantize(colors=256).save(png, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "img"))
    parser.add_argument("--keep", help="run in this directory and keep it (default: a temp dir)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))

    work = Path(args.keep or tempfile.mkdtemp(prefix="dashboard-"))
    for name in ("conf", "pipeline"):
        shutil.copytree(REPO / name, work / name, dirs_exist_ok=True)
    start = time.perf_counter()
    run(work, "pipeline/run.py", "-m", *RUN, *SWEEP)
    print(f"multirun: {time.perf_counter() - start:.1f} s")
    view = run(work, "pipeline/view.py", *RUN, "search=ab_mcts_m", "00d62c1b").strip().splitlines()[-1]

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    exp = client.get_experiment_by_name("abmcts-arc").experiment_id
    pipeline = client.search_runs(
        [exp], "tags.`abmcts.kind` = 'pipeline'", order_by=["attribute.start_time ASC"]
    )[0]
    child = client.search_runs([exp], f"tags.`mlflow.parentRunId` = '{pipeline.info.run_id}'")[0]

    xss_experiment = log_hostile_trace(work)
    port = free_port()
    server = start_server(work, port)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{port}/#/experiments/{exp}"
    browser = Browser()
    try:
        shoot(browser, f"{base}/runs?startTime=ALL", "multirun", out / "mlflow_runs.png", expand_runs=True)
        shoot(browser, f"{base}/runs/{pipeline.info.run_id}", "Child runs", out / "mlflow_run.png")
        shoot(browser, f"{base}/runs/{child.info.run_id}", "Parent run", out / "mlflow_child_run.png")
        shoot(browser, f"{base}/traces?startTime=ALL", "task_id", out / "mlflow_traces.png")
        shoot(
            browser,
            f"{base}/traces?startTime=ALL",
            "task_id",
            out / "mlflow_trace.png",
            open_first_trace=True,
        )
        shoot(browser, f"{base}/overview/usage?startTime=ALL", "Token", out / "mlflow_overview.png")
        shoot(browser, f"{(work / view).resolve().as_uri()}#node-2", "code", out / "tree_view.png")
        check_hostile_trace(
            browser, f"http://127.0.0.1:{port}/#/experiments/{xss_experiment}/traces?startTime=ALL"
        )
    finally:
        browser.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    for png in sorted(out.glob("*.png")):
        print(f"{png}: {png.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
