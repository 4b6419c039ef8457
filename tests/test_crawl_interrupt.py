"""A crawl killed with SIGKILL resumes; one stopped with Ctrl-C closes its files cleanly."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from crawl_helpers import ArchiveView, load_stats, warcloom

from crawler.sample_site import SampleSite

SLOW = [
    "-s",
    "DOWNLOAD_DELAY=0.05",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "RANDOMIZE_DOWNLOAD_DELAY=False",
    "-s",
    "WARCLOOM_WARC_MAX_SIZE=100000",
]


def start_crawl(site: SampleSite, out: Path) -> subprocess.Popen:
    seed = site.url(site.manifest.seed_path)
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", seed, "--out", str(out), *SLOW],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_articles(site: SampleSite, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(p.startswith("/news/") for p in list(site.requests)) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"crawl did not reach {count} articles in {timeout}s")


def done_urls(frontier: Path) -> set[str]:
    """URLs the frontier has committed as done (read while the crawl runs: WAL allows it)."""
    if not frontier.exists():
        return set()
    with closing(sqlite3.connect(f"file:{frontier}?mode=ro", uri=True)) as db:
        try:
            rows = db.execute("SELECT request FROM requests WHERE state = 'done'").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return set()
    return {pickle.loads(row[0])["url"] for row in rows}


def wait_for_done(frontier: Path, count: int, timeout: float = 60) -> set[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = done_urls(frontier)
        if len(done) >= count:
            return done
        time.sleep(0.05)
    raise AssertionError(f"frontier did not commit {count} done requests in {timeout}s")


def wait_for_open_file(archive_dir: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(archive_dir.glob("*.open")):
            return
        time.sleep(0.01)
    raise AssertionError(f"no WARC file was open in {archive_dir} within {timeout}s")


def warcio_check(path: Path) -> int:
    warcio = str(Path(sys.executable).parent / "warcio")
    return subprocess.run([warcio, "check", str(path)], capture_output=True).returncode


def test_sigkill_then_resume_loses_nothing_and_leaves_readable_files(tmp_path: Path) -> None:
    archive_dir = tmp_path / "collections" / "default" / "archive"
    with SampleSite() as site:
        reachable = {site.url(a.path) for a in site.manifest.articles if a.reachable}
        process = start_crawl(site, tmp_path)
        frontier = tmp_path / "state" / "default.frontier.sqlite"
        wait_for_done(frontier, 15)
        # files rotate every 100 kB: kill while one is being written, as a crash would find it
        wait_for_open_file(archive_dir)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        done_before_kill = done_urls(frontier)
        killed_files = list(archive_dir.glob("*.warc.gz*"))
        assert any(p.name.endswith(".open") for p in killed_files), killed_files
        first_run_requests = len(site.requests)

        stats_path = tmp_path / "stats.json"
        output = warcloom(
            "crawl",
            site.url(site.manifest.seed_path),
            "--out",
            str(tmp_path),
            "--stats-json",
            str(stats_path),
            "-v",
            *SLOW,
        )
        stats = load_stats(stats_path)
        second_run = {site.url(p) for p in site.requests[first_run_requests:]}
    assert "Recovered" in output and "resuming:" in output
    assert stats["finish_reason"] == "finished"
    assert not list(archive_dir.glob("*.open"))
    view = ArchiveView.load(archive_dir)
    captured = {r.url for r in view.of_type("response") if r.http_status == 200}
    assert reachable <= captured
    for path in view.files:
        assert warcio_check(path) == 0, path
    # the second run resumed: what the first run had committed as done was not fetched again
    assert len(done_before_kill) >= 15
    assert not (second_run & done_before_kill)
    assert second_run  # and the rest was
    # every capture of both runs is in the index
    index = (tmp_path / "collections" / "default" / "indexes" / "index.cdxj").read_text()
    for url in reachable:
        assert f'"url": "{url}"' in index


def test_ctrl_c_closes_warc_files_cleanly(tmp_path: Path) -> None:
    archive_dir = tmp_path / "collections" / "default" / "archive"
    with SampleSite() as site:
        process = start_crawl(site, tmp_path)
        wait_for_articles(site, 10)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) is not None
    files = list(archive_dir.iterdir())
    assert files and not [p for p in files if p.name.endswith(".open")]
    for path in files:
        assert warcio_check(path) == 0, path
    index = tmp_path / "collections" / "default" / "indexes" / "index.cdxj"
    assert index.read_text().count("\n") >= 10
