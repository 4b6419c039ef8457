"""What reading hands out: :class:`RecordRef` (a record and where it lies), :class:`ReadError`
(a part of a file that could not be read), and the pieces the paths share to say so:
:class:`Damaged` (raised inside the package, reported as a ReadError) and :class:`Unread`
(the stream of a block a :class:`~archive.reader.BlockSkipper` left unread)."""

from __future__ import annotations

from dataclasses import dataclass
from io import RawIOBase
from typing import Any

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders


@dataclass(frozen=True)
class ReadError:
    """A part of a file that could not be read as a record."""

    path: str
    offset: int
    message: str


@dataclass
class RecordRef:
    """One readable record and where it lies in its file.

    ``record`` is warcio's record with its stream buffered: read ``record.content_stream()``
    (HTTP transfer and content encodings removed) or ``record.raw_stream`` (the payload as
    stored; the whole block when iterated with ``parse_http=False``).

    ``offset``/``length`` are the record's bytes in the file: its gzip member in a compressed
    file, its header and block (without the trailing blank lines) in an uncompressed one.
    ``addressable`` is False when several records share one gzip member (a file gzipped as a
    whole): then ``offset``/``length`` are those of the member and do not single it out.
    """

    record: ArcWarcRecord
    path: str
    offset: int
    length: int
    addressable: bool = True
    format: str = "warc"  # "arc" for ARC records (given WARC-style headers by warcio)
    block_read: bool = True  # False: left unread by a BlockSkipper (reading it raises)

    @property
    def rec_type(self) -> str:
        return self.record.rec_type

    def close(self) -> None:
        """Free the record's buffer (``iter_records`` does this when it moves on)."""
        self.record.raw_stream.close()

    def __enter__(self) -> RecordRef:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def header(self, name: str) -> str | None:
        return self.record.rec_headers.get_header(name)

    @property
    def http_headers(self) -> StatusAndHeaders | None:
        """``record.http_headers`` (None when not parsed, or not an HTTP record)."""
        return self.record.http_headers

    def read_content(self) -> bytes:
        """``record.content_stream().read()``: the content, transfer and content encodings
        removed (the block, for a record without HTTP headers). Read it once."""
        return self.record.content_stream().read()


class UnreadableRecord(ValueError):
    """No complete record at an offset (:func:`read_record_at`): the file, the record's
    offset and what is wrong, apart for callers that show only some of them."""

    def __init__(self, path: str, offset: int, message: str) -> None:
        super().__init__(f"{path}: offset {offset}: {message}")
        self.path = path
        self.offset = offset
        self.message = message


class Damaged(Exception):
    """A record or member that cannot be read; carries the offset of the damage."""

    def __init__(self, offset: int, message: str, *, salvage: bool = False) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.salvage = salvage


class Unread(RawIOBase):
    """The stream of a block left unread: reading it is a mistake, and says so."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise ValueError("this record's block was not read (skipped by a BlockSkipper)")
