"""``warcloom schedule``: a foreground daemon running the jobs file's crawls when due."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from crawler.commands.jobs import add_jobs_option, load_jobs

__all__ = ["register"]


def register(subparsers: Any) -> None:
    schedule = subparsers.add_parser(
        "schedule", help="run every job of the jobs file when it is due (Ctrl-C stops)"
    )
    add_jobs_option(schedule)
    schedule.add_argument(
        "--grace",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="on Ctrl-C/SIGTERM, how long running crawls get to close their files (default 60)",
    )
    schedule.add_argument(
        "-v", "--verbose", action="store_true", help="also print the crawls' own output"
    )
    schedule.set_defaults(func=cmd_schedule)


def cmd_schedule(args: argparse.Namespace) -> int:
    from crawler.jobs import JobScheduler

    jobs = load_jobs(args.jobs)
    # our own lines say what APScheduler would warn about (a run skipped while one runs)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return JobScheduler(jobs, grace=args.grace, verbose=args.verbose).run()
