"""Binary search in a sorted CDXJ file, with seeks, without loading it."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

from warcio.timeutils import timestamp_to_sec

from archive.index._entry import IndexEntry, url_key


def iter_prefix(
    index_path: str | os.PathLike[str], prefix: str, start: str = ""
) -> Iterator[IndexEntry]:
    """Lines of a sorted CDXJ file that start with ``prefix``, from the first line that is
    ``>= max(prefix, start)``: a binary search with seeks, then a forward read. Damaged
    lines are skipped."""
    bprefix = prefix.encode("utf-8")
    target = max(bprefix, start.encode("utf-8"))
    with open(index_path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        fh.seek(_first_at_or_after(fh, size, target))
        for line in fh:
            if not line.startswith(bprefix):
                return
            try:
                yield IndexEntry.from_line(line)
            except ValueError:
                continue


def lookup(
    index_path: str | os.PathLike[str], url: str, timestamp: str | None = None
) -> list[IndexEntry]:
    """Captures of ``url`` in a sorted CDXJ file, found by binary search with seeks.

    In index order (oldest first), or nearest to ``timestamp`` first when it is given (a
    14-digit timestamp or a prefix of one, such as ``2024`` or ``20240501``).
    """
    found = list(iter_prefix(index_path, url_key(url) + " "))
    if timestamp:
        target = timestamp_to_sec(_pad_timestamp(timestamp))
        found.sort(key=lambda e: abs(timestamp_to_sec(e.timestamp) - target))
    return found


def _pad_timestamp(ts: str) -> str:
    ts = "".join(ch for ch in ts if ch.isdigit())[:14]
    return ts + "00000101000000"[len(ts) :]


def _line_start_at_or_after(fh: io.BufferedReader, pos: int) -> int:
    if pos == 0:
        return 0
    fh.seek(pos - 1)
    fh.readline()
    return fh.tell()


def _first_at_or_after(fh: io.BufferedReader, size: int, target: bytes) -> int:
    """Offset of the first line >= ``target`` (byte order), or ``size``."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        start = _line_start_at_or_after(fh, mid)
        fh.seek(start)
        line = fh.readline()
        if not line or line >= target:
            hi = mid
        else:
            lo = mid + 1
    return _line_start_at_or_after(fh, lo)
