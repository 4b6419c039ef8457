"""``warcloom history NAME``: the runs of a job's collection (or any collection)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from crawler.commands import UsageError
from crawler.commands.jobs import add_jobs_option, load_jobs

__all__ = ["register"]


def register(subparsers: Any) -> None:
    history = subparsers.add_parser(
        "history", help="the runs of a collection: when, outcome, counts per change kind"
    )
    history.add_argument("name", help="a job of the jobs file, or a collection or output directory")
    add_jobs_option(history)
    history.add_argument("--json", action="store_true", help="print a JSON list of runs")
    history.set_defaults(func=cmd_history)


def _collection(args: argparse.Namespace) -> Any:
    from archive.collection import Collection, CollectionNotFound
    from crawler.jobs import DEFAULT_JOBS_FILE

    if args.jobs or Path(DEFAULT_JOBS_FILE).is_file():
        job = load_jobs(args.jobs).get(args.name)
        if job is not None:
            return job.collection
    try:
        return Collection.open(args.name)
    except CollectionNotFound as exc:
        raise UsageError(f"history {args.name}: not a job, nor a collection: {exc}") from None


def cmd_history(args: argparse.Namespace) -> int:
    from crawler.jobs import format_history_line

    coll = _collection(args)
    runs = coll.runs()
    if args.json:
        print(json.dumps([run.to_json() for run in runs], indent=1, ensure_ascii=False))
        return 0
    if not runs:
        print(f"no runs recorded yet ({coll.history_path})", file=sys.stderr)
    for run in runs:
        print(format_history_line(run))
    return 0
