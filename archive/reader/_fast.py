"""The fast path for a healthy gzip member: the file read in large windows, the member
inflated in memory (zlib checks its CRC and length) and its one record parsed from the
inflated bytes. Whatever it does not find exactly as expected it leaves (returns None) to
the careful path, which reads and reports it from the same offset."""

from __future__ import annotations

import zlib
from io import BytesIO
from typing import BinaryIO

from warcio.recordloader import ArcWarcRecordLoader

from ._buffer import CHUNK, GZIP_MAGIC, sniff_format, validate
from ._headers import Member
from ._lazy import MemberRef
from ._types import RecordRef

_WINDOW = 4 << 20  # bytes of a gzip file read at once by the fast path
_FAST_FIRST = 8192  # its first read of a member (most members are smaller)
_FAST_MAX = 4 << 20  # a member that inflates to more is left to the spooled path


class Window:
    """Large reads of a file, served as memoryviews of the bytes at any offset."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.size = size
        self.start = 0
        self.data = b""

    def view(self, pos: int, want: int) -> memoryview:
        """Up to ``want`` bytes at ``pos`` (fewer at the end of the file)."""
        end = self.start + len(self.data)
        if pos < self.start or (pos + want > end and end < self.size):
            self.fh.seek(pos)
            self.data = self.fh.read(max(want, _WINDOW))
            self.start = pos
        offset = pos - self.start
        return memoryview(self.data)[offset : offset + want]


def fast_member(
    window: Window,
    pos: int,
    path: str,
    parse_http: bool,
    fmt_hint: str | None,
    loader: ArcWarcRecordLoader,
) -> RecordRef | None:
    """The record of the healthy one-record gzip member at ``pos``, or None for anything
    else (left to the careful path, which reads and reports it as it always has)."""
    if window.view(pos, len(GZIP_MAGIC)) != GZIP_MAGIC:
        return None
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pieces = []
    inflated = consumed = 0
    want = _FAST_FIRST
    try:
        while not dec.eof:
            chunk = window.view(pos + consumed, want)
            if not chunk:
                return None  # cut off by the end of the file
            piece = dec.decompress(chunk)
            pieces.append(piece)
            inflated += len(piece)
            if inflated > _FAST_MAX:
                return None
            consumed += len(chunk) - len(dec.unused_data)
            want = CHUNK
    except zlib.error:
        return None
    member = b"".join(pieces)
    # the careful path reads a member through warcio, which would inflate a member that
    # is itself gzip data once more
    if member[:2] == GZIP_MAGIC[:2]:
        return None
    ref = MemberRef.parse(member, loader, parse_http, path, pos, consumed)
    if ref is not None:
        return ref
    stream = Member(member)
    fmt = sniff_format(stream) or fmt_hint
    try:
        record = loader.parse_record_stream(stream, None, fmt, not parse_http, False)
        validate(record, pos)
        rest = record.raw_stream.read()
    except Exception:
        return None
    if getattr(record.raw_stream, "limit", 0) > 0:
        return None  # block cut short
    if stream.read().strip():
        return None  # more than one record, or junk, in the member
    record.raw_stream = BytesIO(rest)
    return RecordRef(
        record=record,
        path=path,
        offset=pos,
        length=consumed,
        format="arc" if fmt == "arc" else "warc",
    )
