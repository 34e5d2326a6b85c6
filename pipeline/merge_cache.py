"""Merge a teammate's cache into yours: add the rows yours lacks, never replace one.

    python pipeline/merge_cache.py THEIRS.sqlite [cache/responses.sqlite]

Works for the response cache and the execution cache alike (see abmcts.experiment.cachemerge).
"""

import sys

from abmcts.errors import AbmctsError
from abmcts.experiment.cachemerge import merge_cache

if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    target = sys.argv[2] if len(sys.argv) == 3 else "cache/responses.sqlite"
    try:
        merged = merge_cache(sys.argv[1], target)
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    for table, added in merged.added.items():
        conflicts = merged.conflicts[table]
        kept = f", {conflicts} keys held by both with other rows (yours kept)" if conflicts else ""
        print(f"{target}: {table}: {added} rows added{kept}")
