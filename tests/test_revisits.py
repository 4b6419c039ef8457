"""Revisit records: both WARC/1.1 profiles built, checked by warcio, resolved by the loader."""

from __future__ import annotations

import gzip
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warc_fixtures import make_collection

from archive.collection import Collection
from archive.records import (
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    HttpExchange,
    Revisit,
    build_capture,
    record_id,
    sha1_digest,
    warc_date,
)
from archive.writer import WarcWriter
from crawler.cli import main

URL = "http://example.com/story"
BODY = gzip.compress(b"<html><title>Story</title><p>The story.</p></html>", mtime=0)
FIRST = datetime(2024, 5, 1, 10, tzinfo=UTC)


def _exchange(when: datetime, status: int = 200, body: bytes = BODY, **kw) -> HttpExchange:
    headers = [(b"Content-Type", b"text/html"), (b"ETag", b'"v1"')]
    if status == 200:
        headers.append((b"Content-Encoding", b"gzip"))
    return HttpExchange(
        url=URL,
        method="GET",
        request_target="/story",
        request_headers=[(b"Host", b"example.com"), (b"If-None-Match", b'"v1"')],
        request_body=b"",
        protocol="HTTP/1.1",
        status=status,
        response_headers=headers,
        body=body,
        date=when,
        ip_address="127.0.0.1",
        **kw,
    )


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    root = make_collection(tmp_path)
    original, request = build_capture(_exchange(FIRST))
    revisit = Revisit(
        profile="",
        record_id=record_id(original),
        target_uri=URL,
        date=warc_date(FIRST),
        payload_digest=sha1_digest(BODY),
    )
    not_modified, req2 = build_capture(
        _exchange(
            datetime(2024, 6, 1, tzinfo=UTC),
            status=304,
            body=b"",
            revisit=replace(revisit, profile=REVISIT_NOT_MODIFIED),
        )
    )
    identical, req3 = build_capture(
        _exchange(
            datetime(2024, 7, 1, tzinfo=UTC), revisit=replace(revisit, profile=REVISIT_IDENTICAL)
        )
    )
    with WarcWriter(root / "archive", info={"software": "test"}) as writer:
        writer.write([request, original])
        writer.write([req2, not_modified])
        writer.write([req3, identical])
    coll = Collection.open(root)
    coll.rebuild_index()
    return coll


def test_both_profiles_pass_warcio_and_warcloom_check(coll: Collection) -> None:
    (path,) = coll.files()
    warcio = Path(sys.executable).with_name("warcio")
    result = subprocess.run([str(warcio), "check", "-v", str(path)], capture_output=True)
    assert result.returncode == 0, result.stdout
    assert main(["check", str(path)]) == 0


@pytest.mark.parametrize(("stamp", "status"), [("20240601", 200), ("20240701", 200)])
def test_a_revisit_loads_the_original_payload(coll: Collection, stamp: str, status: int) -> None:
    entry = coll.captures(URL, stamp)[0]
    assert entry.fields["mime"] == "warc/revisit"
    with coll.load(entry) as capture:
        assert capture.status == status and capture.read_payload() == BODY
        assert capture.header("Content-Encoding") == "gzip"
        assert capture.original_id is not None and capture.record_id != capture.original_id


def test_revisit_records_carry_the_profile_and_refers_to_fields(coll: Collection) -> None:
    from archive.reader import iter_records

    (path,) = coll.files()
    seen = []
    for ref in iter_records(path):
        if ref.rec_type != "revisit":
            continue
        assert ref.header("WARC-Refers-To-Target-URI") == URL
        assert ref.header("WARC-Refers-To-Date") == warc_date(FIRST)
        assert ref.header("WARC-Payload-Digest") == sha1_digest(BODY)
        assert ref.record.raw_stream.read() == b""  # headers only
        seen.append((ref.header("WARC-Profile"), ref.http_headers.get_statuscode()))
    assert seen == [(REVISIT_NOT_MODIFIED, "304"), (REVISIT_IDENTICAL, "200")]
