"""A crawl that cannot write (disk full, I/O error) or is interrupted (Ctrl-C, SIGTERM) stops
promptly, says why, exits non-zero and leaves files the next run can build on."""

from __future__ import annotations

import errno
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import failing_disk
import pytest
from crawl_helpers import FAST, ArchiveView, load_stats
from scrapy import Request, Spider
from scripted_server import ScriptedServer, send
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

import archive.writer
from archive.records import build_request_record
from archive.writer import WarcWriter
from crawler.frontier import INFLIGHT, SqliteScheduler
from crawler.progress import format_summary
from crawler.sample_site import SampleSite

TESTS = Path(__file__).parent
ROOT = TESTS.parent
NOW = datetime.now(UTC)
FOLLOW_ALL = ["--follow", "all", "-s", "WARCLOOM_WARC_MAX_SIZE=60000"]


# -- helpers ---------------------------------------------------------------------------------


def run_crawl(
    seed: str, out: Path, *extra: str, preamble: str = "pass", timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``warcloom crawl`` in a subprocess (``preamble``: Python run first, e.g. a fault)."""
    code = f"import sys; {preamble}; from crawler.cli import run; sys.exit(run())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", code, "crawl", seed, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture
def small_fs() -> Iterator[Callable[[Path, str], Path]]:
    """Mount a tmpfs of a given size on a directory (real ENOSPC); unmounted after."""
    mounted: list[Path] = []

    def mount(path: Path, size: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs (needs root): {result.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def grow(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def warcio_check(path: Path) -> None:
    warcio = str(Path(sys.executable).parent / "warcio")
    result = subprocess.run([warcio, "check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, (path, result.stdout, result.stderr)


def assert_closed_and_indexed(out: Path) -> ArchiveView:
    """Every WARC file closed, valid, and each response in it in the index."""
    archive_dir = out / "collections" / "default" / "archive"
    assert not [p.name for p in archive_dir.iterdir() if p.name.endswith(".open")]
    view = ArchiveView.load(archive_dir)
    assert view.files
    for path in view.files:
        warcio_check(path)
    index = (out / "collections" / "default" / "indexes" / "index.cdxj").read_text()
    for record in view.of_type("response"):
        assert f'"url": "{record.url}"' in index, record.url
    return view


def finished_marker(out: Path) -> Path:
    return out / "state" / "default.frontier.finished"


# -- 1. a disk that fills up -----------------------------------------------------------------


def test_warc_disk_full_stops_the_crawl_and_the_next_run_resumes(
    tmp_path: Path, small_fs: Callable[[Path, str], Path]
) -> None:
    out = tmp_path / "out"
    archive_dir = small_fs(out / "collections" / "default" / "archive", "256k")
    stats_path = tmp_path / "stats.json"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        result = run_crawl(seed, out, *FAST, *FOLLOW_ALL, "--stats-json", str(stats_path))
        served = len(site.requests)
        stats = load_stats(stats_path)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "Traceback" not in output
        assert "No space left on device" in output
        assert ".warc.gz" in output  # the file is named
        assert stats["finish_reason"] == "warc_write_error"
        assert not finished_marker(out).exists()
        view = assert_closed_and_indexed(out)
        archived = len(view.of_type("response"))
        not_archived = stats["warcloom/not_archived"]
        assert not_archived >= 1
        assert f"not archived: {not_archived}" in result.stdout
        # stopped promptly: at most what was already in flight was fetched after the failure
        assert served <= archived + not_archived + stats.get("warcloom/fetch_errors", 0) + 16

        grow(archive_dir, "64m")  # space freed: the next run resumes and finishes
        again = run_crawl(seed, out, *FAST, *FOLLOW_ALL)
        assert again.returncode == 0, again.stdout + again.stderr[-3000:]
        reachable = {site.url(a.path) for a in site.manifest.articles if a.reachable}
    assert finished_marker(out).exists()
    view = assert_closed_and_indexed(out)
    captured = {r.url for r in view.of_type("response") if r.http_status == 200}
    assert reachable <= captured


def test_whole_output_on_a_full_disk_is_indexed_by_the_next_run(
    tmp_path: Path, small_fs: Callable[[Path, str], Path]
) -> None:
    out = small_fs(tmp_path / "out", "600k")  # WARC files, index and frontier all fill it
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        result = run_crawl(seed, out, *FAST, "--follow", "all")
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "Traceback" not in output and "No space left on device" in output
        assert not finished_marker(out).exists()
        archive_dir = out / "collections" / "default" / "archive"
        assert not [p.name for p in archive_dir.iterdir() if p.name.endswith(".open")]

        grow(out, "64m")
        again = run_crawl(seed, out, *FAST, "--follow", "all")
        assert again.returncode == 0, again.stdout + again.stderr[-3000:]
        reachable = {site.url(a.path) for a in site.manifest.articles if a.reachable}
    view = assert_closed_and_indexed(out)  # the first run's files too, though it could not
    captured = {r.url for r in view.of_type("response") if r.http_status == 200}
    assert reachable <= captured


def fill(path: Path, leave: int) -> None:
    """Fill the file system of ``path`` with one file, leaving ``leave`` bytes free."""
    free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
    (path / "filler").write_bytes(b"\0" * max(0, free - leave))


@pytest.mark.parametrize(
    ("leave", "named"),
    [(0, "default.lock"), (4096, "default.frontier.sqlite")],
    ids=["the-lock-cannot-be-written", "the-frontier-cannot-be-created"],
)
def test_a_crawl_on_a_full_disk_says_so_in_one_line(
    tmp_path: Path, small_fs: Callable[[Path, str], Path], leave: int, named: str
) -> None:
    out = tmp_path / "out"
    state = small_fs(out / "state", "64k")
    fill(state, leave)
    with SampleSite() as site:
        result = run_crawl(site.url(site.manifest.seed_path), out, *FAST)
        assert not site.requests  # nothing fetched that could not be archived
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("warcloom: ")]
    assert named in line and ("No space left on device" in line or "full" in line), line


def test_injected_write_error_stops_the_crawl_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stats_path = tmp_path / "stats.json"
    with SampleSite() as site:
        result = run_crawl(
            site.url(site.manifest.seed_path),
            out,
            *FAST,
            *FOLLOW_ALL,
            "--stats-json",
            str(stats_path),
            preamble=f"import failing_disk; failing_disk.install(150_000, {errno.EIO})",
        )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert "Input/output error" in output and ".warc.gz" in output
    stats = load_stats(stats_path)
    assert stats["finish_reason"] == "warc_write_error"
    assert stats["warcloom/write_errors"] >= 1
    assert not finished_marker(out).exists()
    view = assert_closed_and_indexed(out)
    assert view.of_type("response")


def test_frontier_disk_full_stops_the_crawl_and_the_next_run_resumes(
    tmp_path: Path, small_fs: Callable[[Path, str], Path]
) -> None:
    out = tmp_path / "out"
    state = small_fs(out / "state", "160k")
    stats_path = tmp_path / "stats.json"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        result = run_crawl(seed, out, *FAST, *FOLLOW_ALL, "--stats-json", str(stats_path))
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "Traceback" not in output
        assert "default.frontier.sqlite" in output and "full" in output
        assert load_stats(stats_path)["finish_reason"] == "frontier_write_error"
        assert not finished_marker(out).exists()
        assert_closed_and_indexed(out)

        grow(state, "64m")
        again = run_crawl(seed, out, *FAST, *FOLLOW_ALL)
        assert again.returncode == 0, again.stdout + again.stderr[-3000:]
        reachable = {site.url(a.path) for a in site.manifest.articles if a.reachable}
    view = assert_closed_and_indexed(out)
    captured = {r.url for r in view.of_type("response") if r.http_status == 200}
    assert reachable <= captured


# -- 2. Ctrl-C and SIGTERM -------------------------------------------------------------------

PAGES = 60


def slow_site(stall_at: int | None, stall: threading.Event) -> Callable[..., None]:
    """Pages /p/N linking to ten more; request number ``stall_at`` hangs until ``stall``
    is set (or 90 s), as a slow server's does."""
    count = itertools.count(1)

    def handle(handler: BaseHTTPRequestHandler) -> None:
        if not handler.path.startswith("/p/"):
            send(handler, 404)
            return
        if next(count) == stall_at:
            stall.wait(90)
        page = int(handler.path.rsplit("/", 1)[1])
        links = "".join(
            f'<li><a href="/p/{n}">Story number {n}</a></li>'
            for n in range(page * 10 + 1, min(page * 10 + 11, PAGES))
        )
        text = "".join(f"<p>Paragraph {i} of story {page}, long enough.</p>" for i in range(20))
        body = f"<html><head><title>Story {page}</title></head><body>{text}<ul>{links}</ul>"
        send(handler, 200, (body + "</body></html>").encode())

    return handle


class Crawl:
    """A crawl subprocess whose stderr is read line by line as it comes."""

    def __init__(self, seed: str, out: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "crawl", seed, "--out", str(out), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.stdout = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                self.lines.append(line)

    def wait_for_line(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} on stderr within {timeout}s: {self.lines[-20:]}")

    def __enter__(self) -> Crawl:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def wait(self, timeout: float) -> int:
        """Wait for the end (stdout is only the summary: it fits in the pipe)."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"crawl still running {timeout}s after the signal") from None
        assert self.process.stdout is not None
        self.stdout = self.process.stdout.read()
        self._reader.join(5)
        return self.process.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


def wait_for_hits(server: ScriptedServer, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len([p for p in server.paths() if p.startswith("/p/")]) < count:
        assert time.monotonic() < deadline, f"the crawl did not reach {count} pages"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_first_signal_stops_promptly_with_closed_indexed_files(
    tmp_path: Path, signum: signal.Signals
) -> None:
    stall = threading.Event()
    out = tmp_path / "out"
    stats_path = tmp_path / "stats.json"
    with ScriptedServer(slow_site(4, stall)) as server:
        # the default politeness (DOWNLOAD_DELAY=1, AutoThrottle) and a server that hangs
        crawl = Crawl(server.url("/p/0"), out, "--follow", "all", "--stats-json", str(stats_path))
        with crawl:
            try:
                wait_for_hits(server, 4)  # the 4th request hangs in flight, more are queued
                hits = len(server.paths())
                crawl.process.send_signal(signum)
                crawl.wait_for_line("stopping, closing files (Ctrl-C again to force)", timeout=10)
                code = crawl.wait(timeout=40)  # a safety net: it takes a few seconds
            finally:
                stall.set()
        assert len(server.paths()) == hits  # nothing fetched after the signal
    assert code != 0, crawl.stderr
    assert "Traceback" not in crawl.stderr
    stats = load_stats(stats_path)
    assert stats["finish_reason"] == "shutdown"
    assert "finish reason: shutdown" in crawl.stdout
    assert not finished_marker(out).exists()
    view = assert_closed_and_indexed(out)
    assert len(view.of_type("response")) >= 3


def test_second_ctrl_c_forces_the_stop_and_the_next_run_repairs(tmp_path: Path) -> None:
    stall = threading.Event()
    out = tmp_path / "out"
    archive_dir = out / "collections" / "default" / "archive"
    with ScriptedServer(slow_site(4, stall)) as server:
        seed = server.url("/p/0")
        crawl = Crawl(seed, out, "--follow", "all", "-s", "WARCLOOM_STOP_GRACE=60")
        with crawl:
            try:
                wait_for_hits(server, 4)
                crawl.process.send_signal(signal.SIGINT)
                crawl.wait_for_line("stopping, closing files", timeout=10)
                crawl.process.send_signal(signal.SIGINT)
                forced = crawl.wait_for_line("forced stop: the next run will repair", timeout=10)
                code = crawl.wait(timeout=40)
            finally:
                stall.set()
        assert code != 0
        left_open = [p for p in archive_dir.iterdir() if p.name.endswith(".open")]
        assert len(left_open) == 1 and left_open[0].name in forced, (forced, left_open)

        again = run_crawl(seed, out, *FAST, "--follow", "all", "-v")
    output = again.stdout + again.stderr
    assert again.returncode == 0, output[-3000:]
    assert "Recovered" in output
    view = assert_closed_and_indexed(out)
    assert {r.url for r in view.of_type("response")} >= {server.url(f"/p/{n}") for n in range(3)}


# -- 3. the summary never hides a write failure ----------------------------------------------


def test_summary_counts_write_failures() -> None:
    stats = {"warcloom/captures": 10, "warcloom/write_errors": 2, "warcloom/not_archived": 7}
    failures = format_summary(stats).splitlines()[-1]
    assert failures.startswith("failures: ")
    assert "WARC write errors: 2" in failures and "not archived: 7" in failures


# -- the parts: the writer and the frontier --------------------------------------------------


def request_record(n: int) -> ArcWarcRecord:
    url, line = f"http://example.com/{n}", f"GET /{n} HTTP/1.1"
    return build_request_record(url, line, [(b"Host", b"example.com")], b"x" * 500, NOW)


def test_writer_cuts_a_failed_write_back_to_whole_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failing_disk, "_state", {"budget": 4000, "code": errno.ENOSPC})
    monkeypatch.setattr(archive.writer, "open", failing_disk._open, raising=False)
    writer = WarcWriter(tmp_path)
    written = 0
    with pytest.raises(archive.writer.WarcWriteError) as caught:
        for n in range(100):
            writer.write([request_record(n)])
            written += 1
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename.endswith(".warc.gz.open")
    assert "No space left on device" in str(caught.value)
    with pytest.raises(archive.writer.WarcWriteError):  # a writer that failed writes no more
        writer.write([request_record(999)])
    (path,) = writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    with open(path, "rb") as fh:
        types = [record.rec_type for record in ArchiveIterator(fh)]
    assert types == ["warcinfo"] + ["request"] * written


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def test_an_interrupted_crawl_leaves_requests_in_flight_for_the_next_run(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite"
    s = SqliteScheduler(str(db), stats=Stats())
    s.open(Spider("unit"))
    for name in "ab":
        s.enqueue_request(Request(f"http://x/{name}"))
    s.next_request()  # in flight when the crawl is stopped: dropped, not failed
    s.close("shutdown")
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT id, state FROM requests").fetchall())
    conn.close()
    assert list(rows.values()).count(INFLIGHT) == 1
    r = SqliteScheduler(str(db), stats=Stats())
    r.open(Spider("unit"))
    assert len(r) == 2  # fetched again
    r.close("finished")
