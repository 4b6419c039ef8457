"""The two ways in: :func:`iter_records` (every record of a file, or of a byte range) and
:func:`read_record_at` (the one record at an offset)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, BinaryIO

from ._buffer import GZIP_MAGIC, buffer_record, copy_slice, make_iterator, sniff_format
from ._careful import decompress_member, records_in_member
from ._damage import Reporter, find_arc_line, find_warc_line, report_skip, scan
from ._gzip import iter_gzip
from ._skip import BlockSkipper
from ._types import Damaged, ReadError, RecordRef, UnreadableRecord


def iter_records(
    path: str | os.PathLike[str],
    *,
    errors: list[ReadError] | None = None,
    parse_http: bool = True,
    start: int = 0,
    end: int | None = None,
    skipper: BlockSkipper | None = None,
) -> Iterator[RecordRef]:
    """Yield every readable record of a WARC or ARC file, in file order.

    Damage is recorded in ``errors`` (if given) and logged; iteration goes on past it.
    A record's buffered stream is valid until the iteration moves on to the next record.
    ``parse_http=False`` leaves HTTP headers unparsed, so ``record.raw_stream`` is the
    whole block (what a block digest covers).

    ``start``/``end`` limit the iteration to the records that start in ``[start, end)``;
    ``start`` must be where a record (a gzip member) starts, as an offset from an index.
    ``skipper`` (gzip files only) leaves chosen blocks unread: see :class:`BlockSkipper`.
    """
    path = os.fspath(path)
    reporter = Reporter(path, errors)
    with open(path, "rb") as fh:
        head = fh.read(len(GZIP_MAGIC))
        fh.seek(0)
        stop = os.fstat(fh.fileno()).st_size if end is None else end
        if head.startswith(GZIP_MAGIC[:2]):
            refs = iter_gzip(fh, path, reporter, parse_http, start, stop, skipper)
        else:
            refs = _iter_plain(fh, path, reporter, parse_http, start, stop)
        for ref in refs:
            try:
                yield ref
            finally:
                ref.close()


def read_record_at(
    path: str | os.PathLike[str],
    offset: int,
    length: int | None = None,
    *,
    parse_http: bool = True,
) -> RecordRef:
    """Read the one record at ``offset`` (as given by :func:`iter_records` or an index).

    ``length``, when given, bounds the read to ``length`` bytes of the file. Raises
    :class:`UnreadableRecord` (a ``ValueError``) if no complete record can be read there.
    Close the result (or use it in a ``with`` block) to free its buffer.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        fh.seek(offset)
        head = fh.read(len(GZIP_MAGIC))
        fh.seek(offset)
        try:
            if head == GZIP_MAGIC:
                spool, member_len, damage = decompress_member(fh, offset, limit=length)
                if damage is not None:
                    spool.close()
                    raise damage
                with spool:
                    refs = list(records_in_member(spool, path, offset, member_len, parse_http))
                if not refs:
                    raise Damaged(offset, "gzip member holds no record")
                ref = refs[0]
                for other in refs[1:]:
                    other.close()
            else:
                if length is None:  # the iterator counts from the position it starts at
                    ref = _first_record(fh, path, parse_http, base=0)
                else:
                    with copy_slice(fh, length) as src:
                        ref = _first_record(src, path, parse_http, base=offset)
        except StopIteration:
            raise UnreadableRecord(path, offset, "no record there") from None
        except Damaged as exc:  # its offset may be counted from the member or the slice
            raise UnreadableRecord(path, offset, exc.message) from None
        except Exception as exc:  # warcio raises several types on bad input
            raise UnreadableRecord(path, offset, str(exc)) from None
    return ref


def _first_record(src: IO[bytes], path: str, parse_http: bool, base: int) -> RecordRef:
    it = make_iterator(src, parse_http, sniff_format(src))
    record = next(iter(it))
    return buffer_record(it, record, path, parse_http, base=base)


def _iter_plain(
    fh: BinaryIO,
    path: str,
    reporter: Reporter,
    parse_http: bool,
    start: int,
    stop: int,
) -> Iterator[RecordRef]:
    """Uncompressed files: records read in order through warcio; past damage, reading
    resumes at the next line that starts a record header of the file's format (WARC or
    ARC)."""
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
