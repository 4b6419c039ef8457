"""Uncompressed files: records read in order through warcio; past damage, reading resumes
at the next line that starts a record header of the file's format (WARC or ARC)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from ._buffer import buffer_record, make_iterator, sniff_format
from ._damage import Reporter, find_arc_line, find_warc_line, report_skip, scan
from ._types import Damaged, RecordRef


def iter_plain(
    fh: BinaryIO,
    path: str,
    reporter: Reporter,
    parse_http: bool,
    start: int,
    stop: int,
) -> Iterator[RecordRef]:
    size = os.fstat(fh.fileno()).st_size
    stop = min(stop, size)
    fmt = sniff_format(fh)  # at the file's start: its first record shows the format
    finder = find_arc_line if fmt == "arc" else find_warc_line
    pos = start
    damage: Damaged | None = None

    while pos < stop:
        fh.seek(pos)
        it = make_iterator(fh, parse_http, fmt)
        records = iter(it)
        while True:
            rec_start = it.offset
            errs_before = it.err_count
            try:
                record = next(records)
                ref = buffer_record(it, record, path, parse_http, base=0)
            except StopIteration:
                pos = size
                break
            except Damaged as exc:
                if damage is None:
                    damage = exc
                pos = scan(fh, exc.offset + 1, size, finder) or size
                break
            except Exception as exc:
                if damage is None:
                    damage = Damaged(rec_start, f"unreadable record: {exc}")
                pos = scan(fh, rec_start + 1, size, finder) or size
                break

            if ref.offset >= stop:  # the next range's
                ref.close()
                pos = size
                break
            if damage is not None:
                report_skip(reporter, damage, ref.offset)
                damage = None
            if it.err_count > errs_before:
                reporter.add(
                    ref.offset,
                    "record not followed by a blank line: its Content-Length may be wrong",
                )
            yield ref

    if damage is not None:
        report_skip(reporter, damage, stop if stop < size and pos >= stop else None)
