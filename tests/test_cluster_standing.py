"""The standing worker's supervisor, with a stand-in frontier and a stand-in crawl."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from crawler.cluster import StandingWorker

# a crawl that says it started, and exits 3 on SIGINT (as a crawl closes its files)
CRAWL = """
import pathlib, signal, sys, time
signal.signal(signal.SIGINT, lambda *_: sys.exit(3))
pathlib.Path(sys.argv[1]).write_text("started")
time.sleep(30)
"""


class _Frontier:
    collection = "news"

    def __init__(self, work: bool) -> None:
        self.work = work
        self.looks = 0

    def has_work(self) -> bool:
        self.looks += 1
        return self.work


def _stop_when(worker: StandingWorker, ready: object) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 20
        while not ready() and time.monotonic() < deadline:  # type: ignore[operator]
            time.sleep(0.05)
        worker.stop()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_stopped_while_crawling_the_crawl_gets_sigint_and_its_code_is_ours(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    said: list[str] = []
    worker = StandingWorker(
        _Frontier(work=True),  # type: ignore[arg-type]
        [sys.executable, "-c", CRAWL, str(marker)],
        say=said.append,
        poll=0.05,
    )
    _stop_when(worker, marker.exists)
    assert worker.run() == 3
    assert said == ["crawl news: requests queued: crawling"]


def test_stopped_while_waiting_exits_0_and_says_it_waits_once(tmp_path: Path) -> None:
    frontier = _Frontier(work=False)
    said: list[str] = []
    worker = StandingWorker(frontier, ["false"], say=said.append, poll=0.05)  # type: ignore[arg-type]
    _stop_when(worker, lambda: frontier.looks >= 5)
    assert worker.run() == 0
    assert said == ["crawl news: nothing queued: waiting for work (Ctrl-C stops)"]
