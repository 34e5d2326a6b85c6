"""Execution cache: hits return what the sandbox returned, keys separate code/grids/limits."""

from __future__ import annotations

import sqlite3

import pytest

from abmcts.errors import InputError
from abmcts.sandbox.cache import CachedExecutor
from abmcts.sandbox.pool import ExecResult, Executor
from abmcts.sqlite_store import record_digest

GRIDS = [[[1, 2], [3, 4]], [[5]]]
FLIP = "def transform(g):\n    return [row[::-1] for row in g]\n"
RANDOM = "import random\ndef transform(g):\n    return [[random.randint(0, 9)]]\n"
LIMITS = {"timeout_s": 2.0, "memory_mb": 512, "forbidden": []}


class CountingExecutor:
    """Stands in for the sandbox: counts calls, answers with a fresh value every call."""

    timeout_s = 2.0

    def __init__(self) -> None:
        self.calls = 0

    def run(self, code, grids, timeout_s=None):
        self.calls += 1
        return [ExecResult([[self.calls]], None, None) for _ in grids]

    def close(self):
        pass


@pytest.fixture(scope="module")
def sandbox():
    with Executor(n_workers=1, timeout_s=2.0, memory_mb=512) as ex:
        yield ex


def test_hit_returns_the_sandbox_results_without_executing(tmp_path, sandbox):
    path = tmp_path / "executions.sqlite"
    cold = CachedExecutor(sandbox, path, LIMITS)
    first = cold.run(FLIP, GRIDS)
    assert first == sandbox.run(FLIP, GRIDS)
    assert first[0].output == [[2, 1], [4, 3]]
    replay = CachedExecutor(CountingExecutor(), path, LIMITS)  # a new process: only the file is shared
    assert replay.run(FLIP, GRIDS) == first
    assert replay.executor.calls == 0 and replay.stats.as_dict() == {"hits": 1, "misses": 0}


def test_errors_are_cached_with_their_kind(tmp_path, sandbox):
    path = tmp_path / "executions.sqlite"
    code = "def transform(g):\n    raise ValueError('nope')\n"
    first = CachedExecutor(sandbox, path, LIMITS).run(code, GRIDS)
    assert first[0].kind == "runtime" and "nope" in first[0].error
    assert CachedExecutor(CountingExecutor(), path, LIMITS).run(code, GRIDS) == first


def test_replay_of_a_nondeterministic_program_repeats_the_first_result(tmp_path, sandbox):
    path = tmp_path / "executions.sqlite"
    first = CachedExecutor(sandbox, path, LIMITS).run(RANDOM, GRIDS)
    again = [CachedExecutor(sandbox, path, LIMITS).run(RANDOM, GRIDS) for _ in range(3)]
    assert all(r == first for r in again)


def test_code_grids_and_limits_are_all_part_of_the_key(tmp_path):
    path = tmp_path / "executions.sqlite"
    inner = CountingExecutor()
    cache = CachedExecutor(inner, path, LIMITS)
    cache.run(FLIP, GRIDS)
    cache.run(FLIP + "\n", GRIDS)
    cache.run(FLIP, [[[1, 2], [3, 5]], [[5]]])
    cache.run(FLIP, GRIDS)
    assert inner.calls == 3
    other = CachedExecutor(inner, path, {**LIMITS, "timeout_s": 5.0})
    other.run(FLIP, GRIDS)
    assert inner.calls == 4
    assert len(sqlite3.connect(path).execute("SELECT key FROM executions").fetchall()) == 4


@pytest.mark.parametrize(
    "stored",
    ["{broken", "[[[[10]],null,null],[[[1,2],[3]],null,null]]"],  # not JSON; outputs that are not grids
    ids=["not-json", "not-grids"],
)
def test_a_corrupted_row_is_a_miss_and_gets_overwritten(tmp_path, stored):
    path = tmp_path / "executions.sqlite"
    inner = CountingExecutor()
    cache = CachedExecutor(inner, path, LIMITS)
    cache.run(FLIP, GRIDS)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE executions SET results = ?", (stored,))
    conn.commit()
    assert [r.output for r in cache.run(FLIP, GRIDS)] == [[[2]], [[2]]]  # executed again
    assert cache.run(FLIP, GRIDS)[0].output == [[2]]  # and the repaired row is a hit
    assert inner.calls == 2


def test_foreign_file_fails_with_the_path(tmp_path):
    path = tmp_path / "executions.sqlite"
    path.write_text("not a database")
    with pytest.raises(InputError, match="executions.sqlite"):
        CachedExecutor(CountingExecutor(), path, LIMITS)


def test_a_changed_row_stops_a_replay_naming_file_and_key(tmp_path):
    path = tmp_path / "executions.sqlite"
    CachedExecutor(CountingExecutor(), path, LIMITS).run(FLIP, GRIDS)
    conn = sqlite3.connect(path)
    key = conn.execute("SELECT key FROM executions").fetchone()[0]
    conn.execute("""UPDATE executions SET results = replace(results, '["1"]', '["7"]')""")
    conn.commit()
    conn.close()
    replay = CachedExecutor(CountingExecutor(), path, LIMITS, mode="replay")
    with pytest.raises(
        InputError, match=rf"executions\.sqlite: the record for key {key} fails its digest check"
    ):
        replay.run(FLIP, GRIDS)


def test_a_store_whose_table_was_lost_with_its_log_is_refused(tmp_path):
    path = tmp_path / "executions.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    with pytest.raises(InputError, match="no table 'executions'"):
        CachedExecutor(CountingExecutor(), path, LIMITS)


def _put_row(path, results: str) -> None:
    """Replace the only row's results with `results`, with a digest that matches (as this module
    would have written it): what the decoding alone makes of a row."""
    conn = sqlite3.connect(path)
    key = conn.execute("SELECT key FROM executions").fetchone()[0]
    conn.execute("UPDATE executions SET results = ?, digest = ?", (results, record_digest(key, results)))
    conn.commit()
    conn.close()


def test_outputs_are_stored_as_digit_rows_and_read_back_as_grids(tmp_path, sandbox):
    path = tmp_path / "executions.sqlite"
    first = CachedExecutor(sandbox, path, LIMITS).run(FLIP, GRIDS)
    (stored,) = sqlite3.connect(path).execute("SELECT results FROM executions").fetchone()
    assert stored == '[[["21","43"],null,null],[["5"],null,null]]'
    inner = CountingExecutor()
    assert CachedExecutor(inner, path, LIMITS, mode="replay").run(FLIP, GRIDS) == first
    assert inner.calls == 0 and first[0].output == [[2, 1], [4, 3]]


def test_rows_written_with_grids_as_int_lists_are_still_hits(tmp_path):
    path = tmp_path / "executions.sqlite"
    CachedExecutor(CountingExecutor(), path, LIMITS).run(FLIP, GRIDS)
    _put_row(path, '[[[[2,1],[4,3]],null,null],[null,"boom","error"]]')
    inner = CountingExecutor()
    results = CachedExecutor(inner, path, LIMITS, mode="replay").run(FLIP, GRIDS)
    assert results == [ExecResult([[2, 1], [4, 3]], None, None), ExecResult(None, "boom", "error")]
    assert inner.calls == 0


@pytest.mark.parametrize(
    "output",
    [
        '["12","3"]',
        '["1a"]',
        '[""]',
        '["²"]',
        '["1",2]',
        f'["{"1" * 31}"]',
        '["1"]'.replace('"1"', '"1",' * 31 + '"1"'),
    ],
    ids=["ragged", "letter", "empty-row", "not-ascii", "mixed", "too-wide", "too-tall"],
)
def test_a_stored_output_that_is_no_grid_is_a_miss_even_with_its_digest(tmp_path, output):
    path = tmp_path / "executions.sqlite"
    inner = CountingExecutor()
    cache = CachedExecutor(inner, path, LIMITS)
    cache.run(FLIP, GRIDS)
    _put_row(path, f'[[{output},null,null],[["5"],null,null]]')
    assert cache.run(FLIP, GRIDS)[0].output == [[2]]  # executed again
    assert inner.calls == 2


def test_an_output_that_is_no_plain_grid_is_stored_as_it_is(tmp_path):
    """A foreign executor's bools stay bools (digit rows would turn them into ints)."""

    class BoolExecutor(CountingExecutor):
        def run(self, code, grids, timeout_s=None):
            self.calls += 1
            return [ExecResult([[True]], None, None) for _ in grids]

    path = tmp_path / "executions.sqlite"
    CachedExecutor(BoolExecutor(), path, LIMITS).run(FLIP, GRIDS)
    (stored,) = sqlite3.connect(path).execute("SELECT results FROM executions").fetchone()
    assert stored == "[[[[true]],null,null],[[[true]],null,null]]"
