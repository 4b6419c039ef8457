"""A standing worker: crawls of a shared crawl, one after another, whenever work is queued.

A worker stops when the shared crawl is finished, and Scrapy's reactor cannot be started
twice in one process, so ``warcloom crawl --redis URL --collection NAME --stay`` is a small
supervisor: it polls the frontier (:meth:`RedisFrontier.has_work`) and, when requests are
queued, runs the same command line without ``--stay`` as a child process (in its own
session: a terminal's Ctrl-C is ours to pass on, once), then waits again. SIGINT/SIGTERM:
while a crawl runs it gets one SIGINT (it closes and indexes its files) and its exit code
is ours; while waiting, exit 0 at once.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from crawler.cluster._frontier import RedisFrontier
from crawler.cluster._guard import OUTAGE_ERRORS

__all__ = ["POLL", "StandingWorker"]

POLL = 1.0  # seconds between looks at the frontier while waiting for work


class StandingWorker:
    """Runs ``command`` (one worker's crawl) each time ``frontier`` has work, until stopped;
    ``say`` gets a line for each change of state."""

    def __init__(
        self,
        frontier: RedisFrontier,
        command: Sequence[str],
        *,
        say: Callable[[str], None],
        poll: float = POLL,
    ) -> None:
        self.frontier = frontier
        self.command = list(command)
        self.say = say
        self.poll = poll
        self._stop = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()  # (the signal handler runs in this same thread)

    def run(self) -> int:
        """Crawl whenever there is work; the exit code (0 when stopped while waiting)."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return self._loop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def stop(self) -> None:
        """Stop: the running crawl (if any) gets one SIGINT; no new crawl starts."""
        with self._lock:
            self._stop.set()
            child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGINT)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop()

    def _loop(self) -> int:
        waiting = unreachable = False
        name = self.frontier.collection
        while not self._stop.is_set():
            try:
                work = self.frontier.has_work()
            except OUTAGE_ERRORS as exc:
                if not unreachable:
                    self.say(f"Redis unreachable ({exc}): trying again every {self.poll:g} s")
                    unreachable = True
                self._stop.wait(self.poll)
                continue
            unreachable = False
            if not work:
                if not waiting:
                    self.say(f"crawl {name}: nothing queued: waiting for work (Ctrl-C stops)")
                    waiting = True
                self._stop.wait(self.poll)
                continue
            waiting = False
            self.say(f"crawl {name}: requests queued: crawling")
            code = self._crawl()
            if self._stop.is_set():
                return code
            self.say(f"crawl {name}: this worker's crawl ended (exit code {code})")
            if code != 0:  # (a crawl that could not start or gave up: not in a busy loop)
                self._stop.wait(self.poll)
        return 0

    def _crawl(self) -> int:
        with self._lock:
            if self._stop.is_set():
                return 0
            self._child = subprocess.Popen(self.command, start_new_session=True)
            if self._stop.is_set():  # a signal came while it was starting
                self._child.send_signal(signal.SIGINT)
        try:
            code = self._child.wait()
        finally:
            with self._lock:
                self._child = None
        return code if code >= 0 else 128 - code
