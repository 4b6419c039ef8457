"""Builders of small, real WARC and ARC files for tests (written with warcio in tmp dirs).

The default layout is warcloom's: a ``warcinfo`` first, then per capture ``request`` +
``response`` and, after extraction, a ``metadata`` record (``application/warc-fields``, one
JSON value per line) and a ``conversion`` record (title, blank line, clean text), both
``WARC-Refers-To`` the response. Variants cover what users bring from elsewhere: WARC/1.0,
uncompressed, gzipped as a whole, ``.warc`` files that are gzip, ARC v1, revisits,
``<uri>`` targets, chunked and gzip-encoded HTTP bodies, cut and corrupted copies.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_DATE = "2024-05-01T10:00:00Z"


def new_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def html_page(title: str, text: str = "Some text.") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><p>{text}</p></body></html>"
    ).encode()


def chunk_body(body: bytes, size: int = 16) -> bytes:
    """HTTP/1.1 chunked transfer encoding of ``body``."""
    out = bytearray()
    for i in range(0, len(body), size):
        part = body[i : i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out)


@dataclass
class Capture:
    """One fetched page and, optionally, what extraction made of it."""

    url: str
    body: bytes = b""
    date: str = DEFAULT_DATE
    status: str = "200 OK"
    content_type: str = "text/html; charset=utf-8"
    content_encoding: str | None = None  # "gzip": body is stored gzip-encoded, as received
    chunked: bool = False  # store the body with Transfer-Encoding: chunked
    payload_digest: str | None = None  # force WARC-Payload-Digest (e.g. over de-chunked body)
    method: str = "GET"
    request_body: bytes = b""
    request_content_type: str | None = None
    # extraction (metadata + conversion records); None = no extraction records
    title: str | None = None
    languages: list[dict[str, Any]] | None = None
    text: str = ""
    charset: str = "utf-8"
    extracted_date: str | None = None  # defaults to ``date``
    ids: dict[str, str] = field(default_factory=dict)  # filled in when written

    @property
    def has_extraction(self) -> bool:
        return self.title is not None or self.languages is not None


def lang(tag: str, code: str, share: float) -> dict[str, Any]:
    return {"tag": tag, "code": code, "share": share}


class WarcBuilder:
    """Writes records to one file; keep it open with ``with``."""

    def __init__(self, path: Path, *, gzip: bool = True, version: str = "1.1") -> None:
        self.path = Path(path)
        self._fh = open(self.path, "wb")  # noqa: SIM115 -- closed in close()
        self.writer = WARCWriter(self._fh, gzip=gzip, warc_version=version)

    def __enter__(self) -> WarcBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    # -- records ------------------------------------------------------------

    def warcinfo(self, date: str = DEFAULT_DATE) -> str:
        info = {"software": "warcloom-tests", "format": "WARC File Format 1.1"}
        rec = self.writer.create_warcinfo_record(self.path.name, info)
        rec.rec_headers.replace_header("WARC-Date", date)
        self.writer.write_record(rec)
        return rec.rec_headers.get_header("WARC-Record-ID")

    def capture(self, cap: Capture, *, extraction: bool = True) -> Capture:
        self.request_response(cap)
        if extraction and cap.has_extraction:
            self.extraction(cap)
        return cap

    def request_response(self, cap: Capture, *, target: str | None = None) -> Capture:
        target = target or cap.url
        req_id, resp_id = new_id(), new_id()
        path = cap.url.split("/", 3)[3] if cap.url.count("/") >= 3 else ""
        host = cap.url.split("/")[2]
        req_headers = [("Host", host), ("User-Agent", "warcloom-test")]
        if cap.request_body:
            req_headers.append(("Content-Type", cap.request_content_type or "text/plain"))
            req_headers.append(("Content-Length", str(len(cap.request_body))))
        req = self.writer.create_warc_record(
            target,
            "request",
            payload=BytesIO(cap.request_body),
            length=len(cap.request_body),
            http_headers=StatusAndHeaders(
                f"{cap.method} /{path} HTTP/1.1", req_headers, is_http_request=True
            ),
            warc_headers_dict={
                "WARC-Record-ID": req_id,
                "WARC-Date": cap.date,
                "WARC-Concurrent-To": resp_id,
            },
        )
        body = cap.body
        headers = [("Content-Type", cap.content_type)]
        if cap.content_encoding == "gzip":
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        if cap.chunked:
            body = chunk_body(body)
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            headers.append(("Content-Length", str(len(body))))
        warc_headers = {
            "WARC-Record-ID": resp_id,
            "WARC-Date": cap.date,
            "WARC-Concurrent-To": req_id,
            "WARC-IP-Address": "127.0.0.1",
        }
        if cap.payload_digest:
            warc_headers["WARC-Payload-Digest"] = cap.payload_digest
        resp = self.writer.create_warc_record(
            target,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(cap.status, headers, protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        self.writer.write_record(req)
        self.writer.write_record(resp)
        cap.ids.update(request=req_id, response=resp_id)
        return cap

    def extraction(
        self,
        cap: Capture,
        *,
        response_id: str | None = None,
        date: str | None = None,
        title: str | None = None,
        languages: list[dict[str, Any]] | None = None,
    ) -> tuple[str, str]:
        """metadata + conversion records referring to the capture's response."""
        response_id = response_id or cap.ids["response"]
        date = date or cap.extracted_date or cap.date
        title = cap.title if title is None else title
        languages = cap.languages if languages is None else languages
        fields = [
            ("title", title),
            ("languages", languages or []),
            ("links", []),
            ("charset", cap.charset),
        ]
        block = "".join(
            f"{name}: {json.dumps(value, ensure_ascii=False)}\r\n" for name, value in fields
        ).encode("utf-8")
        meta_id, conv_id = new_id(), new_id()
        meta = self.writer.create_warc_record(
            cap.url,
            "metadata",
            payload=BytesIO(block),
            length=len(block),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Record-ID": meta_id,
                "WARC-Date": date,
                "WARC-Refers-To": response_id,
                "WARC-Concurrent-To": response_id,
            },
        )
        text = f"{title or ''}\n\n{cap.text}".encode()
        codes = ",".join(item["code"] for item in languages or [])
        conv_headers = {
            "WARC-Record-ID": conv_id,
            "WARC-Date": date,
            "WARC-Refers-To": response_id,
        }
        if codes:
            conv_headers["WARC-Identified-Content-Language"] = codes
        conv = self.writer.create_warc_record(
            cap.url,
            "conversion",
            payload=BytesIO(text),
            length=len(text),
            warc_content_type="text/plain; charset=utf-8",
            warc_headers_dict=conv_headers,
        )
        self.writer.write_record(meta)
        self.writer.write_record(conv)
        cap.ids.update(metadata=meta_id, conversion=conv_id)
        return meta_id, conv_id

    def revisit(self, cap: Capture, original: Capture, date: str) -> str:
        rec_id = new_id()
        digest = original.payload_digest or sha1_b32(_stored_body(original))
        rec = self.writer.create_revisit_record(
            cap.url,
            digest,
            original.url,
            original.date,
            http_headers=StatusAndHeaders(
                "200 OK", [("Content-Type", original.content_type)], protocol="HTTP/1.1"
            ),
            warc_headers_dict={
                "WARC-Record-ID": rec_id,
                "WARC-Date": date,
                "WARC-Refers-To": original.ids["response"],
            },
        )
        self.writer.write_record(rec)
        return rec_id

    def resource(self, url: str, body: bytes, content_type: str, date: str = DEFAULT_DATE) -> str:
        rec_id = new_id()
        rec = self.writer.create_warc_record(
            url,
            "resource",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type=content_type,
            warc_headers_dict={"WARC-Record-ID": rec_id, "WARC-Date": date},
        )
        self.writer.write_record(rec)
        return rec_id


def _stored_body(cap: Capture) -> bytes:
    body = cap.body
    if cap.content_encoding == "gzip":
        body = gzip.compress(body, mtime=0)
    return body


# ---------------------------------------------------------------------------
# whole files


def warc_name(serial: int = 0, *, prefix: str = "warcloom", ts: str = "20240501100000000") -> str:
    """A file name of warcloom's form: prefix-timestamp17-serial-host-pid.warc.gz."""
    return f"{prefix}-{ts}-{serial:05d}-testhost-4242.warc.gz"


def make_collection(root: Path, name: str = "c") -> Path:
    coll = Path(root) / "collections" / name
    (coll / "archive").mkdir(parents=True, exist_ok=True)
    (coll / "indexes").mkdir(parents=True, exist_ok=True)
    return coll


def sample_captures() -> list[Capture]:
    return [
        Capture(
            "http://example.com/",
            html_page("Example home"),
            date="2024-05-01T10:00:00Z",
            title="Example home",
            languages=[lang("en", "eng", 0.99)],
            text="Welcome.",
        ),
        Capture(
            "https://news.example.org/2024/hangzhou?id=7",
            html_page("Hangzhou's Ali flavor", "杭州 text"),
            date="2024-05-01T10:00:05Z",
            content_encoding="gzip",
            title="Hangzhou's Ali flavor",
            languages=[lang("en", "eng", 0.93), lang("zh-Hans", "zho", 0.07)],
            text="About Hangzhou. 杭州",
        ),
        Capture(
            "http://example.com/chunked",
            html_page("Chunked"),
            date="2024-05-01T10:00:10Z",
            chunked=True,
            title="Chunked",
            languages=[lang("fr", "fra", 0.8), lang("en", "eng", 0.2)],
        ),
        Capture(
            "http://example.com/style.css",
            b"body { color: red }",
            date="2024-05-01T10:00:11Z",
            content_type="text/css",
        ),
    ]


def write_warc(
    path: Path,
    captures: Iterable[Capture] = (),
    *,
    gzip: bool = True,
    version: str = "1.1",
    extraction: bool = True,
) -> list[Capture]:
    """A file in warcloom's layout: warcinfo, then request/response(/metadata/conversion)."""
    caps = list(captures)
    with WarcBuilder(path, gzip=gzip, version=version) as b:
        b.warcinfo()
        for cap in caps:
            b.capture(cap, extraction=extraction)
    return caps


def gzip_whole_file(src: Path, dest: Path) -> Path:
    """The plain WARC ``src`` compressed as one gzip stream (not per record)."""
    dest.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
    return dest


def member_offsets(path: Path) -> list[tuple[int, int, str]]:
    """(offset, length, WARC-Type) of each record, as warcio reports them."""
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, arc2warc=True)
        for rec in it:
            rec_type = rec.rec_type
            out.append((it.get_record_offset(), it.get_record_length(), rec_type))
    return out


def truncated_copy(src: Path, dest: Path, cut: int) -> Path:
    """``src`` without its last ``cut`` bytes."""
    data = src.read_bytes()
    dest.write_bytes(data[:-cut])
    return dest


def corrupted_copy(src: Path, dest: Path, record_index: int) -> tuple[Path, int]:
    """``src`` with bytes flipped inside the compressed data of one gzip member.

    Returns the copy and the offset of the damaged member."""
    data = bytearray(src.read_bytes())
    offset, length, _ = member_offsets(src)[record_index]
    middle = offset + length // 2
    for i in range(middle, middle + 4):
        data[i] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest, offset


def http_response_bytes(body: bytes, content_type: str = "text/html") -> bytes:
    return (
        f"HTTP/1.0 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def write_arc(
    path: Path, pages: Sequence[tuple[str, str, bytes]], *, compress: bool = False
) -> Path:
    """An ARC v1 file by hand: a filedesc record, then ``url ip date mime length`` records.

    ``pages`` are (url, timestamp14, http_response_bytes)."""
    name = path.name
    spec = b"1 0 warcloom-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [
        f"filedesc://{name} 0.0.0.0 20240501100000 text/plain {len(spec)}\n".encode() + spec + b"\n"
    ]
    for url, ts, http in pages:
        records.append(f"{url} 127.0.0.1 {ts} text/html {len(http)}\n".encode() + http + b"\n")
    with open(path, "wb") as fh:
        for rec in records:
            fh.write(gzip.compress(rec, mtime=0) if compress else rec)
    return path


def raw_record(
    headers: Sequence[tuple[str, str]], block: bytes, version: str = "WARC/1.1"
) -> bytes:
    """One WARC record written by hand (for headers warcio would not write)."""
    head = f"{version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode() + b"\r\n" + block + b"\r\n\r\n"


def write_raw_warc(path: Path, records: Sequence[bytes], *, compress: bool = True) -> Path:
    with open(path, "wb") as fh:
        for rec in records:
            fh.write(gzip.compress(rec, mtime=0) if compress else rec)
    return path
