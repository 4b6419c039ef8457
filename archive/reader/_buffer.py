"""Records read through warcio's ``ArchiveIterator``, each read to its end and buffered.

The iterator is set up with the file's format pinned; a record is checked (a WARC-Type, a
Content-Length of digits, a complete block) and its stream swapped for a spool (memory up to
1 MiB, then a temporary file), so its exact offset and length are known before it is handed
out. Shared by the careful gzip path, the uncompressed path and :func:`read_record_at`."""

from __future__ import annotations

import shutil
import tempfile
from typing import IO, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from ._types import Damaged, RecordRef

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 16
_SPOOL_MAX = 1 << 20


def sniff_format(fh: IO[bytes]) -> str | None:
    """'warc', 'arc' or None (unknown: let warcio try both) from the first bytes."""
    pos = fh.tell()
    head = fh.read(16)
    fh.seek(pos)
    stripped = head.lstrip(b"\r\n")
    if stripped.startswith(b"WARC/"):
        return "warc"
    if stripped.startswith(b"filedesc://"):
        return "arc"
    return None


def make_iterator(fh: IO[bytes], parse_http: bool, fmt: str | None) -> ArchiveIterator:
    it = ArchiveIterator(fh, no_record_parse=not parse_http, arc2warc=True)
    # With arc2warc warcio guesses the format of every record, and a stray text line with
    # five fields parses as an ARC header: pin the format the file starts with instead.
    if fmt is not None:
        it.known_format = fmt
    return it


def buffer_record(
    it: ArchiveIterator, record: ArcWarcRecord, path: str, parse_http: bool, base: int
) -> RecordRef:
    """Read the record to its end into a spool, check it is complete, and wrap it."""
    start = it.offset
    validate(record, start)
    spool = new_spool()
    stream = record.raw_stream
    shutil.copyfileobj(stream, spool, CHUNK)
    missing = getattr(stream, "limit", 0)
    if missing and missing > 0:
        spool.close()
        declared = record.length
        raise Damaged(
            start,
            f"record block cut short: {declared - missing} of {declared} bytes "
            f"(Content-Length {record.rec_headers.get_header('Content-Length')})",
        )
    # (warcio's read_to_end reads what is left of record.raw_stream: ask before swapping it)
    offset = it.get_record_offset()
    length = it.get_record_length()
    spool.seek(0)
    record.raw_stream = spool
    fmt = "arc" if it.known_format == "arc" else "warc"
    return RecordRef(record=record, path=path, offset=base + offset, length=length, format=fmt)


def validate(record: ArcWarcRecord, offset: int) -> None:
    if not record.rec_type:
        raise Damaged(offset, "record without WARC-Type")
    length = record.rec_headers.get_header("Content-Length")
    if length is None or not length.strip().isdigit():
        raise Damaged(offset, f"record with an invalid Content-Length: {length!r}")


def new_spool() -> IO[bytes]:
    """A temporary buffer: memory up to 1 MiB, then a file; the caller closes it."""
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)


def copy_slice(fh: BinaryIO, length: int) -> IO[bytes]:
    spool = new_spool()
    remaining = length
    while remaining > 0:
        buf = fh.read(min(CHUNK, remaining))
        if not buf:
            break
        spool.write(buf)
        remaining -= len(buf)
    spool.seek(0)
    return spool
