"""A crawl that cannot write (disk full, I/O error) or is interrupted (Ctrl-C, SIGTERM) stops
promptly, says why, exits non-zero and leaves files the next run can build on."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from pathlib import Path

import failing_disk
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

import archive.writer
from archive.records import build_request_record
from archive.writer import WarcWriter
from crawler.progress import format_summary

TESTS = Path(__file__).parent
ROOT = TESTS.parent
NOW = datetime.now(UTC)
FOLLOW_ALL = ["--follow", "all", "-s", "WARCLOOM_WARC_MAX_SIZE=60000"]


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
