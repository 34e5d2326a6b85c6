"""A result hook whose setup is slow (an MLflow run: its import, its database) entered on a
thread, so the work it watches starts at once instead of after it.

Results that arrive before the hook is ready wait, in order, and are handed to it as soon as it
is; if the setup fails, the next result (or the end) raises its error, so the work stops as it
would have had the setup run first. The hook's exit runs on the caller's thread, with the
work's own exception, as a plain `with` would run it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

Hook = Callable[[Any], None]


class _Deferred:
    def __init__(self, manager: AbstractContextManager[Hook | None]) -> None:
        self.manager = manager
        self.lock = threading.Lock()
        self.waiting: list[Any] = []
        self.ready = False
        self.hook: Hook | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._enter, name="hook-setup", daemon=True)

    def _enter(self) -> None:
        try:
            hook = self.manager.__enter__()
        except BaseException as exc:  # raised to the caller at its next result, or at the end
            with self.lock:
                self.error, self.ready = exc, True
            return
        with self.lock:
            self.hook, self.ready = hook, True
            self._flush()

    def _flush(self) -> None:
        waiting, self.waiting = self.waiting, []
        if self.hook is not None:
            for result in waiting:
                self.hook(result)

    def finish(self) -> BaseException | None:
        """Wait for the setup; hand the hook what is still waiting. The setup's error, if any."""
        self.thread.join()
        with self.lock:
            if self.error is None:
                self._flush()
        return self.error

    def __call__(self, result: Any) -> None:
        with self.lock:
            if not self.ready:
                self.waiting.append(result)
                return
            if self.error is not None:
                raise self.error
            self._flush()
            if self.hook is not None:
                self.hook(result)


@contextmanager
def entered_in_background(manager: AbstractContextManager[Hook | None]) -> Iterator[Hook]:
    """`with manager as hook`, but `manager` is entered on a thread; yields a hook that hands each
    result on to `hook` once it is ready (see the module docstring)."""
    deferred = _Deferred(manager)
    deferred.thread.start()
    try:
        yield deferred
    except BaseException as exc:
        if deferred.finish() is None and deferred.manager.__exit__(type(exc), exc, exc.__traceback__):
            return  # the manager suppressed it, as with a plain `with`
        raise
    error = deferred.finish()
    if error is not None:
        raise error
    deferred.manager.__exit__(None, None, None)
