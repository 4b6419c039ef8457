"""Build WARC/1.1 records (warcio objects) for captures, metadata and conversions.

Building is kept apart from writing: every function here returns a warcio
``ArcWarcRecord`` with its digests set, ready for :class:`archive.writer.WarcWriter`.
HTTP header blocks are kept as the exact bytes given (warcio would otherwise
re-encode non-ASCII header values).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from typing import Any

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

__all__ = [
    "REVISIT_IDENTICAL",
    "REVISIT_NOT_MODIFIED",
    "HttpExchange",
    "Revisit",
    "build_capture",
    "build_conversion_record",
    "build_error_record",
    "build_metadata_record",
    "build_request_record",
    "build_resource_record",
    "build_warcinfo_record",
    "parse_warc_fields",
    "record_id",
    "serialize",
    "sha1_digest",
    "warc_date",
]

WARC_VERSION = "WARC/1.1"
Headers = Sequence[tuple[bytes, bytes]]

# Headers whose wire form Scrapy/Twisted does not give back; renamed as Common Crawl does.
_RENAMED_HEADERS = {b"transfer-encoding": b"X-Crawler-Transfer-Encoding"}
_DROPPED_HEADERS = {b"content-length"}


# Records with no HTTP entity: warcio would give them a payload digest (FIELD-NOTES).
_NO_PAYLOAD_DIGEST_TYPES = ("warcinfo", "revisit", "metadata", "request")


class _Builder(RecordBuilder):
    """warcio's builder, without a payload digest on records that have no payload."""

    NO_PAYLOAD_DIGEST_TYPES = _NO_PAYLOAD_DIGEST_TYPES


class _Serializer(WARCWriter):
    """warcio's writer with the same digest rules as :class:`_Builder`."""

    NO_PAYLOAD_DIGEST_TYPES = _NO_PAYLOAD_DIGEST_TYPES


_BUILDER = _Builder(warc_version=WARC_VERSION)


def serialize(record: ArcWarcRecord) -> bytes:
    """The record's uncompressed bytes, digests and Content-Length filled in."""
    buffer = BytesIO()
    _Serializer(buffer, gzip=False, warc_version=WARC_VERSION).write_record(record)
    return buffer.getvalue()


class _RawHttpHeaders(StatusAndHeaders):
    """An HTTP header block written exactly as the bytes given."""

    def __init__(self, statusline: str, protocol: str, raw: bytes, headers: list) -> None:
        super().__init__(statusline, headers, protocol=protocol)
        self._raw = raw

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self._raw


REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


@dataclass(frozen=True)
class Revisit:
    """The stored capture a response repeats (``identical-payload-digest``: same payload
    digest) or confirms (``server-not-modified``: a 304): a revisit record is written in
    place of a response record, its block the HTTP head only."""

    profile: str
    record_id: str  # WARC-Refers-To
    target_uri: str  # WARC-Refers-To-Target-URI
    date: str  # WARC-Refers-To-Date: the original's WARC-Date, as stored
    payload_digest: str  # the original's, ``sha1:...``


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request and its response as Scrapy saw them.

    ``response_headers`` keep repeated headers in order; ``body`` is the entity body
    as received (content-encoding kept, transfer-encoding removed).
    """

    url: str
    method: str
    request_target: str
    request_headers: Headers
    request_body: bytes
    protocol: str
    status: int
    response_headers: Headers
    body: bytes
    date: datetime
    ip_address: str | None = None
    truncated: str | None = None
    status_line: str | None = None  # as received, when known; else rebuilt from protocol + status
    extra_warc_headers: Mapping[str, str] = field(default_factory=dict)
    revisit: Revisit | None = None  # store a revisit record instead of the response


def warc_date(moment: datetime) -> str:
    """WARC 1.1 date with microseconds, always UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha1_digest(data: bytes) -> str:
    """``sha1:BASE32`` digest, the form WARC files and CDX indexes use."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def record_id(record: ArcWarcRecord) -> str:
    """The record's ``WARC-Record-ID`` (``<urn:uuid:...>``)."""
    return record.rec_headers.get_header("WARC-Record-ID")


def _header_block(first_line: bytes, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    lines = [first_line]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _response_headers(exchange: HttpExchange) -> list[tuple[bytes, bytes]]:
    """Response headers as stored: Content-Length is the stored length, the rest as received."""
    stored: list[tuple[bytes, bytes]] = []
    original_length: bytes | None = None
    for name, value in exchange.response_headers:
        lower = name.lower()
        if lower in _DROPPED_HEADERS:
            original_length = value
            continue
        stored.append((_RENAMED_HEADERS.get(lower, name), value))
    length = str(len(exchange.body)).encode("ascii")
    if original_length is not None and original_length.strip() != length:
        stored.append((b"X-Crawler-Content-Length", original_length))
    stored.append((b"Content-Length", length))
    return stored


def _http_record(
    url: str,
    record_type: str,
    first_line: str,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    warc_headers: dict[str, str],
) -> ArcWarcRecord:
    headers = list(headers)
    if record_type in ("response", "revisit"):
        protocol, _, statusline = first_line.partition(" ")
    else:
        protocol, statusline = "", first_line
    http_headers = _RawHttpHeaders(
        statusline,
        protocol,
        _header_block(first_line.encode("latin-1"), headers),
        [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers],
    )
    return _BUILDER.create_warc_record(
        url,
        record_type,
        payload=BytesIO(body),
        length=len(body),
        warc_headers_dict=warc_headers,
        http_headers=http_headers,
    )


def build_request_record(
    url: str,
    request_line: str,
    headers: Headers,
    body: bytes,
    date: datetime,
    concurrent_to: str | None = None,
) -> ArcWarcRecord:
    """A ``request`` record: request line (with query string) and headers as sent."""
    warc_headers = {"WARC-Date": warc_date(date)}
    if concurrent_to:
        warc_headers["WARC-Concurrent-To"] = concurrent_to
    return _http_record(url, "request", request_line, headers, body, warc_headers)


def build_capture(exchange: HttpExchange) -> tuple[ArcWarcRecord, ArcWarcRecord]:
    """Response (or revisit) and request records of one exchange, linked by
    WARC-Concurrent-To."""
    date = warc_date(exchange.date)
    response_headers = {"WARC-Date": date, **exchange.extra_warc_headers}
    record_type, body = "response", exchange.body
    if exchange.revisit is not None:
        revisit = exchange.revisit
        record_type, body = "revisit", b""
        response_headers.update(
            {
                "WARC-Profile": revisit.profile,
                "WARC-Refers-To": revisit.record_id,
                "WARC-Refers-To-Target-URI": revisit.target_uri,
                "WARC-Refers-To-Date": revisit.date,
                "WARC-Payload-Digest": revisit.payload_digest,
            }
        )
    if exchange.ip_address:
        response_headers["WARC-IP-Address"] = exchange.ip_address
    if exchange.truncated:
        response_headers["WARC-Truncated"] = exchange.truncated
    status_line = exchange.status_line or (
        f"{exchange.protocol} {exchange.status} {_reason_phrase(exchange.status)}".rstrip()
    )
    response = _http_record(
        exchange.url,
        record_type,
        status_line,
        _response_headers(exchange),
        body,
        response_headers,
    )
    request = build_request_record(
        exchange.url,
        f"{exchange.method} {exchange.request_target} {exchange.protocol}",
        exchange.request_headers,
        exchange.request_body,
        exchange.date,
        concurrent_to=record_id(response),
    )
    response.rec_headers.add_header("WARC-Concurrent-To", record_id(request))
    return response, request


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def warc_fields(fields: Mapping[str, Any]) -> bytes:
    """``application/warc-fields`` block; every value is one line of JSON."""
    lines = []
    for name, value in fields.items():
        if value is None:
            continue
        encoded = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        lines.append(f"{name}: {encoded}\r\n")
    return "".join(lines).encode("utf-8")


def parse_warc_fields(block: bytes) -> dict[str, Any]:
    """Inverse of :func:`warc_fields`; values that are not JSON are kept as text."""
    fields: dict[str, Any] = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if not sep:
            continue
        value = value.strip()
        try:
            fields[name.strip()] = json.loads(value)
        except ValueError:
            fields[name.strip()] = value
    return fields


def _block_record(
    url: str,
    record_type: str,
    content_type: str,
    block: bytes,
    warc_headers: dict[str, str],
) -> ArcWarcRecord:
    return _BUILDER.create_warc_record(
        url,
        record_type,
        payload=BytesIO(block),
        length=len(block),
        warc_content_type=content_type,
        warc_headers_dict=warc_headers,
        http_headers=None,
    )


def build_metadata_record(
    url: str, refers_to: str, date: datetime, fields: Mapping[str, Any]
) -> ArcWarcRecord:
    """A ``metadata`` record about the response ``refers_to``."""
    headers = {
        "WARC-Date": warc_date(date),
        "WARC-Refers-To": refers_to,
        "WARC-Concurrent-To": refers_to,
    }
    return _block_record(url, "metadata", "application/warc-fields", warc_fields(fields), headers)


def build_error_record(
    url: str, concurrent_to: str, date: datetime, fields: Mapping[str, Any]
) -> ArcWarcRecord:
    """A ``metadata`` record for a fetch that failed (no response to refer to)."""
    headers = {"WARC-Date": warc_date(date), "WARC-Concurrent-To": concurrent_to}
    return _block_record(url, "metadata", "application/warc-fields", warc_fields(fields), headers)


def build_conversion_record(
    url: str,
    refers_to: str,
    date: datetime,
    title: str,
    text: str,
    languages: Sequence[str] = (),
) -> ArcWarcRecord:
    """A WET-style ``conversion`` record: title, blank line, clean text."""
    headers = {"WARC-Date": warc_date(date), "WARC-Refers-To": refers_to}
    if languages:
        headers["WARC-Identified-Content-Language"] = ",".join(languages)
    block = f"{title}\n\n{text}".encode()
    return _block_record(url, "conversion", "text/plain; charset=utf-8", block, headers)


def build_resource_record(
    uri: str,
    content_type: str,
    block: bytes,
    date: datetime,
    refers_to: str | None = None,
) -> ArcWarcRecord:
    """A ``resource`` record: a block made by the crawler (a rendered DOM, a screenshot),
    with ``WARC-Refers-To`` the record it was made from."""
    headers = {"WARC-Date": warc_date(date)}
    if refers_to:
        headers["WARC-Refers-To"] = refers_to
    return _block_record(uri, "resource", content_type, block, headers)


def build_warcinfo_record(filename: str, info: Mapping[str, Any]) -> ArcWarcRecord:
    """The ``warcinfo`` record that opens a file (plain ``name: value`` fields)."""
    lines = "".join(
        f"{name}: {value}\r\n" for name, value in info.items() if value not in (None, "")
    )
    block = lines.encode("utf-8")
    headers = {"WARC-Date": warc_date(datetime.now(UTC)), "WARC-Filename": filename}
    return _block_record("", "warcinfo", "application/warc-fields", block, headers)
