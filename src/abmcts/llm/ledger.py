"""The run's spend ledger: every request to a paid model is written down before it leaves.

Caps must hold against what the provider bills, not against what the tree files record: answers
without `usage`, answers that yield no program, retries, and calls in flight when a process is
killed are all billed. So each attempt of each request is an entry in a SQLite file in the run
directory (WAL, `synchronous=FULL`: a commit is on disk before the request is sent):

* reserved (open) at its worst case (`abmcts.llm.pricing.worst_case_cost`) before it is sent,
  in one transaction that checks the caps against settled + open entries;
* settled to what the provider billed when the answer or the error arrives (`Bill`): `usage`
  priced, or the worst case when the answer has no usage (`usage_missing`) or the failure may
  have been billed (`billed_unknown`: a timeout, a cut-off body); a provider's error response
  (429, 5xx, 4xx) bills nothing;
* on start (`recover`, under the run lock, so no live process owns an open entry), an entry a
  killed process left open counts at its worst case, unless the response cache holds its answer.

The run's worker processes share the file; SQLite's locking serialises their reservations. An
entry counts `billed` once settled, its `worst` while open. Offline models and cache hits send
nothing, so they have no entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from abmcts.errors import LLMError
from abmcts.sqlite_store import connect_wal_schema

# Why a search (or a judge call) was not sent: a task's tree records it as its `stop_reason`.
RUN_CAP, TASK_CAP, OVER_MAX_TOKENS = "run_cost_cap", "task_cost_cap", "over_max_tokens"
# How an entry's billed amount was found when it is not the priced `usage` of the answer.
USAGE_MISSING, BILLED_UNKNOWN, UNUSED = "usage_missing", "billed_unknown", "unused"
RECOVERED_OPEN, RECOVERED_CACHED, CARRIED = "recovered_open", "recovered_cached", "carried"
SEARCH, SELECT = "search", "select"
WAIT_POLL_S = 0.05  # how often a waiting reservation looks again for room

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS entries (
        id INTEGER PRIMARY KEY,
        stage TEXT NOT NULL,
        task TEXT,
        model TEXT NOT NULL,
        key TEXT,
        attempt INTEGER NOT NULL,
        worst REAL,
        billed REAL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        max_tokens INTEGER,
        flag TEXT,
        owner TEXT NOT NULL,
        reserved_at REAL NOT NULL,
        settled_at REAL)""",
    "CREATE INDEX IF NOT EXISTS entries_open ON entries (billed) WHERE billed IS NULL",
    "CREATE TABLE IF NOT EXISTS blocked (model TEXT PRIMARY KEY, detail TEXT NOT NULL)",
)
# what an entry counts: its bill once settled, its worst case while open (0: an unpriced model, uncapped)
_COUNTED = "COALESCE(billed, worst, 0)"


class SpendStopped(Exception):
    """A request was not sent: `reason` is RUN_CAP, TASK_CAP or OVER_MAX_TOKENS."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True)
class Draft:
    """One attempt of one request, as it is reserved."""

    stage: str
    task: str | None
    model: str
    key: str
    worst: float | None  # USD; None for an unpriced or unbounded model (only without a cap)
    max_tokens: int | None
    attempt: int = 0


@dataclass(frozen=True)
class Bill:
    """What one attempt cost, as far as we can tell (see the module docstring)."""

    billed: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    flag: str | None = None


@dataclass
class Totals:
    """The ledger summed: `counted` (settled + open) is what the caps are checked against."""

    settled: float = 0.0
    open: float = 0.0
    n_open: int = 0
    entries: int = 0
    by_stage: dict[str, float] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)  # entries per flag
    flagged_usd: dict[str, float] = field(default_factory=dict)  # USD counted per flag

    @property
    def counted(self) -> float:
        return self.settled + self.open


@dataclass(frozen=True)
class Refusal:
    """Why a reservation did not fit: the cap, room left, what it needed, entries still open."""

    reason: str
    left: float
    need: float
    n_open: int


@dataclass(frozen=True)
class Reserve:
    """A reservation of drafts (all or none) under the caps, as one op of `SpendLedger.commit`."""

    drafts: tuple[Draft, ...]
    run_cap: float | None = None
    task_cap: float | None = None

    @property
    def need(self) -> float:
        return sum(d.worst or 0.0 for d in self.drafts)

    @property
    def tasks(self) -> set[str]:
        """The tasks whose search cap applies (the judge's calls are no task's spend)."""
        return {d.task for d in self.drafts if d.stage == SEARCH and d.task is not None}


@dataclass(frozen=True)
class Settle:
    """An entry settled to its bill, as one op of `SpendLedger.commit`."""

    entry_id: int
    bill: Bill


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SpendLedger:
    """The ledger file (see the module docstring); one connection per thread and process.

    The file is created by the first write, so a run that never sends a paid request (or fails
    before it does) leaves none; reading a ledger that does not exist reads an empty one.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._local = threading.local()
        if self.path.exists():
            self._connect()  # fail fast on a foreign or corrupted file

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        try:
            conn = connect_wal_schema(self.path, *_SCHEMA)
            conn.execute("PRAGMA synchronous=FULL")  # a reservation is on disk before its request leaves
        except sqlite3.DatabaseError as exc:
            raise LLMError(f"spend ledger {self.path}: not a usable SQLite database ({exc})") from None
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise LLMError(f"spend ledger {self.path}: write failed ({exc})") from None
        return result

    def reserve(
        self, drafts: Sequence[Draft], run_cap: float | None = None, task_cap: float | None = None
    ) -> list[int] | Refusal:
        """Open one entry per draft if their worst cases fit under both caps (all or none)."""
        result = self.commit([Reserve(tuple(drafts), run_cap, task_cap)])[0]
        assert result is not None  # a reservation's result is its entries or a refusal, never None
        return result

    def settle(self, entry_id: int, bill: Bill) -> None:
        self.commit([Settle(entry_id, bill)])

    def commit(self, ops: Sequence[Reserve | Settle]) -> list[list[int] | Refusal | None]:
        """Reservations and settlements, in order, in one transaction: one wait on the disk for all.

        Each reservation is decided as `reserve` decides it alone, seeing the ops before it;
        a settlement's result is None. A reservation that cannot fit is refused without the
        write lock (waiting lanes poll); if every op is such, nothing is written.
        """
        results: list[list[int] | Refusal | None] = [None] * len(ops)
        todo = []
        blocked = self.blocked() if any(isinstance(op, Reserve) for op in ops) else {}
        for i, op in enumerate(ops):
            if isinstance(op, Reserve) and not op.drafts:
                results[i] = []
                continue
            if isinstance(op, Reserve):
                early = self._early_refusal(op, blocked)
                if early is not None:
                    results[i] = early
                    continue
            todo.append(i)
        if not todo:
            return results

        def apply(conn: sqlite3.Connection) -> None:
            now, owner = time.time(), owner_id()
            for i in todo:
                op = ops[i]
                if isinstance(op, Settle):
                    bill = op.bill
                    conn.execute(
                        "UPDATE entries SET billed = ?, prompt_tokens = ?, completion_tokens = ?, flag = ?,"
                        " settled_at = ? WHERE id = ?",
                        (
                            bill.billed,
                            bill.prompt_tokens,
                            bill.completion_tokens,
                            bill.flag,
                            now,
                            op.entry_id,
                        ),
                    )
                    continue
                late = self._refusal(conn, op.need, op.run_cap, op.task_cap, op.tasks)
                results[i] = (
                    late
                    if late is not None
                    else [
                        cast(  # set by every INSERT (typeshed allows None)
                            int,
                            conn.execute(
                                "INSERT INTO entries (stage, task, model, key, attempt, worst, max_tokens,"
                                " owner, reserved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (
                                    d.stage,
                                    d.task,
                                    d.model,
                                    d.key,
                                    d.attempt,
                                    d.worst,
                                    d.max_tokens,
                                    owner,
                                    now,
                                ),
                            ).lastrowid,
                        )
                        for d in op.drafts
                    ]
                )

        self._write(apply)
        return results

    def _early_refusal(self, op: Reserve, blocked: Mapping[str, str]) -> Refusal | None:
        if any(d.model in blocked for d in op.drafts):
            return Refusal(OVER_MAX_TOKENS, 0.0, 0.0, 0)
        if op.run_cap is None and op.task_cap is None:
            return None
        return self._refusal(self._connect(), op.need, op.run_cap, op.task_cap, op.tasks)

    @staticmethod
    def _refusal(
        conn: sqlite3.Connection, need: float, run_cap: float | None, task_cap: float | None, tasks: set
    ) -> Refusal | None:
        if task_cap is not None:
            for task in tasks:
                spent, n_open = conn.execute(
                    f"SELECT COALESCE(SUM({_COUNTED}), 0), COUNT(*) - COUNT(billed) FROM entries"
                    " WHERE stage = ? AND task = ?",
                    (SEARCH, task),
                ).fetchone()
                if spent + need > task_cap:
                    return Refusal(TASK_CAP, task_cap - spent, need, n_open)
        if run_cap is not None:
            spent, n_open = conn.execute(
                f"SELECT COALESCE(SUM({_COUNTED}), 0), COUNT(*) - COUNT(billed) FROM entries"
            ).fetchone()
            if spent + need > run_cap:
                return Refusal(RUN_CAP, run_cap - spent, need, n_open)
        return None

    def block(self, model: str, detail: str) -> bool:
        """Send nothing more to `model` in this run; True when it was not blocked yet."""
        return self._write(
            lambda conn: (
                conn.execute(
                    "INSERT OR IGNORE INTO blocked (model, detail) VALUES (?, ?)", (model, detail)
                ).rowcount
                == 1
            )
        )

    def blocked(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return dict(self._connect().execute("SELECT model, detail FROM blocked").fetchall())

    def totals(self) -> Totals:
        out = Totals()
        if not self.path.exists():
            return out
        conn = self._connect()
        for stage, settled, open_usd, n_open, n in conn.execute(
            "SELECT stage, COALESCE(SUM(billed), 0), COALESCE(SUM(CASE WHEN billed IS NULL THEN"
            " COALESCE(worst, 0) END), 0), COUNT(*) - COUNT(billed), COUNT(*) FROM entries GROUP BY stage"
        ):
            out.settled += settled
            out.open += open_usd
            out.n_open += n_open
            out.entries += n
            out.by_stage[stage] = settled + open_usd
        for flag, n, usd in conn.execute(
            "SELECT flag, COUNT(*), SUM(billed) FROM entries WHERE flag IS NOT NULL GROUP BY flag"
        ):
            out.flags[flag], out.flagged_usd[flag] = n, usd or 0.0
        return out

    def recover(self, lookup: Callable[[str], Mapping[str, Any] | None]) -> list[tuple[int, float, str]]:
        """Settle the entries killed processes left open and lift the blocks of the last run.

        Call it under the run lock only (no live process owns an open entry then). An entry whose
        answer is in the response cache (`lookup(key)` -> record) counts the record's priced usage
        (its worst case if the record has no usage); any other counts its worst case, since the
        provider may have billed it. Returns (id, billed, flag) per settled entry.
        """
        if not self.path.exists():
            return []

        def settle_open(conn: sqlite3.Connection) -> list[tuple[int, float, str]]:
            rows = conn.execute("SELECT id, key, worst FROM entries WHERE billed IS NULL").fetchall()
            done = []
            for entry_id, key, worst in rows:
                record = lookup(key) if key else None
                if record is not None and (record["prompt_tokens"] or record["completion_tokens"]):
                    billed, flag = float(record["cost"]), RECOVERED_CACHED
                else:
                    billed, flag = float(worst or 0.0), RECOVERED_OPEN
                conn.execute(
                    "UPDATE entries SET billed = ?, flag = ?, settled_at = ? WHERE id = ?",
                    (billed, flag, time.time(), entry_id),
                )
                done.append((entry_id, billed, flag))
            conn.execute("DELETE FROM blocked")
            return done

        return self._write(settle_open)

    def carry_over(self, costs: Mapping[str, float]) -> None:
        """Count what tree files made before the ledger existed recorded (one entry per task)."""
        if not any(cost > 0 for cost in costs.values()):
            return

        def insert(conn: sqlite3.Connection) -> None:
            now, owner = time.time(), owner_id()
            for task, cost in sorted(costs.items()):
                if cost > 0:
                    conn.execute(
                        "INSERT INTO entries (stage, task, model, attempt, worst, billed, flag, owner,"
                        " reserved_at, settled_at) VALUES (?, ?, '?', 0, ?, ?, ?, ?, ?, ?)",
                        (SEARCH, task, cost, cost, CARRIED, owner, now, now),
                    )

        self._write(insert)


class SpendAccount:
    """A process's side of the ledger: the caps, waiting for room, and the calls' bills.

    The ledger's SQLite work (a commit waits ~4 ms on the disk) runs on one thread of its own,
    off the event loop. Reservations and settlements that arrive while it commits are committed
    together next (group commit): one wait on the disk for many requests, so the ledger keeps up
    with hundreds of requests a second, and each request still leaves only after its
    reservation is on disk. A reservation that does not fit waits while other reservations are
    open (their requests may bill less than their worst case); it is refused only when nothing is open.
    """

    def __init__(
        self,
        ledger: SpendLedger,
        run_cap: float | None = None,
        task_cap: float | None = None,
        stage: str = SEARCH,
        poll_s: float = WAIT_POLL_S,
    ) -> None:
        self.ledger, self.run_cap, self.task_cap, self.stage = ledger, run_cap, task_cap, stage
        self.poll_s = poll_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spend-ledger")
        self._lock = threading.Lock()
        self._pending: list[tuple[Reserve | Settle, asyncio.Future]] = []

    async def _commit(self, op: Reserve | Settle) -> Any:
        """`op`'s result, committed with whatever else is waiting when the ledger thread is free."""
        future = asyncio.get_running_loop().create_future()
        with self._lock:
            self._pending.append((op, future))
            first = len(self._pending) == 1
        if first:  # else a commit is already queued and will take this op too
            self._pool.submit(self._commit_pending)
        return await future

    def _commit_pending(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        try:
            outcome: list[Any] | BaseException = self.ledger.commit([op for op, _ in batch])
        except BaseException as exc:  # every op of the batch gets the error
            outcome = exc
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
        for i, (_, future) in enumerate(batch):
            result = outcome if isinstance(outcome, BaseException) else outcome[i]
            by_loop.setdefault(future.get_loop(), []).append((future, result))
        for loop, done in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: nobody is waiting
                loop.call_soon_threadsafe(_resolve, done)

    async def _off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def admit(self, drafts: Sequence[Draft]) -> list[int]:
        """Entry ids for the drafts (reserved together), once they fit; SpendStopped if they never will."""
        while True:
            outcome = await self._commit(Reserve(tuple(drafts), self.run_cap, self.task_cap))
            if not isinstance(outcome, Refusal):
                return outcome
            if outcome.n_open == 0 or outcome.reason == OVER_MAX_TOKENS:
                raise SpendStopped(outcome.reason, _refusal_detail(outcome, drafts, self))
            await asyncio.sleep(self.poll_s)

    async def settle(self, entry_id: int, draft: Draft, bill: Bill) -> None:
        """Record the bill; a bill over the request's max_tokens blocks the model (one line said)."""
        limit, used = draft.max_tokens, bill.completion_tokens
        over = limit is not None and used is not None and used > limit
        if over:
            bill = Bill(bill.billed, bill.prompt_tokens, used, OVER_MAX_TOKENS)
        await self._commit(Settle(entry_id, bill))
        if over:
            detail = (
                f"model {draft.model!r} billed {used} completion tokens for a request limited to "
                f"max_tokens={limit} (USD {bill.billed:.6f}, worst case USD {draft.worst or 0.0:.6f})"
            )
            if await self._off_loop(self.ledger.block, draft.model, detail):
                print(f"spend: {detail}; no more requests go to it in this run", file=sys.stderr, flush=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.ledger.close()


def _resolve(done: list[tuple[asyncio.Future, Any]]) -> None:
    for future, result in done:
        if future.done():  # its caller was cancelled
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


def _refusal_detail(refusal: Refusal, drafts: Sequence[Draft], account: SpendAccount) -> str:
    if refusal.reason == OVER_MAX_TOKENS:
        blocked = account.ledger.blocked()
        return next((blocked[d.model] for d in drafts if d.model in blocked), "model blocked")
    cap = account.run_cap if refusal.reason == RUN_CAP else account.task_cap
    key = "run.max_cost_usd" if refusal.reason == RUN_CAP else "search.max_cost_usd"
    return (
        f"{key}={cap}: the next call's worst case (USD {refusal.need:.6f}) does not fit in the "
        f"USD {max(refusal.left, 0.0):.6f} left"
    )


def bill_for_answer(
    draft: Draft, prompt_tokens: int, completion_tokens: int, cost: float, usage: bool
) -> Bill:
    """An answer's bill: its priced usage, or its worst case when the provider sent no usage."""
    if usage:
        return Bill(cost, prompt_tokens, completion_tokens)
    return Bill(draft.worst or 0.0, flag=USAGE_MISSING)


def bill_for_failure(draft: Draft, billed: bool | None) -> Bill:
    """A failed attempt's bill (`CallFailure.billed`): nothing for a provider's error response,
    the worst case for an answer without usage or one that may have been billed (a timeout, a
    broken connection, a cut-off body)."""
    if billed is False:
        return Bill(0.0)
    return Bill(draft.worst or 0.0, flag=USAGE_MISSING if billed else BILLED_UNKNOWN)
