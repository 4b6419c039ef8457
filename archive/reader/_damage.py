"""Damage: reporting it (a :class:`ReadError` logged and collected) and getting past it
(scanning for the next place a record may start: a gzip member header, or a line that
starts a WARC or ARC record header)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import BinaryIO

from ._buffer import GZIP_MAGIC
from ._types import Damaged, ReadError

# the package's logger, as before it was split into modules
logger = logging.getLogger("archive.reader")

_SCAN_CHUNK = 1 << 20
_SCAN_OVERLAP = 8192

# A line that starts a WARC record, or an ARC v1 record (url ip date mime length).
_WARC_LINE = re.compile(rb"(?:^|\n)(WARC/[01]\.\d+\r?\n)")
_ARC_LINE = re.compile(rb"(?:^|\n)(\S+ \S+ \d{12,14} \S* \d+\r?\n)")

# finds the first candidate record start in a buffer at or after an index, or None
Finder = Callable[[bytes, int], int | None]


class Reporter:
    """Damage found in one file: logged, and added to ``sink`` when one is given."""

    def __init__(self, path: str, sink: list[ReadError] | None) -> None:
        self.path = path
        self.sink = sink

    def add(self, offset: int, message: str) -> None:
        err = ReadError(self.path, offset, message)
        logger.warning("%s: offset %d: %s", self.path, offset, message)
        if self.sink is not None:
            self.sink.append(err)


def report_skip(reporter: Reporter, damage: Damaged, resumed_at: int | None) -> None:
    """Report ``damage`` with how far reading skipped (None: nothing readable after it)."""
    if resumed_at is None:
        tail = "no readable record after it"
    else:
        tail = f"skipped {resumed_at - damage.offset} bytes, resumed at offset {resumed_at}"
    reporter.add(damage.offset, f"{damage.message}; {tail}")


def find_gzip_magic(buf: bytes, start: int) -> int | None:
    i = buf.find(GZIP_MAGIC, start)
    return None if i < 0 else i


def _line_finder(pattern: re.Pattern[bytes]) -> Finder:
    def find(buf: bytes, start: int) -> int | None:
        m = pattern.search(buf, start)
        return None if m is None else m.start(1)

    return find


find_warc_line = _line_finder(_WARC_LINE)
find_arc_line = _line_finder(_ARC_LINE)


def scan(fh: BinaryIO, start: int, size: int, find: Finder) -> int | None:
    """Offset of the first candidate record start at or after ``start``, or None."""
    pos = start
    while pos < size:
        # read from one byte early so a line pattern sees the newline before ``pos``
        back = 1 if pos > 0 else 0
        fh.seek(pos - back)
        buf = fh.read(_SCAN_CHUNK + back)
        hit = find(buf, 0)
        while hit is not None and hit < back:
            hit = find(buf, hit + 1)
        if hit is not None:
            return pos - back + hit
        if len(buf) < _SCAN_CHUNK + back:
            return None
        pos += _SCAN_CHUNK - _SCAN_OVERLAP
    return None
