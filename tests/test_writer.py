"""The rotating writer: names, rotation, warcinfo heads, crash recovery (no reactor)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.records import build_conversion_record, build_metadata_record
from archive.writer import WarcWriter, recover_open_files, warc_filename

MOMENT = datetime(2026, 11, 27, 3, 4, 5, 678901, tzinfo=UTC)
NAME_RE = re.compile(r"^test-\d{17}-\d{5}-[A-Za-z0-9._-]+-\d+\.warc\.gz$")


def group(i: int, size: int = 2000) -> list:
    url = f"http://example.org/{i}"
    text = os.urandom(size).hex()  # incompressible, so sizes are predictable
    return [
        build_metadata_record(url, f"<urn:uuid:{i}>", MOMENT, {"n": i}),
        build_conversion_record(url, f"<urn:uuid:{i}>", MOMENT, "t", text),
    ]


def records_of(path: Path) -> list:
    with open(path, "rb") as fh:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)
        ]


def test_filename_follows_iipc_pattern() -> None:
    name = warc_filename("warcloom", MOMENT, 7, "crawl host/1", 42)
    assert name == "warcloom-20261127030405678-00007-crawl_host_1-42.warc.gz"


def test_rotation_keeps_groups_together_and_heads_each_file_with_warcinfo(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="test", max_size=12_000, info={"operator": "tests"})
    locations = [writer.write(group(i)) for i in range(12)]
    files = writer.close()
    assert len(files) > 2
    assert not list(tmp_path.glob("*.open"))
    seen = []
    for path in files:
        assert NAME_RE.match(path.name), path.name
        assert path.stat().st_size <= 12_000 or len(records_of(path)) == 3
        recs = records_of(path)
        assert recs[0][0] == "warcinfo"
        assert recs.count(("warcinfo", None)) == 1
        pairs = recs[1:]
        assert len(pairs) % 2 == 0  # metadata + conversion never split across files
        seen.extend(uri for _, uri in pairs[::2])
    assert seen == [f"http://example.org/{i}" for i in range(12)]
    # the returned locations point at the records
    first = locations[5][1]
    with open(tmp_path / first.filename, "rb") as fh:
        fh.seek(first.offset)
        rec = next(iter(ArchiveIterator(fh)))
        assert rec.rec_type == "conversion"
        assert rec.rec_headers.get_header("WARC-Target-URI") == "http://example.org/5"


def test_writes_to_open_file_then_renames(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="test")
    writer.write(group(1))
    assert len(list(tmp_path.glob("*.warc.gz.open"))) == 1
    assert not list(tmp_path.glob("*.warc.gz"))
    writer.close()
    assert len(list(tmp_path.glob("*.warc.gz"))) == 1
    assert not list(tmp_path.glob("*.open"))


def test_rejects_nonsense_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_size"):
        WarcWriter(tmp_path, max_size=0)


@pytest.mark.parametrize("cut", [1, 17, 500])
def test_recovery_cuts_a_partial_last_record_and_keeps_the_rest(tmp_path: Path, cut: int) -> None:
    writer = WarcWriter(tmp_path, prefix="test")
    for i in range(5):
        writer.write(group(i))
    writer._file.flush()
    (open_path,) = tmp_path.glob("*.open")
    size = open_path.stat().st_size
    # simulate a kill in the middle of the last write
    with open(open_path, "r+b") as fh:
        fh.truncate(size - cut)
    writer._file.close()  # the process "died": the file is never renamed
    writer._file = None
    (repaired,) = recover_open_files(tmp_path)
    assert repaired.name.endswith(".warc.gz")
    recs = records_of(repaired)
    assert recs[0][0] == "warcinfo"
    assert len(recs) == 1 + 2 * 5 - 1  # only the cut conversion record is gone
    assert not list(tmp_path.glob("*.open"))


def test_recovery_of_an_intact_open_file_keeps_everything(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="test")
    for i in range(3):
        writer.write(group(i, size=300_000))  # members larger than the scan chunk
    writer._file.flush()
    writer._file.close()
    writer._file = None
    (repaired,) = recover_open_files(tmp_path)
    assert len(records_of(repaired)) == 7


def test_recovery_drops_an_empty_open_file(tmp_path: Path) -> None:
    (tmp_path / "x.warc.gz.open").write_bytes(b"\x1f\x8b\x08")
    assert recover_open_files(tmp_path) == []
    assert not list(tmp_path.iterdir())
