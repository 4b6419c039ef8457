"""The one capture loader: status, headers and payload of an index entry, revisits resolved.

The HTTP head is parsed from the record's bytes (header names, order and repeated headers
kept; values as latin-1 text, so that they go back on the wire byte for byte). The payload
is read into a spool (memory up to 4 MiB, then a temporary file) before any byte is used,
so a damaged record is a :class:`CaptureError`, not a response cut short. A chunked payload
is de-chunked; the content-encoding is kept (:meth:`Capture.decode` undoes it).

A revisit takes its payload from the capture it repeats: the newest capture of
``WARC-Refers-To-Target-URI`` nearest to ``WARC-Refers-To-Date`` with the same payload
digest, or the record named by ``WARC-Refers-To``. Its status line and headers are its own
(unless it has none, or says 304), the payload headers (Content-Encoding, Content-Length)
the original's.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING

from warcio.bufferedreaders import ChunkedDataReader
from warcio.timeutils import iso_date_to_timestamp

from archive.analysis import EPOCH, parse_warc_date
from archive.index import IndexEntry

if TYPE_CHECKING:
    from ._collection import Collection

__all__ = ["Capture", "CaptureError", "iter_file", "load_capture", "size_of"]

_SPOOL_MAX = 4 << 20
_CHUNK = 1 << 16
_HEAD_MAX = 1 << 20
_MAX_REVISIT_CANDIDATES = 200
_PAYLOAD_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
# protocol, status, reason and header lines of a stored HTTP head
_Head = tuple[str, int, str, list[tuple[str, str]]]
_STATUS_LINE = re.compile(rb"(HTTP/\d(?:\.\d)?)\s+(\d{3})\b[ \t]*(.*)")


class CaptureError(Exception):
    """A capture the collection cannot give: an index line without a usable location, a
    file outside ``archive/`` or missing, an unreadable record. ``status`` is the HTTP
    status replay answers with."""

    def __init__(self, reason: str, status: int = 502) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Capture:
    """A capture as stored: what the server answered, and its payload."""

    entry: IndexEntry
    url: str
    record_id: str
    status: int
    reason: str
    headers: list[tuple[str, str]]  # as stored, values as latin-1 text
    payload: IO[bytes]  # stored payload: transfer-encoding removed, content-encoding kept
    warc_date: str = ""
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    truncated: bool = False
    original: IndexEntry | None = None  # for a revisit: the capture whose payload it has
    original_id: str | None = None
    original_date: str = ""  # its WARC-Date, as stored
    decoded: IO[bytes] | None = field(default=None, repr=False)  # set by decode()

    @property
    def date(self) -> datetime:
        """``WARC-Date`` as a UTC datetime (the epoch when it is missing or bad)."""
        return parse_warc_date(self.warc_date, EPOCH)

    @property
    def content_encoding(self) -> str:
        value = (self.header("Content-Encoding") or "").strip().lower()
        return "" if value == "identity" else value

    def decode(self) -> IO[bytes] | None:
        """The payload without its Content-Encoding (None: not encoded, or an encoding
        that cannot be undone here). Raises :class:`CaptureError` on a broken one."""
        if self.decoded is None and self.content_encoding:
            self.decoded = _decode(self.payload, self.content_encoding)
        return self.decoded

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or self.entry.fields.get("mime", "")

    @property
    def mime(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    def read_payload(self) -> bytes:
        """The whole stored payload (from the start, whatever was read before)."""
        self.payload.seek(0)
        return self.payload.read()

    def close(self) -> None:
        self.payload.close()
        if self.decoded is not None:
            self.decoded.close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_capture(coll: Collection, entry: IndexEntry) -> Capture:
    """Read the capture ``entry`` points to. Raises :class:`CaptureError`."""
    with coll.read(entry, parse_http=False) as ref:
        rec = ref.record
        rec_type = rec.rec_type
        if rec_type not in ("response", "resource", "metadata", "revisit"):
            raise CaptureError(f"the index points to a {rec_type!r} record")
        is_http = rec_type in ("response", "revisit")
        head, rest = _read_head(rec.raw_stream) if is_http else (None, b"")
        parsed = _split_head(head) if head is not None else None
        capture = Capture(
            entry=entry,
            url=(ref.header("WARC-Target-URI") or entry.url).strip().strip("<>"),
            record_id=ref.header("WARC-Record-ID") or "",
            status=200,
            reason="OK",
            headers=[],
            payload=_new_spool(),
            warc_date=ref.header("WARC-Date") or "",
            ip_address=ref.header("WARC-IP-Address"),
            truncated=ref.header("WARC-Truncated") is not None,
        )
        if rec_type == "revisit":
            return _resolve_revisit(coll, capture, ref.header, parsed)
        if parsed is not None:
            capture.protocol, capture.status, capture.reason, capture.headers = parsed
        elif rec_type == "response" and "http" in (rec.content_type or "").lower():
            first = (head or b"").split(b"\n", 1)[0].strip()
            raise CaptureError(f"invalid HTTP status line {first.decode('latin-1')!r}")
        else:  # a resource, or a non-HTTP response (dns:, ftp:): served as a resource
            ctype = ref.header("Content-Type") or "application/octet-stream"
            capture.headers = [("Content-Type", ctype)]
            rest = head or b""  # no HTTP head: what was read is payload
        capture.payload.close()
        capture.payload = _stored_payload(rest, rec.raw_stream, capture.headers)
    return capture


def _read_head(stream: IO[bytes]) -> tuple[bytes, bytes]:
    """The block's HTTP head (up to the blank line) and what was read past it."""
    buf = b""
    while len(buf) < _HEAD_MAX:
        data = stream.read(_CHUNK)
        if not data:
            break
        buf += data
        ends = [(i, n) for i, n in ((buf.find(b"\r\n\r\n"), 4), (buf.find(b"\n\n"), 2)) if i >= 0]
        if ends:
            end, sep = min(ends)
            return buf[: end + sep], buf[end + sep :]
    return buf, b""


def _split_head(head: bytes) -> _Head | None:
    """Protocol, status, reason and header lines (continuations joined, order and repeated
    names kept, values as latin-1 text) of an HTTP head; None if it has no status line."""
    lines = head.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    match = _STATUS_LINE.match(lines[0].strip())
    if not match:
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name, sep, value = line.partition(b":")
        if sep and name.strip():
            headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    protocol, status, reason = match.groups()
    return protocol.decode("ascii"), int(status), reason.strip().decode("latin-1"), headers


def _stored_payload(first: bytes, rest: IO[bytes], headers: list[tuple[str, str]]) -> IO[bytes]:
    """The payload as stored, with any chunked transfer-encoding removed."""
    try:
        out = _spool(itertools.chain([first], _chunks(rest)))
        chunked = (v for k, v in headers if k.lower() == "transfer-encoding")
        if not any("chunked" in v.lower() for v in chunked):
            return out
        with out:
            return _spool(_chunks(ChunkedDataReader(out, decomp_type=None)))
    except Exception as exc:  # warcio raises several types on bad chunking
        raise CaptureError(f"unreadable payload: {exc}") from None


def _resolve_revisit(
    coll: Collection,
    revisit: Capture,
    header: Callable[[str], str | None],
    parsed: _Head | None,
) -> Capture:
    entry = revisit.entry
    digest = bare_digest(entry.fields.get("digest") or header("WARC-Payload-Digest"))
    refers_to = (header("WARC-Refers-To") or "").strip()
    target = (header("WARC-Refers-To-Target-URI") or revisit.url).strip().strip("<>")
    stamp = None
    when = header("WARC-Refers-To-Date")
    if when:
        try:
            stamp = iso_date_to_timestamp(when)
        except Exception:
            stamp = None
    revisit.payload.close()
    for candidate in coll.captures(target, stamp or entry.timestamp)[:_MAX_REVISIT_CANDIDATES]:
        if candidate.fields.get("mime") == "warc/revisit":
            continue
        same_digest = bool(digest) and bare_digest(candidate.fields.get("digest")) == digest
        if not same_digest and not refers_to:
            continue
        try:
            base = load_capture(coll, candidate)
        except CaptureError:
            continue
        if not same_digest and base.record_id != refers_to:
            base.close()
            continue
        return _merge(revisit, base, parsed)
    raise CaptureError(
        f"revisit of {target} (digest {digest}): the original capture is not archived"
    )


def _merge(revisit: Capture, base: Capture, parsed: _Head | None) -> Capture:
    """The revisit's own status line and headers (unless it has none or says 304), with the
    original's payload and payload headers."""
    if parsed is not None and parsed[1] != 304:
        base.protocol, base.status, base.reason = parsed[0], parsed[1], parsed[2]
        headers = [(k, v) for k, v in parsed[3] if k.lower() not in _PAYLOAD_HEADERS]
        headers += [(k, v) for k, v in base.headers if k.lower() in _PAYLOAD_HEADERS]
        base.headers = headers
    base.original, base.original_id = base.entry, base.record_id
    base.original_date = base.warc_date
    base.entry, base.url, base.record_id = revisit.entry, revisit.url, revisit.record_id
    base.warc_date = revisit.warc_date
    base.ip_address = revisit.ip_address or base.ip_address
    return base


def bare_digest(value: str | None) -> str:
    value = (value or "").strip()
    return value[5:] if value.lower().startswith("sha1:") else value


def _decode(stored: IO[bytes], encoding: str) -> IO[bytes] | None:
    """The payload without its Content-Encoding (every member of a concatenated gzip; raw
    deflate too, without the zlib header); None for an encoding we cannot undo."""
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            return None
        dec = brotli.Decompressor()
        chunks, broken = (dec.process(buf) for buf in _chunks(stored)), Exception
    elif encoding in ("gzip", "x-gzip", "deflate"):
        wbits = zlib.MAX_WBITS if encoding == "deflate" else 16 + zlib.MAX_WBITS
        chunks, broken = _inflate(stored, wbits), zlib.error
    else:
        return None
    try:
        return _spool(chunks)
    except broken as exc:
        if encoding == "deflate":
            stored.seek(0)
            with contextlib.suppress(zlib.error):
                return _spool(iter([zlib.decompress(stored.read(), -zlib.MAX_WBITS)]))
        raise CaptureError(f"broken {encoding} Content-Encoding: {exc}") from None
    finally:
        stored.seek(0)


def _inflate(stored: IO[bytes], wbits: int) -> Iterator[bytes]:
    dec = zlib.decompressobj(wbits)
    for buf in _chunks(stored):
        yield dec.decompress(buf)
        while dec.eof and dec.unused_data:  # concatenated gzip members
            rest, dec = dec.unused_data, zlib.decompressobj(wbits)
            yield dec.decompress(rest)
    yield dec.flush()


def _new_spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)


def _spool(chunks: Iterable[bytes]) -> IO[bytes]:
    """A new spool holding ``chunks`` (closed again if they fail), read from the start."""
    out = _new_spool()
    try:
        for buf in chunks:
            out.write(buf)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def _chunks(fh: IO[bytes]) -> Iterator[bytes]:
    return iter(lambda: fh.read(_CHUNK), b"")


def iter_file(fh: IO[bytes], close: bool = True) -> Iterator[bytes]:
    try:
        yield from _chunks(fh)
    finally:
        if close:
            fh.close()


def size_of(fh: IO[bytes]) -> int:
    pos = fh.tell()
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(pos)
    return size
