"""``warcloom jobs list`` and ``warcloom jobs run NAME``: the jobs file's crawls, by hand."""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from crawler.commands import UsageError

if TYPE_CHECKING:
    from crawler.jobs import Job, JobsFile

__all__ = ["add_jobs_option", "find_job", "load_jobs", "register"]


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        metavar="PATH",
        help="the jobs file (default: warcloom.toml in the working directory)",
    )


def load_jobs(path: str | None) -> JobsFile:
    """The jobs file at ``path`` (default ``warcloom.toml``); a mistake in it: UsageError."""
    from crawler.jobs import DEFAULT_JOBS_FILE, JobsFile, JobsFileError

    try:
        return JobsFile.load(path or DEFAULT_JOBS_FILE)
    except JobsFileError as exc:
        raise UsageError(str(exc)) from None


def find_job(jobs: JobsFile, name: str) -> Job:
    job = jobs.get(name)
    if job is None:
        raise UsageError(f"{jobs.path}: no job {name!r} (jobs: {', '.join(jobs.names())})")
    return job


def register(subparsers: Any) -> None:
    jobs = subparsers.add_parser("jobs", help="list the jobs of the jobs file, or run one now")
    sub = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = sub.add_parser("list", help="each job: schedule, collection, next and last run")
    add_jobs_option(listing)
    listing.set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="run a job now, in the foreground")
    run.add_argument("name", help="the job's name ([jobs.NAME] in the jobs file)")
    add_jobs_option(run)
    run.set_defaults(func=cmd_run)


def cmd_list(args: argparse.Namespace) -> int:
    from crawler.jobs import last_run, next_run_time, stamp

    jobs = load_jobs(args.jobs)
    now = datetime.now(UTC)
    rows = [("job", "schedule", "next run", "last run", "collection")]
    for job in jobs:
        when = next_run_time(job, now)
        last = last_run(job)
        rows.append(
            (
                job.name,
                job.schedule.describe(),
                "due now" if when == now else stamp(when) if when else "never",
                f"{last.outcome} {stamp(last.finished)}" if last else "never run",
                str(job.collection.root),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from crawler.jobs import JobRun, format_result, stamp

    job = find_job(load_jobs(args.jobs), args.name)
    run = JobRun(job, echo=lambda line: print(line, flush=True))

    def started(run: JobRun) -> None:
        print(f"{stamp(datetime.now(UTC))} {job.name}: started (crawl pid {run.pid})", flush=True)

    def forward(signum: int, frame: FrameType | None) -> None:
        run.interrupt()  # the crawl closes its files and ends; we wait for it

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = run.run(on_start=started)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    said = f"{job.name}: {format_result(result.run)}"
    if result.run.outcome == "skipped":
        print(f"warcloom: jobs run {said}", file=sys.stderr)
    else:
        print(f"{stamp(result.run.finished)} {said}", flush=True)
    return result.exit_code
