"""The careful path for one gzip member: decompressed into a spool with its CRC checked,
its records read through warcio and buffered; a corrupt or cut-off member, or one whose
content is not a complete record, raises or returns a :class:`Damaged`."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO

from ._buffer import CHUNK, buffer_record, make_iterator, new_spool, sniff_format
from ._types import Damaged, RecordRef

_STEP = 2 << 10  # compressed bytes fed to zlib at a time


def decompress_member(
    fh: BinaryIO, offset: int, limit: int | None = None
) -> tuple[IO[bytes], int, Damaged | None]:
    """Decompress the gzip member at the file position into a spool.

    Returns the spool, the member's compressed length, and the damage if the member is
    corrupt (zlib error or failed CRC: nothing in it can be trusted) or cut off by the end
    of the file (``salvage``: what was decompressed so far is sound).
    """
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    spool = new_spool()
    consumed = 0
    damage: Damaged | None = None
    while not dec.eof:
        want = CHUNK if limit is None else min(CHUNK, limit - consumed)
        data = fh.read(want) if want > 0 else b""
        if not data:
            damage = Damaged(offset, "gzip member cut off (truncated file?)", salvage=True)
            break
        try:  # in small steps: what comes before a corrupt spot is kept
            for step in range(0, len(data), _STEP):
                piece = data[step : step + _STEP]
                spool.write(dec.decompress(piece))
                consumed += len(piece) - len(dec.unused_data)
                if dec.eof:
                    break
        except zlib.error as exc:
            damage = Damaged(offset, f"corrupt gzip member: {exc}")
            break
    spool.seek(0)
    return spool, consumed, damage


def records_in_member(
    spool: IO[bytes],
    path: str,
    offset: int,
    member_len: int,
    parse_http: bool,
    fmt_hint: str | None = None,
) -> Iterator[RecordRef]:
    """Yield the records of one decompressed member: normally exactly one, addressable by
    the member's offset; several when the file was gzipped as a whole (not addressable)."""
    it = make_iterator(spool, parse_http, sniff_format(spool) or fmt_hint)
    records = iter(it)
    try:
        first = next(records)
        ref = buffer_record(it, first, path, parse_http, base=0)
    except StopIteration:
        return
    except Damaged:
        raise
    except Exception as exc:
        raise Damaged(offset, f"unreadable record: {exc}") from None
    ref.offset, ref.length = offset, member_len

    here = spool.tell()  # warcio reads on from here: measure the spool, then come back
    size = spool.seek(0, os.SEEK_END)
    spool.seek(here)
    if it.offset >= size:  # the usual case: one record, one member
        yield ref
        return

    # more data in this member: more records, or junk after the record
    try:
        second = next(records)
        nxt = buffer_record(it, second, path, parse_http, base=0)
    except StopIteration:
        yield ref
        return
    except Exception as exc:
        junk = Damaged(offset, f"unreadable data after the record in its gzip member: {exc}")
    else:
        junk = None
    if junk is not None:
        yield ref
        raise junk

    ref.addressable = False
    try:
        yield ref
    except GeneratorExit:
        nxt.close()
        raise
    while True:
        nxt.offset, nxt.length, nxt.addressable = offset, member_len, False
        yield nxt
        inner = it.offset
        try:
            record = next(records)
            nxt = buffer_record(it, record, path, parse_http, base=0)
        except StopIteration:
            return
        except Exception as exc:
            raise Damaged(
                offset, f"unreadable record at {inner} of the decompressed stream: {exc}"
            ) from None
