"""archive.collection: one rule for paths, the lock, last_capture, and no Scrapy in the
commands that only read or package archives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warc_fixtures import Capture, WarcBuilder, html_page, make_collection, warc_name

from archive.analysis import text_hash
from archive.collection import Collection, CollectionBusy, CollectionNotFound
from crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_one_rule_for_every_form_of_path(tmp_path: Path) -> None:
    coll = make_collection(tmp_path, "news")
    assert Collection.open(coll).root == coll
    assert Collection.open(tmp_path).root == coll
    assert Collection.open(tmp_path, "news").root == coll
    with pytest.raises(CollectionNotFound, match="no collection 'other'"):
        Collection.open(tmp_path, "other")
    with pytest.raises(CollectionNotFound, match="has no index"):
        Collection.open(coll, need_index=True)
    layout = Collection.under(tmp_path, "news")
    assert layout.root == coll and layout.archive_dir == coll / "archive"
    assert layout.frontier_path == tmp_path / "state" / "news.frontier.sqlite"
    assert layout.lock_path == tmp_path / "state" / "news.lock"


def test_reextract_and_wacz_take_an_output_directory_as_replay_does(tmp_path: Path) -> None:
    coll = make_collection(tmp_path, "news")
    cap = Capture("http://example.com/a", html_page("A"), title="A", text="Some text.")
    with WarcBuilder(coll / "archive" / warc_name(0)) as b:
        b.warcinfo()
        b.capture(cap)
    Collection.open(coll).rebuild_index()
    assert main(["reextract", str(tmp_path), "--workers", "1", "--progress", "off"]) == 0
    assert main(["wacz", str(tmp_path), "-o", str(tmp_path / "n.wacz")]) == 0


_HOLD = textwrap.dedent(
    """
    import sys, time
    from archive.collection import Collection
    Collection.open(sys.argv[1]).lock().acquire("a test holder")
    print("held", flush=True)
    time.sleep(600)
    """
)


def _holder(coll: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(coll)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()


def test_a_collection_is_held_by_one_run_and_a_dead_holder_frees_it(tmp_path: Path) -> None:
    coll = Collection.open(make_collection(tmp_path, "news"))
    proc = _holder(coll.root)
    try:
        with pytest.raises(CollectionBusy, match=f"a test holder \\(pid {proc.pid} on "):
            coll.lock().acquire("a second run")
    finally:
        _stop(proc)
    with coll.lock() as lock:  # the killed holder's lock is stale: taken over
        lock.acquire("a second run")
        assert lock.held


def test_a_second_crawl_stops_at_once_naming_the_holder(tmp_path: Path) -> None:
    coll = Collection.under(tmp_path, "default")
    coll.make_dirs()
    out = str(tmp_path)
    proc = _holder(coll.root)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "http://127.0.0.1:9/", "--out", out],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    finally:
        _stop(proc)
    assert run.returncode != 0
    assert f"pid {proc.pid}" in run.stderr and "Traceback" not in run.stderr
    assert list(coll.archive_dir.iterdir()) == []  # nothing of the collection touched
    assert not coll.frontier_path.exists()


def test_last_capture_gives_the_newest_2xx_with_validators_and_text(tmp_path: Path) -> None:
    coll_dir = make_collection(tmp_path, "news")
    url = "http://example.com/story"
    first = Capture(url, html_page("Story"), date="2024-05-01T10:00:00Z", title="Story")
    first.text = "The first version."
    gone = Capture(url, b"gone", date="2024-07-01T10:00:00Z", status="404 Not Found")
    with WarcBuilder(coll_dir / "archive" / warc_name(0)) as b:
        b.warcinfo()
        b.capture(first)
        revisit_id = b.revisit(Capture(url), first, "2024-06-01T10:00:00Z")
        b.capture(gone)
    coll = Collection.open(coll_dir)
    coll.rebuild_index()
    last = coll.last_capture(url)
    assert last is not None
    assert last.record_id == revisit_id  # the newest 2xx: the revisit, resolved
    assert last.date == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert last.status == 200 and last.digest
    assert last.text_hash == text_hash("The  first\nversion.")  # the original's text
    assert coll.last_capture("http://example.com/never") is None


def test_reading_commands_import_no_scrapy() -> None:
    code = textwrap.dedent(
        """
        import sys
        import crawler.commands.archive_tools, crawler.commands.export
        import crawler.commands.reextract, crawler.commands.replay, crawler.commands.wacz
        import archive.collection, archive.export, archive.replay, archive.wacz
        import archive.reextract
        loaded = sorted({m.split(".")[0] for m in sys.modules} & {"scrapy", "twisted"})
        print(",".join(loaded))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert run.stdout.strip() == ""


def test_history_keeps_runs_and_ignores_a_line_cut_short(tmp_path: Path) -> None:
    from archive.collection import Run

    coll = Collection.under(tmp_path, "news")
    assert coll.runs() == []
    run = Run(
        started=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        finished=datetime(2026, 1, 2, 3, 9, 0, tzinfo=UTC),
        outcome="finished",
        counts={"new": 3, "changed": 1},
        failures=2,
        bytes=1234,
        job="hourly",
    )
    coll.record_run(run)
    with open(coll.history_path, "a", encoding="utf-8") as fh:
        fh.write('{"started": "2026-01-02T04:00:00Z", "outc')  # a crash mid-line
    assert coll.runs() == [run]
    assert run.to_json()["started"] == "2026-01-02T03:04:05Z"
