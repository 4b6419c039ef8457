"""Gzip files, one member at a time: each member is tried by the block skipper and the
fast path, else read by the careful path; past damage, reading resumes at the next gzip
member header, and the damage is reported once a good member is found (or the range ends)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, BinaryIO

from ._buffer import GZIP_MAGIC
from ._careful import decompress_member, records_in_member
from ._damage import Reporter, find_gzip_magic, report_skip, scan
from ._fast import Window, fast_member
from ._headers import fast_loader
from ._skip import BlockSkipper, skipped_member
from ._types import Damaged, RecordRef


def iter_gzip(
    fh: BinaryIO,
    path: str,
    reporter: Reporter,
    parse_http: bool,
    start: int,
    stop: int,
    skipper: BlockSkipper | None,
) -> Iterator[RecordRef]:
    """Records of the members that start in ``[start, stop)`` (a member that starts there
    is read to its end, past ``stop`` if need be)."""
    size = os.fstat(fh.fileno()).st_size
    stop = min(stop, size)
    pos = start
    damage: Damaged | None = None  # reported once the next good member is found
    fmt_hint: str | None = None  # members after the first do not show the file's format

    window = Window(fh, size)
    loader = fast_loader()

    def resume(after: int) -> int | None:
        """The next member start to try, or None when there is none before ``stop``."""
        nxt = scan(fh, after, size, find_gzip_magic)
        if nxt is None or nxt >= stop:
            return None
        return nxt

    while pos < stop:
        if damage is None:
            ref = None
            if skipper is not None and skipper.mismatch is None and pos in skipper.members:
                ref = skipped_member(window, pos, path, parse_http, fmt_hint, loader, skipper)
            if ref is None:
                ref = fast_member(window, pos, path, parse_http, fmt_hint, loader)
            if ref is not None:
                fmt_hint = ref.format
                yield ref
                pos += ref.length
                continue

        fh.seek(pos)
        if fh.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
            damage = damage or Damaged(pos, "data that is not a gzip member")
            nxt = resume(pos + 1)
            if nxt is None:
                break
            pos = nxt
            continue

        fh.seek(pos)
        spool, member_len, cut = decompress_member(fh, pos)
        if cut is not None and not cut.salvage:
            with spool:  # a file gzipped as a whole: the records before the damage
                yield from _before_damage(spool, path, pos, member_len, parse_http, fmt_hint)
            damage = damage or cut
            nxt = resume(pos + 1)
            if nxt is None:
                break
            pos = nxt
            continue

        if cut is not None:
            # the file ends inside this member: keep the records that are whole in it
            with spool:
                try:
                    for ref in records_in_member(
                        spool, path, pos, member_len, parse_http, fmt_hint
                    ):
                        ref.addressable = False
                        yield ref
                except Damaged:
                    pass
            damage = damage or cut
            break

        try:
            with spool:
                for ref in records_in_member(spool, path, pos, member_len, parse_http, fmt_hint):
                    if damage is not None:
                        report_skip(reporter, damage, pos)
                        damage = None
                    fmt_hint = ref.format
                    yield ref
        except Damaged as exc:
            # the member decompressed, but what it holds is not a (complete) record
            if damage is not None:
                report_skip(reporter, damage, pos)
                damage = None
            reporter.add(pos, exc.message)
        pos += member_len

    if damage is not None:
        # in a range, the records after ``stop`` are the next range's
        report_skip(reporter, damage, stop if stop < size else None)


def _before_damage(
    spool: IO[bytes],
    path: str,
    offset: int,
    member_len: int,
    parse_http: bool,
    fmt_hint: str | None,
) -> Iterator[RecordRef]:
    """The records of a corrupt member that holds several (a file gzipped as a whole),
    each one followed by another whole record: the last one before the damage, and the
    only one of a member that holds one, may hold corrupt bytes and are left out."""
    held: RecordRef | None = None
    try:
        for ref in records_in_member(spool, path, offset, member_len, parse_http, fmt_hint):
            ref.addressable = False
            if held is not None:
                yield held
            held = ref
    except Damaged:
        pass
    if held is not None:
        held.close()
