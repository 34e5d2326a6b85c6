"""One asyncio event loop per process, on a daemon thread, for every coroutine the package runs.

Why one loop and not `asyncio.run` per call: the model client's limits (asyncio semaphores) and
litellm's cached HTTP clients belong to the loop they were first used on, so a client must see the
same loop for its whole life. Synchronous callers (`LLMClient.complete`, `TaskSearch.run`, the
scheduler's workers) hand their coroutine to this loop and block until it is done.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_state: dict[str, Any] = {}


def process_loop() -> asyncio.AbstractEventLoop:
    """This process's loop, started on first use (and again after a fork)."""
    with _lock:
        loop = _state.get("loop")
        thread = _state.get("thread")
        # a new loop after a fork, or when a KeyboardInterrupt/SystemExit inside a coroutine ended it
        if loop is None or _state.get("pid") != os.getpid() or thread is None or not thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="abmcts-loop", daemon=True)
            thread.start()
            _state.update(loop=loop, pid=os.getpid(), thread=thread)
        return loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on the process loop and wait for its result (not from the loop's own thread)."""
    loop = process_loop()
    if _state.get("thread") is threading.current_thread():
        coro.close()
        raise RuntimeError("run_sync called from the event loop thread; await the coroutine instead")
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result()
    except BaseException:  # e.g. KeyboardInterrupt in the waiting thread: stop the coroutine too
        future.cancel()
        raise
