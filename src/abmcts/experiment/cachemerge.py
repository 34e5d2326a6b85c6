"""Merge one SQLite cache into another: add the rows it lacks, never replace one.

The response and execution caches key every row by a hash of the request, so two copies (yours and
a teammate's) merge by union. A key both hold keeps the target's row: both answer the same request,
and keeping yours keeps your runs replayable byte for byte; differing rows are counted as conflicts.
Tables must have the same columns in both files (open an older cache with the current code first).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from abmcts.errors import InputError


@dataclass(frozen=True)
class Merged:
    added: dict[str, int]  # table -> rows added
    conflicts: dict[str, int]  # table -> keys both hold with different rows (the target's kept)


def _tables(conn: sqlite3.Connection, schema: str) -> dict[str, tuple[list[str], list[str]]]:
    """Table -> (columns, primary-key columns) of one attached database."""
    names = [n for (n,) in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")]
    out = {}
    for name in names:
        info = list(conn.execute(f'PRAGMA {schema}.table_info("{name}")'))
        out[name] = ([c[1] for c in info], [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]])
    return out


def merge_cache(source: str | Path, target: str | Path) -> Merged:
    """Add `source`'s rows to `target` (one transaction); InputError when the files do not match."""
    source, target = Path(source), Path(target)
    for path in (source, target):
        if not path.is_file():
            raise InputError(f"cache {path}: not found")
    if source.resolve() == target.resolve():
        raise InputError(f"cache {source}: source and target are the same file")
    conn = sqlite3.connect(target, timeout=60)
    try:
        conn.execute("ATTACH DATABASE ? AS theirs", (str(source),))
        ours, theirs = _tables(conn, "main"), _tables(conn, "theirs")
        added, conflicts = {}, {}
        with conn:
            for table, (columns, keys) in theirs.items():
                if table not in ours:
                    raise InputError(
                        f"cache {target}: has no table {table!r} (is {source} another kind of cache?)"
                    )
                if ours[table] != (columns, keys) or not keys:
                    raise InputError(
                        f"cache {source}: table {table!r} has columns {columns}, {target} has {ours[table][0]}; "
                        "open the older one with this version first"
                    )
                cols = ", ".join(f'"{c}"' for c in columns)
                on = " AND ".join(f'm."{k}" = t."{k}"' for k in keys)
                differs = " OR ".join(f'm."{c}" IS NOT t."{c}"' for c in columns)
                conflicts[table] = conn.execute(
                    f'SELECT count(*) FROM theirs."{table}" t JOIN main."{table}" m ON {on} WHERE {differs}'
                ).fetchone()[0]
                before = conn.execute(f'SELECT count(*) FROM main."{table}"').fetchone()[0]
                conn.execute(
                    f'INSERT OR IGNORE INTO main."{table}" ({cols}) SELECT {cols} FROM theirs."{table}"'
                )
                added[table] = conn.execute(f'SELECT count(*) FROM main."{table}"').fetchone()[0] - before
        conn.execute("DETACH DATABASE theirs")
    except sqlite3.DatabaseError as exc:
        raise InputError(f"cache merge {source} -> {target}: {exc}") from None
    finally:
        conn.close()
    return Merged(added, conflicts)
