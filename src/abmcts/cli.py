"""What every pipeline entry point does around its stages: check the command line, validate, run the
named stages (tracked when tracking is on), report errors and interruptions in one line."""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from abmcts.errors import AbmctsError, ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.gc_schedule import schedule_collections
from abmcts.experiment.interrupt import INTERRUPTED, INTERRUPTED_LINE
from abmcts.experiment.keys import did_you_mean, is_known, schema_keys
from abmcts.experiment.shared import anchor_shared_paths
from abmcts.experiment.treecache import forget as forget_trees
from abmcts.experiment.validate import validate_config
from abmcts.score.report import SUMMARY_KEYS
from abmcts.stages import STAGES


def entry(main: Callable[[], None]) -> None:
    """Run a pipeline script's Hydra `main` after checking the command line's keys: a typo stops
    here with one line and the nearest key, instead of Hydra's advice to add it with `+`."""
    try:
        check_overrides(sys.argv[1:], Path(sys.argv[0]).resolve().parent.parent / "conf")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # KeyboardInterrupt: run_stages reports it
    try:
        main()
    except SystemExit as exc:
        exit_without_teardown(exc.code)
    exit_without_teardown(0)


def exit_without_teardown(code: str | int | None) -> NoReturn:
    """Exit as the interpreter would (exit handlers run, output flushed), minus its freeing of every
    module and object one by one: ~1 s of CPU after a tracked stage (MLflow, SQLAlchemy, Hydra) that
    every command paid after its work was on disk. Not with threads the interpreter would still
    join, nor for a non-integer code (a message), which take the ordinary exit."""
    code = 0 if code is None else code
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not isinstance(code, int) or any(t.is_alive() and not t.daemon for t in others):
        sys.exit(code)
    atexit._run_exitfuncs()  # what the interpreter runs at exit, in its order
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def check_overrides(argv: list[str], conf_dir: Path) -> None:
    """ConfigError for an override of a key the schema does not have, or a group option that does
    not exist (appending with `+` or deleting with `~` is left to Hydra)."""
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args, _ = get_args_parser().parse_known_args(argv)
    try:
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except Exception:  # noqa: BLE001 - a malformed override: Hydra's own message says where
        return
    groups: dict[str, list[str]] = {}
    for root in [conf_dir, *_search_path(overrides)]:  # a user's own config files count as options
        for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            groups[folder.name] = sorted(
                {*groups.get(folder.name, []), *(f.stem for f in folder.glob("*.yaml"))}
            )
    for override in overrides:
        key = override.key_or_group
        if override.is_add() or override.is_force_add() or override.is_delete() or key.startswith("hydra"):
            continue
        if key in groups:
            values = override.sweep_string_iterator() if override.is_sweep_override() else [override.value()]
            for value in values:
                if isinstance(value, str) and value not in groups[key]:
                    raise ConfigError(
                        f"config {key}={value}: no such option{did_you_mean(value, groups[key])} "
                        f"(options: {', '.join(groups[key])})"
                    )
        elif not is_known(key):
            near = did_you_mean(key, [*schema_keys(), *groups])
            raise ConfigError(f"unknown config key {key!r}{near}")


def _search_path(overrides: list[Any]) -> list[Path]:
    """The local folders a `hydra.searchpath=[file://...]` override adds to the config search path."""
    folders = []
    for override in overrides:
        if override.key_or_group == "hydra.searchpath" and not override.is_sweep_override():
            value = override.value()
            for entry in value if isinstance(value, list) else [value]:
                if isinstance(entry, str) and entry.startswith("file://"):
                    folders.append(Path(entry.removeprefix("file://")))
    return folders


def run_stages(
    names: Sequence[str], cfg: Any, options: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Validate the whole config (every name in it) once, then run the named stages in order, each
    with its `options` and, when tracking is on, tracking's hooks.

    A known error exits 2 with one line naming what is wrong, before the first stage if the
    config is at fault. Ctrl-C exits 130 with one line: what is done is on disk, a rerun resumes.
    """
    logging.getLogger("abmcts").setLevel(logging.INFO)
    try:
        root = anchor_shared_paths(validate_config(cfg))
        stages = [STAGES.get(name, "stage") for name in names]  # every name known before the first runs
        for stage in stages:
            if stage.warm_up is not None:  # e.g. the search's worker processes' imports, beside what follows
                stage.warm_up(root)
        result: dict[str, Any] = {}
        for name in names:
            result = run_stage(name, root, **(options or {}).get(name, {}))
            shown = {k: result[k] for k in SUMMARY_KEYS if k in result} or result
            print(f"[{name}] {json.dumps(shown, sort_keys=True, default=str)}", flush=True)
        return result
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    except KeyboardInterrupt:
        print(INTERRUPTED_LINE, file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED)
    finally:
        forget_trees()


def run_stage(name: str, cfg: RootConfig, **options: Any) -> dict[str, Any]:
    """Stage `name` on a validated config, with tracking's hooks when tracking is on."""
    schedule_collections()
    hooks: Mapping[str, Any] = {}
    if cfg.tracking.enabled:
        from abmcts.tracking.hooks import tracking_hooks  # mlflow's side loads only when tracking is on

        hooks = tracking_hooks(name)
    return STAGES.get(name, "stage").run(cfg, **options, **hooks)
