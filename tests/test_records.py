"""Record building: exact bytes, digests, links between records (no reactor, no network)."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.records import (
    HttpExchange,
    build_capture,
    build_conversion_record,
    build_error_record,
    build_metadata_record,
    build_request_record,
    build_warcinfo_record,
    parse_warc_fields,
    record_id,
    serialize,
    sha1_digest,
)
from archive.writer import WarcWriter

MOMENT = datetime(2026, 11, 27, 3, 4, 5, 678901, tzinfo=UTC)
BODY = gzip.compress("<html><p>Café 纺织</p></html>".encode())


def exchange(**changes: object) -> HttpExchange:
    values: dict[str, object] = {
        "url": "http://127.0.0.1:8080/news/a.html?id=7&x=%E4%B8%AD",
        "method": "GET",
        "request_target": "/news/a.html?id=7&x=%E4%B8%AD",
        "request_headers": [(b"Host", b"127.0.0.1:8080"), (b"User-Agent", b"warcloom-test")],
        "request_body": b"",
        "protocol": "HTTP/1.1",
        "status": 200,
        "response_headers": [
            (b"Content-Type", b"text/html; charset=utf-8"),
            (b"Content-Encoding", b"gzip"),
            (b"Set-Cookie", b"a=1"),
            (b"Set-Cookie", b"b=caf\xe9"),
            (b"Content-Length", str(len(BODY)).encode()),
        ],
        "body": BODY,
        "date": MOMENT,
        "ip_address": "127.0.0.1",
    }
    values.update(changes)
    return HttpExchange(**values)  # type: ignore[arg-type]


def read_back(*records: object) -> list:
    data = b"".join(serialize(r) for r in records)
    out = []
    for rec in ArchiveIterator(BytesIO(data), check_digests=True):
        rec.content = rec.raw_stream.read()  # payload as stored, no decoding
        out.append(rec)
    return out


def test_response_keeps_body_headers_and_status_line_exactly() -> None:
    response, _ = build_capture(exchange())
    raw = serialize(response)
    http_block = raw.split(b"\r\n\r\n", 1)[1]
    assert http_block.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n")
    # repeated headers kept in order, Latin-1 value byte for byte
    assert b"Set-Cookie: a=1\r\nSet-Cookie: b=caf\xe9\r\n" in http_block
    assert http_block.endswith(BODY + b"\r\n\r\n")
    response, _ = build_capture(exchange())  # records are one-shot streams: build anew
    (rec,) = read_back(response)
    assert rec.content == BODY  # content-encoding kept: still gzip
    assert rec.rec_headers.get_header("WARC-Payload-Digest") == sha1_digest(BODY)
    assert rec.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert rec.rec_headers.get_header("WARC-Date") == "2026-11-27T03:04:05.678901Z"
    assert rec.digest_checker.passed is not False


def test_request_line_keeps_query_and_records_link_both_ways() -> None:
    response, request = build_capture(exchange())
    raw = serialize(request)
    assert b"\r\n\r\nGET /news/a.html?id=7&x=%E4%B8%AD HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" in raw
    assert request.rec_headers.get_header("WARC-Concurrent-To") == record_id(response)
    assert response.rec_headers.get_header("WARC-Concurrent-To") == record_id(request)
    assert request.rec_headers.get_header("WARC-Date") == response.rec_headers.get_header(
        "WARC-Date"
    )
    assert request.rec_headers.get_header("WARC-Payload-Digest") is None


def test_stored_length_replaces_a_wrong_content_length() -> None:
    short = BODY[:10]
    response, _ = build_capture(exchange(body=short, truncated="disconnect"))
    http_block = serialize(response).split(b"\r\n\r\n", 1)[1]
    assert f"X-Crawler-Content-Length: {len(BODY)}\r\n".encode() in http_block
    assert b"Content-Length: 10\r\n" in http_block
    assert response.rec_headers.get_header("WARC-Truncated") == "disconnect"


def test_transfer_encoding_is_renamed() -> None:
    headers = [(b"Content-Type", b"text/html"), (b"Transfer-Encoding", b"chunked")]
    response, _ = build_capture(exchange(response_headers=headers, body=b"<p>x</p>"))
    http_block = serialize(response).split(b"\r\n\r\n", 1)[1]
    assert b"X-Crawler-Transfer-Encoding: chunked\r\n" in http_block
    assert b"\r\nTransfer-Encoding" not in http_block
    assert b"Content-Length: 8\r\n" in http_block


def test_unknown_status_code_has_no_made_up_phrase() -> None:
    response, _ = build_capture(exchange(status=599, response_headers=[]))
    assert b"\r\n\r\nHTTP/1.1 599\r\n" in serialize(response)


def test_metadata_record_has_block_digest_only_and_json_fields() -> None:
    fields = {"title": "纺织 news", "languages": [{"tag": "en", "share": 0.9}], "none": None}
    record = build_metadata_record("http://x/a", "<urn:uuid:1>", MOMENT, fields)
    (rec,) = read_back(record)
    assert rec.rec_headers.get_header("WARC-Payload-Digest") is None
    assert rec.rec_headers.get_header("WARC-Refers-To") == "<urn:uuid:1>"
    assert rec.rec_headers.get_header("Content-Type") == "application/warc-fields"
    assert parse_warc_fields(rec.content) == {k: v for k, v in fields.items() if v is not None}
    expected = hashlib.sha1(rec.content).digest()
    assert rec.rec_headers.get_header("WARC-Block-Digest") == sha1_digest(rec.content)
    assert len(expected) == 20


def test_conversion_record_carries_identified_languages() -> None:
    record = build_conversion_record(
        "http://x/a", "<urn:uuid:1>", MOMENT, "Title", "Body text 纺织", ["eng", "zho"]
    )
    (rec,) = read_back(record)
    assert rec.rec_headers.get_header("WARC-Identified-Content-Language") == "eng,zho"
    assert rec.rec_headers.get_header("Content-Type") == "text/plain; charset=utf-8"
    assert rec.content.decode() == "Title\n\nBody text 纺织"


def test_error_and_warcinfo_records() -> None:
    request = build_request_record("http://x/a", "GET /a HTTP/1.1", [(b"Host", b"x")], b"", MOMENT)
    error = build_error_record(
        "http://x/a", record_id(request), MOMENT, {"fetch-error": "TimeoutError: took too long"}
    )
    info = build_warcinfo_record("f.warc.gz", {"software": "warcloom", "operator": None})
    recs = read_back(request, error, info)
    assert [r.rec_type for r in recs] == ["request", "metadata", "warcinfo"]
    assert recs[1].rec_headers.get_header("WARC-Concurrent-To") == record_id(request)
    assert recs[2].rec_headers.get_header("WARC-Target-URI") is None
    assert recs[2].content == b"software: warcloom\r\n"


@pytest.mark.parametrize("status", [200, 301, 404, 500])
def test_warcio_check_passes_on_written_file(tmp_path: Path, status: int) -> None:
    with WarcWriter(tmp_path, info={"software": "test"}) as writer:
        response, request = build_capture(exchange(status=status))
        writer.write([request, response])
        writer.write(
            [
                build_metadata_record("http://x/a", record_id(response), MOMENT, {"a": 1}),
                build_conversion_record("http://x/a", record_id(response), MOMENT, "T", "t"),
            ]
        )
    (path,) = writer.closed_files
    result = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", "-v", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 5
