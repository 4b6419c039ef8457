"""A real SIGTERM to a standing worker (``--stay``) in the middle of a crawl: its crawl stops
as Ctrl-C stops one, nothing is left running or open, and the shared crawl resumes."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import psutil
from cluster_helpers import crawl_name, redis_or_skip
from crawl_helpers import ArchiveView
from jobs_helpers import FAST, run_warcloom, runs_of, start_warcloom, stop, wait_for
from news_site import NewsSite

from crawler.cluster import RedisFrontier, connect

WAITING = "waiting for work"
HOLD_GUARD = 600  # seconds: the held page answers by then at the latest (a failure guard)
DEADLINE = 120  # seconds for any one thing to happen: generous, not a timing assumption
# a local site, quickly; the held page must not time out (or be retried) before the signal
SETTINGS = {**FAST, "DOWNLOAD_TIMEOUT": "300", "WARCLOOM_PROGRESS": "off"}


class HeldNewsSite(NewsSite):
    """The news site, whose page ``held`` answers nothing until ``release`` is set (a request
    held until then gets no answer at all: its client is long gone), and two pages linked
    from that page alone: a crawl stopped while it is held has work left."""

    def __init__(self, held: str) -> None:
        super().__init__(articles=12)
        self.held = held
        self.release = threading.Event()
        self.behind = ["/deep/1.html", "/deep/2.html"]
        for n, path in enumerate(self.behind, 1):
            self.add(path, f"Inside the trade fair, part {n}", linked_from=held)

    def pages(self) -> set[str]:
        return {self.url("/"), *(self.url(path) for path in self.articles)}

    def __exit__(self, *exc: object) -> None:
        self.release.set()  # a request still held ends (a failed test: none waits on)
        super().__exit__(*exc)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path == self.held and not self.release.is_set():
            self.release.wait(HOLD_GUARD)
            handler.close_connection = True
            return
        super()._handle(handler)


def _standing(url: str, name: str, out: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_warcloom(
        "crawl", "--redis", url, "--collection", name, "--out", str(out), "--stay",
        "--follow", "all", *(f"-s{k}={v}" for k, v in SETTINGS.items()),
        cwd=out.parent, log=log,
    )  # fmt: skip


def _running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still alive (a zombie has ended: only its parent's wait is missing)."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def _held_mid_crawl(frontier: RedisFrontier, site: HeldNewsSite) -> bool:
    """The held page is requested and every other page found so far is done: one request
    in flight (the held one), none queued, some done."""
    if site.held not in site.server.paths():
        return False
    counts = frontier.snapshot().counts
    done, queued, inflight = (counts.get(key, 0) for key in ("done", "queued", "inflight"))
    return done > 0 and queued == 0 and inflight == 1


def test_sigterm_mid_crawl_stops_the_crawl_cleanly_and_the_crawl_resumes(tmp_path: Path) -> None:
    url = redis_or_skip()
    out = tmp_path / "worker"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with crawl_name() as name, HeldNewsSite(held="/news/3.html") as site:
        frontier = RedisFrontier(connect(url), name)
        archive = out / "collections" / name / "archive"
        worker = _standing(url, name, out, first_log)
        family: list[psutil.Process] = []
        try:
            wait_for(lambda: WAITING in first_log.read_text(), "the worker to wait", DEADLINE)
            enqueued = run_warcloom(
                "crawl", site.url("/"), "--redis", url, "--collection", name,
                "--out", str(tmp_path / "enqueuer"), "--enqueue-only", cwd=tmp_path, timeout=60,
            )  # fmt: skip
            assert enqueued.returncode == 0, enqueued.stdout + enqueued.stderr
            # mid-crawl, by the site's log and the frontier: the held page cannot be done
            wait_for(lambda: _held_mid_crawl(frontier, site), "the held page mid-crawl", DEADLINE)
            [crawler] = frontier.snapshot().workers
            family = psutil.Process(worker.pid).children(recursive=True)
            child = next(p for p in family if p.pid == crawler.details["pid"])
            assert child.ppid() == worker.pid, (child, family)
            served_before = Counter(site.server.paths())
            # SIGTERM: the crawl gets one SIGINT, stops, and its exit code is the worker's
            code = stop(worker, signal.SIGTERM, timeout=DEADLINE)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            left = _running(family)  # orphans, if any: said below, and not left running
            for process in left:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
        first_output = first_log.read_text()
        assert code == 1, first_output[-3000:]  # an interrupted crawl's exit code
        assert left == [], (left, family, first_output[-3000:])
        assert "stopping, closing files" in first_output, first_output[-3000:]
        assert "Traceback" not in first_output, first_output[-3000:]
        assert not list(out.rglob("*.open")), list(out.rglob("*"))
        _check_files(archive)
        history = run_warcloom("history", str(out / "collections" / name), "--json", cwd=tmp_path)
        assert history.returncode == 0, history.stderr
        [interrupted] = json.loads(history.stdout)
        assert interrupted["outcome"] == "interrupted", interrupted
        assert interrupted["note"] == "finish reason: shutdown", interrupted
        held, behind = site.url(site.held), {site.url(p) for p in site.behind}
        first_captures = _captured(archive)
        assert set(first_captures) == site.pages() - {held, *behind}, first_captures
        assert interrupted["counts"] == {"new": len(first_captures)}, interrupted
        assert frontier.has_work()  # the held request went back to the shared crawl

        # resumed by a standing worker started again (same --out), the held page released
        site.release.set()
        worker = _standing(url, name, out, second_log)
        try:
            ended = "this worker's crawl ended (exit code"
            wait_for(lambda: ended in second_log.read_text(), "the resumed crawl", DEADLINE)
            wait_for(lambda: WAITING in second_log.read_text(), "the worker to wait", DEADLINE)
            assert stop(worker, signal.SIGTERM, timeout=DEADLINE) == 0  # idle: exit 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        served = Counter(site.server.paths())
    second_output = second_log.read_text()
    assert f"{ended} 0)" in second_output, second_output[-3000:]
    assert "Traceback" not in second_output, second_output[-3000:]
    runs = runs_of(out, name)
    assert [r.outcome for r in runs] == ["interrupted", "finished"], runs
    assert dict(runs[1].counts) == {"new": 3}, runs[1]  # the held page and the two behind it
    # every page captured once overall; each requested once, but the held one: its first
    # request was abandoned unanswered at the stop (fetched again, as the README says)
    captures = _captured(archive)
    assert set(captures) == site.pages(), captures
    assert {u: n for u, n in captures.items() if n != 1} == {}, captures
    pages = {path: n for path, n in served.items() if path != "/robots.txt"}
    assert pages == {site.held: 2, **{p: 1 for p in ["/", *site.articles] if p != site.held}}
    assert served_before[site.held] == 1
    assert not list(out.rglob("*.open")), list(out.rglob("*"))
    _check_files(archive)


def _captured(archive: Path) -> Counter[str]:
    """200 responses per URL (robots.txt left out), over every file of the archive."""
    return Counter(
        r.url
        for r in ArchiveView.load(archive).of_type("response")
        if r.http_status == 200 and not r.url.endswith("/robots.txt")
    )


def _check_files(archive: Path) -> None:
    """Every WARC file passes ``warcio check`` and ``warcloom check``."""
    files = sorted(archive.iterdir())
    assert files and all(p.name.endswith(".warc.gz") for p in files), files
    warcio = str(Path(sys.executable).parent / "warcio")
    for path in files:
        checked = subprocess.run([warcio, "check", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, (path, checked.stdout, checked.stderr)
    checked = run_warcloom("check", str(archive), cwd=archive)
    assert checked.returncode == 0, checked.stdout + checked.stderr
