"""One run of a job: ``warcloom crawl`` in a subprocess, and its line in the history.

A crawl runs in a fresh interpreter (Scrapy's reactor cannot be restarted in a process)
and in its own session, so a Ctrl-C at the terminal reaches only the runner, which passes
one SIGINT on: the crawl then closes its WARC files cleanly. The crawl gets
``-s WARCLOOM_JOB=<name>``; if it wrote its own history line the runner leaves it at that,
otherwise it writes the line from the crawl's exit status and ``--stats-json``. A run that
cannot start because the collection is held is recorded as ``skipped``. A job with
``redis`` runs ``warcloom crawl --enqueue-only``: its start requests go into the shared
crawl, the cluster's standing workers fetch them, and the run is recorded as ``enqueued``.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.collection import CollectionBusy, Outcome, Run

from ._jobsfile import Job

__all__ = ["JobRun", "RunResult", "outcome_of", "run_from_stats"]

logger = logging.getLogger(__name__)

_BUSY = " is in use by "  # how `warcloom crawl` says the collection is held
_FAILURES = ("warcloom/fetch_errors", "warcloom/extraction_errors")  # as the crawl counts them
_PROBE_LOCK = threading.Lock()  # CollectionLock counts holders per process: one probe at a time


@dataclass(frozen=True)
class RunResult:
    """The history line of the run, and the exit code to pass on (the crawl's)."""

    run: Run
    exit_code: int


class JobRun:
    """Runs ``job`` once; ``echo`` gets each line the crawl prints (None: dropped)."""

    def __init__(
        self,
        job: Job,
        *,
        echo: Callable[[str], None] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.job = job
        self.echo = echo
        self.python = python
        self.process: subprocess.Popen[str] | None = None
        self.interrupted = False  # we asked it to stop

    def command(self, stats_path: Path) -> list[str]:
        return [
            self.python,
            "-m",
            "crawler.cli",
            "crawl",
            *self.job.crawl_args(),
            f"--stats-json={stats_path}",
        ]

    def run(self, on_start: Callable[[JobRun], None] | None = None) -> RunResult:
        """Run the crawl to its end (``on_start`` is called once it is started)."""
        coll = self.job.collection
        started = datetime.now(UTC)
        try:
            if self.job.redis is None:  # (enqueuing holds no lock: it writes no WARC file)
                _probe(self.job)
        except CollectionBusy as exc:
            return self._skipped(started, str(exc), exit_code=1)
        before = len(coll.runs())
        with tempfile.TemporaryDirectory(prefix="warcloom-job-") as tmp:
            stats_path = Path(tmp) / "stats.json"
            tail = self._crawl(stats_path, on_start)
            code = self.process.wait() if self.process else 1
            stats = _read_stats(stats_path)
        finished = datetime.now(UTC)
        exit_code = code if code >= 0 else 128 - code
        new = coll.runs()[before:]
        if not stats and code > 0 and any(_BUSY in line for line in tail):
            # held by a run that started between our look at the lock and the crawl's
            message = next(line for line in reversed(tail) if _BUSY in line)
            message = message.removeprefix("warcloom: ")
            own = [r for r in new if r.outcome == "skipped" and r.job == self.job.name]
            if own:
                return RunResult(own[-1], exit_code)
            return self._skipped(started, message, exit_code=exit_code)
        own = [r for r in new if r.outcome != "skipped"]  # only the lock's holder writes these
        if own:  # the crawl recorded itself
            return RunResult(own[-1], exit_code)
        note = tail[-1][:300] if tail and not stats and code > 0 else ""
        run = run_from_stats(
            stats, code, started=started, finished=finished, job=self.job.name, note=note
        )
        if self.interrupted and run.outcome == "failed" and not stats:
            # stopped before Scrapy listened for SIGINT: a KeyboardInterrupt, nothing crawled
            run = replace(run, outcome="interrupted", note=f"stopped while starting; {run.note}")
        coll.record_run(run)
        return RunResult(run, exit_code)

    def _crawl(self, stats_path: Path, on_start: Callable[[JobRun], None] | None) -> deque[str]:
        tail: deque[str] = deque(maxlen=20)
        try:
            self.process = subprocess.Popen(
                self.command(stats_path),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,  # a terminal's Ctrl-C is ours to pass on, once
            )
        except OSError as exc:
            tail.append(f"cannot start the crawl: {exc}")
            return tail
        if on_start is not None:
            on_start(self)
        assert self.process.stdout is not None
        with self.process.stdout:
            for raw in self.process.stdout:
                line = raw.rstrip("\n")
                tail.append(line)
                if self.echo is not None:
                    self.echo(line)
        return tail

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def interrupt(self) -> None:
        """Ask the crawl to stop: it closes and indexes its files, then exits."""
        self.interrupted = True
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        if self.process is not None:
            self.process.send_signal(signum)  # nothing if it has ended

    def _skipped(self, started: datetime, note: str, *, exit_code: int) -> RunResult:
        run = Run(
            started=started,
            finished=datetime.now(UTC),
            outcome="skipped",
            job=self.job.name,
            note=note,
        )
        self.job.collection.record_run(run)
        return RunResult(run, exit_code)


def _probe(job: Job) -> None:
    """Raise :class:`CollectionBusy` if another run holds the job's collection now."""
    lock = job.collection.lock()
    with _PROBE_LOCK:
        lock.acquire(f"warcloom job {job.name} (starting)")
        lock.release()


def _read_stats(path: Path) -> dict[str, Any]:
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def outcome_of(stats: Mapping[str, Any], code: int) -> tuple[Outcome, str]:
    """How a crawl ended, from its exit status and final stats, with a note if useful (a
    finish reason counts as :func:`crawler.history.outcome_of` says)."""
    from crawler.history import outcome_of as outcome_of_reason

    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return "interrupted", f"killed by {name}"
    reason = stats.get("finish_reason")
    if not reason:
        return "failed", f"exit code {code}"
    if reason == "shutdown":
        return "interrupted", "stopped by SIGINT or SIGTERM"
    return outcome_of_reason(reason), "" if reason == "finished" else f"finish reason {reason}"


def run_from_stats(
    stats: Mapping[str, Any],
    code: int,
    *,
    started: datetime,
    finished: datetime,
    job: str,
    note: str = "",
) -> Run:
    """The history line of a crawl that did not write its own."""
    outcome, said = outcome_of(stats, code)
    prefix = "warcloom/change/"
    counts = {k[len(prefix) :]: int(v) for k, v in stats.items() if k.startswith(prefix)}
    return Run(
        started=started,
        finished=finished,
        outcome=outcome,
        counts=counts,
        failures=sum(int(stats.get(k, 0)) for k in _FAILURES),
        bytes=int(stats.get("warcloom/bytes", 0)),
        job=job,
        note="; ".join(part for part in (said, note) if part),
    )
