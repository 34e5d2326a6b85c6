import multiprocessing
import pickle
import sqlite3
import threading

import pytest

from abmcts.errors import CacheMissError, ConfigError, LLMError
from abmcts.llm import ResponseCache, cache_key

REC = {"text": "hello", "prompt_tokens": 3, "completion_tokens": 1, "cost": 0.5, "latency_s": 1.25}
MSGS = [{"role": "user", "content": "hi"}]


def test_key_depends_on_every_input_but_not_on_dict_order():
    base = cache_key("openai/x", MSGS, {"temperature": 0.5, "top_p": 1}, 0)
    assert base == cache_key("openai/x", MSGS, {"top_p": 1, "temperature": 0.5}, 0)
    assert len(base) == 64
    variants = [
        cache_key("openai/y", MSGS, {"temperature": 0.5, "top_p": 1}, 0),
        cache_key("openai/x", [{"role": "user", "content": "hi!"}], {"temperature": 0.5, "top_p": 1}, 0),
        cache_key("openai/x", MSGS, {"temperature": 0.6, "top_p": 1}, 0),
        cache_key("openai/x", MSGS, {"temperature": 0.5, "top_p": 1}, 1),
    ]
    assert base not in variants and len(set(variants)) == 4


def test_roundtrip_survives_reopen_and_counts(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    assert cache.get("k") is None
    assert cache.put("k", REC, model="m") == REC
    assert cache.get("k") == REC
    assert cache.stats.as_dict() == {"hits": 1, "misses": 1, "writes": 1}
    cache.close()
    again = ResponseCache(path)
    assert again.get("k") == REC and len(again) == 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT model FROM responses WHERE key='k'").fetchone()[0] == "m"


def test_first_writer_wins(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("k", REC)
    other = dict(REC, text="different")
    assert cache.put("k", other) == REC
    assert cache.get("k")["text"] == "hello"
    assert cache.stats.writes == 1


def test_only_complete_error_free_records_are_stored(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(LLMError, match="incomplete record"):
        cache.put("k", dict(REC, text=None))
    with pytest.raises(LLMError, match="missing"):
        cache.put("k", {"text": "x"})
    assert len(cache) == 0


def test_extra_fields_are_not_stored(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("k", dict(REC, api_key="sk-secret"))
    assert "api_key" not in cache.get("k")
    assert b"sk-secret" not in (tmp_path / "c.sqlite").read_bytes() + (tmp_path / "c.sqlite-wal").read_bytes()


def test_replay_miss_names_model_and_key(tmp_path):
    path = tmp_path / "c.sqlite"
    ResponseCache(path).put("k1", REC)
    replay = ResponseCache(path, mode="replay")
    assert replay.get("k1", model="m") == REC
    with pytest.raises(CacheMissError, match=r"model 'openai/x', key k2"):
        replay.get("k2", model="openai/x")
    replay.put("k3", REC)  # replay never writes
    assert ResponseCache(path).get("k3") is None


def test_replay_needs_an_existing_file(tmp_path):
    with pytest.raises(LLMError, match="file not found"):
        ResponseCache(tmp_path / "absent.sqlite", mode="replay")


def test_off_mode_touches_no_file(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite", mode="off")
    cache.put("k", REC)
    assert cache.get("k") is None
    assert list(tmp_path.iterdir()) == []


def test_bad_mode_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="'replai'"):
        ResponseCache(tmp_path / "c.sqlite", mode="replai")


def test_corrupted_file_names_the_file(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"\x00garbage, not sqlite\xff" * 200)
    with pytest.raises(LLMError, match=r"c\.sqlite: not a usable SQLite database"):
        ResponseCache(path)


def test_foreign_table_layout_is_reported(tmp_path):
    path = tmp_path / "c.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE responses (a, b)")
    with pytest.raises(LLMError, match="columns"):
        ResponseCache(path)


def test_pickled_cache_reconnects(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("k", REC)
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.get("k") == REC


def _writer(path: str, worker: int, n: int) -> None:
    cache = ResponseCache(path)
    for i in range(n):
        cache.put(f"w{worker}-{i}", dict(REC, text=f"{worker}/{i}"))
        cache.put(f"shared-{i}", dict(REC, text=f"{worker}/{i}"))


def test_concurrent_processes_and_threads_lose_nothing(tmp_path):
    path = str(tmp_path / "c.sqlite")
    ResponseCache(path)  # create schema once; workers race on the rest
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 40)) for w in range(3)]
    for p in procs:
        p.start()
    threads = [threading.Thread(target=_writer, args=(path, 10 + w, 40)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = ResponseCache(path)
    assert len(cache) == 6 * 40 + 40
    assert cache.get("w2-39")["text"] == "2/39" and cache.get("w12-0")["text"] == "12/0"


def _edit(path, sql, *args):
    conn = sqlite3.connect(path)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_a_changed_record_stops_a_replay_naming_file_and_key(tmp_path):
    path = tmp_path / "c.sqlite"
    ResponseCache(path).put("k", REC, model="m")
    _edit(path, "UPDATE responses SET record = replace(record, 'hello', 'jello')")
    with pytest.raises(LLMError, match=r"c\.sqlite: the record for key k fails its digest check"):
        ResponseCache(path, mode="replay").get("k")


def test_a_changed_record_in_readwrite_is_a_miss_then_replaced(tmp_path, caplog):
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    cache.put("k", REC, model="m")
    _edit(path, "UPDATE responses SET model = 'n'")  # any column counts
    assert cache.get("k") is None
    assert any("key k fails its digest check" in r.getMessage() for r in caplog.records)
    fresh = dict(REC, text="fresh")
    assert cache.put("k", fresh, model="m") == fresh  # the damaged row is replaced...
    assert cache.get("k") == fresh and cache.stats.writes == 2
    assert cache.put("k", REC, model="m") == fresh  # ...and an intact one still wins
    assert ResponseCache(path, mode="replay").get("k") == fresh


def test_a_changed_failure_stops_a_replay(tmp_path):
    path = tmp_path / "c.sqlite"
    ResponseCache(path).put_failure("k", "HTTP 500", model="m")
    assert ResponseCache(path, mode="replay").get("k") == {"error": "HTTP 500"}
    _edit(path, "UPDATE failures SET error = 'HTTP 501'")
    with pytest.raises(LLMError, match="key k fails its digest check"):
        ResponseCache(path, mode="replay").get("k")


def test_a_cache_written_before_digests_is_digested_on_first_open(tmp_path, caplog):
    """Migration: the rows as they stand are trusted once, with a warning; then they are checked."""
    import json

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, record TEXT NOT NULL)")
    conn.execute("CREATE TABLE failures (key TEXT PRIMARY KEY, model TEXT NOT NULL, error TEXT NOT NULL)")
    conn.execute("INSERT INTO responses VALUES ('k', 'm', ?)", (json.dumps(REC),))
    conn.commit()
    conn.close()
    assert ResponseCache(path, mode="replay").get("k") == REC
    assert [r.getMessage() for r in caplog.records if "without a digest" in r.getMessage()] == [
        f"response cache {path}: 1 records in table 'responses' were stored without a digest; digests "
        "computed now from the records as they stand (checked on every read from here on)"
    ]
    _edit(path, "UPDATE responses SET record = replace(record, 'hello', 'jello')")
    with pytest.raises(LLMError, match="digest check"):
        ResponseCache(path, mode="replay").get("k")


def test_a_cache_whose_table_was_lost_with_its_log_is_refused(tmp_path):
    """Before the fix, the table lived only in the -wal file of a never-checkpointed cache: with
    the log gone the file was silently recreated empty."""
    path = tmp_path / "c.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    with pytest.raises(LLMError, match=r"c\.sqlite: not a usable SQLite database \(no table 'responses'"):
        ResponseCache(path)


def test_a_new_cache_holds_its_table_without_its_log_and_a_checkpoint_keeps_every_row(tmp_path):
    import shutil

    from abmcts.sqlite_store import checkpoint

    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)  # stays open, as in a search worker
    for i in range(20):
        cache.put(f"k{i}", REC)
    shutil.copy(path, tmp_path / "main-only.sqlite")  # the file without its -wal
    assert len(ResponseCache(tmp_path / "main-only.sqlite")) == 0  # the table is there, rows were in the log
    checkpoint(path)
    assert not (tmp_path / "c.sqlite-wal").exists() or (tmp_path / "c.sqlite-wal").stat().st_size == 0
    shutil.copy(path, tmp_path / "after.sqlite")
    assert len(ResponseCache(tmp_path / "after.sqlite", mode="replay")) == 20
    assert cache.get("k19") == REC  # the open connection goes on working
