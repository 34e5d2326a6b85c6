"""The spend ledger on its own: caps on settled + open entries, waiting instead of starving,
processes sharing one file, recovery of what a killed process left open, over-billing blocks."""

from __future__ import annotations

import asyncio
import multiprocessing
import time

import pytest

from abmcts.llm.ledger import (
    OVER_MAX_TOKENS,
    RECOVERED_CACHED,
    RECOVERED_OPEN,
    RUN_CAP,
    SELECT,
    TASK_CAP,
    Bill,
    Draft,
    Refusal,
    SpendAccount,
    SpendLedger,
    SpendStopped,
)


def draft(worst=1.0, task="t", key="k", model="m", max_tokens=100, stage="search"):
    return Draft(stage, task, model, key, worst, max_tokens)


def test_reservations_count_at_their_worst_case_until_settled(tmp_path):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    ids = ledger.reserve([draft(1.0), draft(2.0, key="k2")], run_cap=3.0)
    assert isinstance(ids, list) and len(ids) == 2
    refused = ledger.reserve([draft(0.5)], run_cap=3.0)
    assert refused == Refusal(RUN_CAP, 0.0, 0.5, 2)  # nothing left while both are open
    ledger.settle(ids[0], Bill(0.25, 10, 5))
    totals = ledger.totals()
    assert (totals.settled, totals.open, totals.n_open, totals.counted) == (0.25, 2.0, 1, 2.25)
    assert isinstance(ledger.reserve([draft(0.5)], run_cap=3.0), list)
    # all or none: a batch that does not fit opens no entry
    assert isinstance(ledger.reserve([draft(0.1), draft(0.5)], run_cap=3.0), Refusal)
    assert ledger.totals().entries == 3


def test_the_task_cap_counts_only_that_tasks_search_entries(tmp_path):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    (a,) = ledger.reserve([draft(1.0, task="a")], task_cap=1.5)
    ledger.settle(a, Bill(1.0))
    ledger.reserve([draft(5.0, task=None, stage=SELECT)])  # the judge: not a task's spend
    assert ledger.reserve([draft(1.0, task="a")], task_cap=1.5) == Refusal(TASK_CAP, 0.5, 1.0, 0)
    assert isinstance(ledger.reserve([draft(1.0, task="b")], task_cap=1.5), list)


def _reserve_until_refused(path: str, cap: float, out) -> None:
    ledger = SpendLedger(path)
    n = 0
    while isinstance(ledger.reserve([draft(1 / 128, key=f"{n}")], run_cap=cap), list):
        n += 1
    out.put(n)


def test_processes_sharing_the_ledger_never_reserve_past_the_cap(tmp_path):
    path = str(tmp_path / "spend.sqlite")
    SpendLedger(path).close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_reserve_until_refused, args=(path, 1.0, out)) for _ in range(3)]
    for proc in procs:
        proc.start()
    counts = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert sum(counts) == 128  # 1.0 / (1/128), however the three interleaved
    assert SpendLedger(path).totals().open == pytest.approx(1.0)


def test_recovery_counts_open_entries_at_worst_case_unless_the_cache_has_the_answer(tmp_path):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    ledger.reserve([draft(1.0, key="answered"), draft(2.0, key="lost"), draft(3.0, key="no_usage")])
    ledger.block("m", "over")
    records = {
        "answered": {"prompt_tokens": 100, "completion_tokens": 20, "cost": 0.3},
        "no_usage": {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0},
    }
    recovered = SpendLedger(tmp_path / "spend.sqlite").recover(records.get)
    assert [(billed, flag) for _, billed, flag in recovered] == [
        (0.3, RECOVERED_CACHED),
        (2.0, RECOVERED_OPEN),
        (3.0, RECOVERED_OPEN),  # cached without usage: its worst case
    ]
    totals = ledger.totals()
    assert totals.n_open == 0 and totals.counted == pytest.approx(5.3)
    assert ledger.blocked() == {}  # a new run may try the model again (the bill stays counted)


def test_a_waiting_reservation_is_admitted_once_others_settle_below_their_worst_case(tmp_path):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    account = SpendAccount(ledger, run_cap=1.0, poll_s=0.01)

    async def scenario() -> list:
        (first,) = await account.admit([draft(0.8, key="a")])
        waiting = asyncio.create_task(account.admit([draft(0.8, key="b")]))
        await asyncio.sleep(0.1)
        assert not waiting.done()  # no room while the first is open: it waits, it does not give up
        await account.settle(first, draft(0.8), Bill(0.1, 50, 10))
        second = await asyncio.wait_for(waiting, 5)
        await account.settle(second[0], draft(0.8), Bill(0.7, 50, 90))
        with pytest.raises(SpendStopped) as stop:  # nothing open and no room: the run cap ends it
            await account.admit([draft(0.3, key="c")])
        return [second, stop.value]

    try:
        second, stop = asyncio.run(scenario())
    finally:
        account.close()
    assert len(second) == 1
    assert stop.reason == RUN_CAP and "run.max_cost_usd=1.0" in stop.detail and "\n" not in stop.detail


def test_a_bill_over_max_tokens_blocks_the_model_and_says_so_once(tmp_path, capsys):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    account = SpendAccount(ledger)
    d = draft(0.5, max_tokens=100)

    async def scenario() -> SpendStopped:
        ids = await account.admit([d, d])
        for entry in ids:
            await account.settle(entry, d, Bill(0.9, 50, 400))
        with pytest.raises(SpendStopped) as stop:
            await account.admit([d])
        return stop.value

    try:
        stop = asyncio.run(scenario())
    finally:
        account.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "spend: model 'm' billed 400 completion tokens for a request limited to max_tokens=100 "
        "(USD 0.900000, worst case USD 0.500000); no more requests go to it in this run"
    ]
    assert stop.reason == OVER_MAX_TOKENS and "400 completion tokens" in stop.detail
    totals = ledger.totals()
    assert totals.counted == pytest.approx(1.8) and totals.flags == {OVER_MAX_TOKENS: 2}


def test_a_foreign_file_is_one_clear_error(tmp_path):
    from abmcts.errors import LLMError

    path = tmp_path / "spend.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(LLMError, match=r"^spend ledger .*spend.sqlite: not a usable SQLite database"):
        SpendLedger(path)


def test_concurrent_requests_share_commits_and_each_still_fits_the_caps(tmp_path):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    commits = []
    real_commit = ledger.commit

    def slow_commit(ops):  # a disk as slow as a loaded one: the others queue behind it
        commits.append(len(ops))
        time.sleep(0.05)
        return real_commit(ops)

    ledger.commit = slow_commit
    account = SpendAccount(ledger, run_cap=1.0, poll_s=0.01)

    async def scenario() -> tuple[list, list]:
        lanes = [asyncio.create_task(account.admit([draft(0.25, key=f"k{i}")])) for i in range(8)]
        await asyncio.sleep(0.3)
        admitted = [lane.result()[0] for lane in lanes if lane.done()]
        assert len(admitted) == 4  # 4 x 0.25 fill the cap; the rest wait for room
        await asyncio.gather(*(account.settle(e, draft(0.25), Bill(0.0, 1, 1)) for e in admitted))
        rest = [ids[0] for ids in await asyncio.wait_for(asyncio.gather(*lanes), 5)]
        return admitted, rest

    try:
        admitted, entries = asyncio.run(scenario())
    finally:
        account.close()
    assert len(set(entries)) == 8 and set(admitted) <= set(entries)
    assert max(commits) > 1  # ops that queued behind a commit were committed together
    totals = ledger.totals()
    assert totals.entries == 8 and totals.n_open == 4 and totals.counted == pytest.approx(1.0)
