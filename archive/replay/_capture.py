"""One capture made ready to serve: status, headers and payload, revisits resolved.

The payload is read into a spool (memory up to 4 MiB, then a temporary file) before any
byte is sent, so a damaged record becomes a 502 page instead of a response cut short.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from warcio.bufferedreaders import ChunkedDataReader

from archive.index import IndexEntry

from ._collection import Collection, ReplayError

__all__ = ["Capture", "load_capture"]

_SPOOL_MAX = 4 << 20
_CHUNK = 1 << 16
_MAX_REVISIT_CANDIDATES = 200


@dataclass
class Capture:
    """A capture as stored: what the server answered, and its payload."""

    entry: IndexEntry
    record_id: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    payload: IO[bytes]  # stored payload: transfer-encoding removed, content-encoding kept
    warc_date: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    decoded: IO[bytes] | None = None  # set by decode()

    @property
    def content_encoding(self) -> str:
        value = (self.header("Content-Encoding") or "").strip().lower()
        return "" if value == "identity" else value

    def decode(self) -> IO[bytes] | None:
        """The payload without its Content-Encoding (None: not encoded, or an encoding
        that cannot be undone here). Raises :class:`ReplayError` (502) on a broken one."""
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

    def close(self) -> None:
        self.payload.close()
        if self.decoded is not None:
            self.decoded.close()


def load_capture(coll: Collection, entry: IndexEntry) -> Capture:
    """Read the capture ``entry`` points to; revisits take their payload from the
    original capture (same payload digest). Raises :class:`ReplayError`."""
    ref = coll.read(entry)
    with ref:
        rec = ref.record
        record_id = ref.header("WARC-Record-ID") or ""
        warc_date = ref.header("WARC-Date") or ""
        if rec.rec_type == "revisit":
            return _load_revisit(coll, entry, ref, record_id, warc_date)
        if rec.rec_type not in ("response", "resource", "metadata"):
            raise ReplayError(502, f"the index points to a {rec.rec_type!r} record")
        status, reason, headers = _status_and_headers(ref)
        payload = _stored_payload(rec, headers)
    return Capture(entry, record_id, status, reason, headers, payload, warc_date)


def _status_and_headers(ref) -> tuple[int, str, list[tuple[str, str]]]:
    rec = ref.record
    http = rec.http_headers
    if rec.rec_type == "response" and http is not None and http.statusline:
        code, _, reason = http.statusline.strip().partition(" ")
        if not (code.isdigit() and len(code) == 3):
            raise ReplayError(502, f"invalid HTTP status line {http.statusline!r}")
        return int(code), reason, list(http.headers)
    if rec.rec_type == "response" and rec.content_type and "http" not in rec.content_type:
        pass  # a non-HTTP response (dns:, ftp:): served like a resource
    ctype = ref.header("Content-Type") or "application/octet-stream"
    return 200, "OK", [("Content-Type", ctype)]


def _stored_payload(rec, headers: list[tuple[str, str]]) -> IO[bytes]:
    """The payload as stored, with any chunked transfer-encoding removed."""
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
    raw = rec.raw_stream
    try:
        return _spool(ChunkedDataReader(raw, decomp_type=None) if chunked else raw)
    except Exception as exc:  # warcio raises several types on bad chunking
        raise ReplayError(502, f"unreadable payload: {exc}") from None


def _decode(stored: IO[bytes], encoding: str) -> IO[bytes] | None:
    """The payload without its Content-Encoding; None for an encoding we cannot undo."""
    import zlib

    if encoding in ("gzip", "x-gzip"):
        make = lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)  # noqa: E731
    elif encoding == "deflate":
        make = lambda: zlib.decompressobj()  # noqa: E731
    elif encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            return None
        dec = brotli.Decompressor()
        out = _new_spool()
        try:
            for buf in iter(lambda: stored.read(_CHUNK), b""):
                out.write(dec.process(buf))
        except Exception as exc:
            out.close()
            raise ReplayError(502, f"broken br Content-Encoding: {exc}") from None
        finally:
            stored.seek(0)
        out.seek(0)
        return out
    else:
        return None
    out = _new_spool()
    dec = make()
    try:
        for buf in iter(lambda: stored.read(_CHUNK), b""):
            out.write(dec.decompress(buf))
            while dec.eof and dec.unused_data:  # concatenated gzip members
                rest = dec.unused_data
                dec = make()
                out.write(dec.decompress(rest))
        out.write(dec.flush())
    except zlib.error as exc:
        if encoding == "deflate":  # raw deflate without the zlib header: try that
            stored.seek(0)
            out.close()
            try:
                data = zlib.decompress(stored.read(), -zlib.MAX_WBITS)
            except zlib.error:
                raise ReplayError(502, f"broken deflate Content-Encoding: {exc}") from None
            finally:
                stored.seek(0)
            out = _new_spool()
            out.write(data)
            out.seek(0)
            return out
        out.close()
        raise ReplayError(502, f"broken {encoding} Content-Encoding: {exc}") from None
    finally:
        stored.seek(0)
    out.seek(0)
    return out


def _load_revisit(coll: Collection, entry: IndexEntry, ref, record_id: str, warc_date: str):
    digest = entry.fields.get("digest") or (ref.header("WARC-Payload-Digest") or "")
    digest = digest.removeprefix("sha1:")
    target = ref.header("WARC-Refers-To-Target-URI") or entry.url
    when = ref.header("WARC-Refers-To-Date")
    stamp = None
    if when:
        from warcio.timeutils import iso_date_to_timestamp

        try:
            stamp = iso_date_to_timestamp(when)
        except Exception:
            stamp = None
    candidates = coll.lookup(target, stamp or entry.timestamp)[:_MAX_REVISIT_CANDIDATES]
    original = next(
        (
            e
            for e in candidates
            if e.fields.get("mime") != "warc/revisit" and e.fields.get("digest") == digest
        ),
        None,
    )
    if original is None:
        raise ReplayError(
            502, f"revisit of {target} (digest {digest}): the original capture is not archived"
        )
    base = load_capture(coll, original)
    http = ref.record.http_headers
    if http is not None and http.statusline:
        code, _, reason = http.statusline.strip().partition(" ")
        if code.isdigit() and code != "304":  # server-not-modified: keep the original's
            base.status, base.reason = int(code), reason
            # the revisit's own headers, with the original's payload headers
            carried = {"content-encoding", "transfer-encoding", "content-length"}
            headers = [(k, v) for k, v in http.headers if k.lower() not in carried]
            headers += [(k, v) for k, v in base.headers if k.lower() in carried]
            base.headers = headers
    base.entry, base.record_id, base.warc_date = entry, record_id, warc_date
    base.extra["revisit-of"] = original.timestamp
    return base


def _new_spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)


def _spool(stream) -> IO[bytes]:
    out = _new_spool()
    for buf in iter(lambda: stream.read(_CHUNK), b""):
        out.write(buf)
    out.seek(0)
    return out


def iter_file(fh: IO[bytes], close: bool = True) -> Iterator[bytes]:
    try:
        yield from iter(lambda: fh.read(_CHUNK), b"")
    finally:
        if close:
            fh.close()


def size_of(fh: IO[bytes]) -> int:
    pos = fh.tell()
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(pos)
    return size
