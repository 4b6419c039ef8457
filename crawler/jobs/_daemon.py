"""``warcloom schedule``: run every job of a jobs file when it is due, until stopped.

Built on APScheduler's :class:`BackgroundScheduler`: one trigger per job, ``max_instances=1``
and ``coalesce=True`` so a job never overlaps itself (an attempt while it still runs is
recorded as ``skipped``), and no misfire limit so a late wake-up still runs the job once.
At start, a job whose schedule had a run due since its last run in the history (or that
never ran) runs at once: runs missed while the daemon was down coalesce into one.
SIGINT/SIGTERM: no new runs; running crawls get one SIGINT and ``grace`` seconds to close
their files, then SIGKILL (a second Ctrl-C kills them at once); a killed crawl resumes from
its frontier on its next run.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import Any, TextIO

from archive.collection import Run

from ._jobsfile import Job, JobsFile
from ._report import format_result, stamp
from ._runner import JobRun

__all__ = ["JobScheduler", "last_run", "next_run_time"]

_OVERLAP_NOTE = "the previous run of the job was still running"


def last_run(job: Job) -> Run | None:
    """The job's newest run that was not skipped."""
    runs = [r for r in job.collection.runs() if r.job == job.name and r.outcome != "skipped"]
    return runs[-1] if runs else None


def next_run_time(job: Job, now: datetime) -> datetime | None:
    """When the job runs next: ``now`` if a run was due since its last run (or it never ran),
    else the next time its schedule says (None: its cron line never comes round again)."""
    last = last_run(job)
    if last is None:
        return now
    due = job.schedule.next_after(last.started)
    if due is None:
        return None
    return now if due <= now else due


class JobScheduler:
    """Runs ``jobs`` on their schedules; :meth:`run` blocks until SIGINT or SIGTERM."""

    def __init__(
        self,
        jobs: JobsFile,
        *,
        out: TextIO | None = None,
        grace: float = 60.0,
        verbose: bool = False,
    ) -> None:
        self.jobs = jobs
        self.out = out or sys.stdout
        self.grace = grace
        self.verbose = verbose
        self._cond = threading.Condition()
        self._active: dict[str, JobRun | None] = {}  # job name -> its run (None: starting)
        self._stopping = False
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._print_lock = threading.Lock()

    def run(self) -> int:
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=len(self.jobs.jobs))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_listener(self._overlap, EVENT_JOB_MAX_INSTANCES)
        now = datetime.now(UTC)
        self.say(f"scheduler: {len(self.jobs.jobs)} job(s) from {self.jobs.path}; Ctrl-C stops")
        for job in self.jobs:
            when = next_run_time(job, now)
            scheduler.add_job(
                self._run,
                trigger=job.schedule.trigger(),
                args=[job],
                id=job.name,
                name=job.name,
                next_run_time=when,
            )
            said = "now" if when == now else stamp(when) if when else "never"
            self.say(f"{job.name}: {job.schedule.describe()}, next run {said}")
        previous = self._install_signals()
        try:
            scheduler.start()
            while not self._stop.wait(0.5):
                pass
            self._shutdown(scheduler)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.say("scheduler: stopped")
        return 0

    def say(self, text: str) -> None:
        with self._print_lock:
            print(f"{stamp(datetime.now(UTC))} {text}", file=self.out, flush=True)

    # -- runs ------------------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        with self._cond:
            if self._stopping:
                return
            self._active[job.name] = None
        try:
            echo = self._echo(job) if self.verbose else None
            result = JobRun(job, echo=echo).run(on_start=self._started)
            self.say(f"{job.name}: {format_result(result.run)}")
        finally:
            with self._cond:
                del self._active[job.name]
                self._cond.notify_all()

    def _started(self, run: JobRun) -> None:
        with self._cond:
            self._active[run.job.name] = run
            stopping = self._stopping
        self.say(f"{run.job.name}: started (crawl pid {run.pid})")
        if stopping:
            run.interrupt()

    def _echo(self, job: Job) -> Callable[[str], None]:
        def echo(line: str) -> None:
            with self._print_lock:
                print(f"  [{job.name}] {line}", file=self.out, flush=True)

        return echo

    def _overlap(self, event: Any) -> None:
        job = self.jobs.get(event.job_id)
        if job is None:
            return
        now = datetime.now(UTC)
        run = Run(started=now, finished=now, outcome="skipped", job=job.name, note=_OVERLAP_NOTE)
        job.collection.record_run(run)
        self.say(f"{job.name}: {format_result(run)}")

    # -- stopping --------------------------------------------------------------------------

    def _install_signals(self) -> dict[int, Any]:
        def stop(signum: int, frame: FrameType | None) -> None:
            if self._stop.is_set():
                self._hurry.set()
            self._stop.set()

        return {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}

    def _shutdown(self, scheduler: Any) -> None:
        with self._cond:
            self._stopping = True
            running = [run for run in self._active.values() if run is not None]
        scheduler.shutdown(wait=False)
        for run in running:
            self.say(f"{run.job.name}: stopping the crawl (SIGINT to pid {run.pid})")
            run.interrupt()
        if not self._wait_idle(self.grace):
            with self._cond:
                left = [run for run in self._active.values() if run is not None]
            for run in left:
                waited = "at a second Ctrl-C" if self._hurry.is_set() else f"after {self.grace:g}s"
                self.say(
                    f"{run.job.name}: crawl pid {run.pid} still running {waited}: killed "
                    "(SIGKILL); its next run resumes it"
                )
                run.kill()
            self._wait_idle(30.0, hurry=False)  # for their history lines

    def _wait_idle(self, timeout: float, *, hurry: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._active:
                left = deadline - time.monotonic()
                if left <= 0 or (hurry and self._hurry.is_set()):
                    return False
                self._cond.wait(min(left, 0.5))
        return True
