"""Fault-tolerant streaming reads of WARC and ARC files.

Parsing is warcio's (``ArchiveIterator`` with ``arc2warc=True``); this package adds what a
long-running archive needs around it:

* the compression is detected from the bytes, not the file name (a ``.warc`` that is gzip,
  a ``.warc.gz`` that is plain), and every gzip member is decompressed here with its CRC
  checked, so a damaged member is reported instead of being silently cut short;
* each record is read to its end and buffered (memory up to 1 MiB, then a temporary file)
  before it is handed out, so its exact ``offset`` and ``length`` are known, a short block is
  caught, and a read error never surfaces half-way through a consumer's loop;
* one bad record never stops the run: it is skipped, a :class:`ReadError` with the file and
  offset is recorded, and reading goes on at the next record that can be found. In a
  gzip-per-record file the next record is found by scanning for the next gzip member header
  ``1f 8b 08`` and trying it; in an uncompressed file by scanning for the next line that
  starts a WARC (``WARC/1.x``) or ARC record header.

A file compressed as one gzip stream holding many records is read too, but its records share
one member, so they cannot be fetched by offset: they come with ``addressable=False``.

Healthy gzip members take a fast path with the same results: the file is read in large
windows, a member is inflated in memory (zlib checks its CRC and length), and its one record
is parsed from the inflated bytes: a plain WARC/1.0 or 1.1 record's headers here, in one
piece, with warcio's record built (by its loader, from the same bytes) only when a consumer
asks for ``ref.record``; anything else by warcio's record loader. Whatever that path does
not find exactly as expected (no gzip header, a zlib error, a member cut off by the end of the
file or larger than 4 MiB inflated, a record that is short, invalid or not alone in its
member, pending damage to report) goes to the careful path above, from the same offset.

Reading can be limited to the records that start in a byte range (``start``/``end``: one
task of a parallel scan reads a range of a large file in one pass, one open file), and a
:class:`BlockSkipper` can leave the blocks of chosen records unread: given the members'
offsets and lengths from a CDXJ index, a member is inflated only as far as its headers
(WARC, and HTTP for a response), and reading moves on to the next member by the indexed
length. A skip is taken only when the file agrees with the index there (a gzip header at the
offset and at the offset plus the length, or the end of the file; the same target URI);
the first disagreement stops skipping for the rest of the file and is noted in
``BlockSkipper.mismatch``. A skipped block is not checked (no CRC, no length check): use
it where the block is not wanted, as an export that takes the text from other records.

Modules: ``_read`` (the two entry points, and uncompressed files), ``_gzip`` (gzip files,
member by member), ``_fast`` (the fast path), ``_lazy`` and ``_headers`` (its records and
header parse), ``_careful`` (the careful path), ``_skip`` (:class:`BlockSkipper`),
``_buffer`` (records through warcio, buffered), ``_damage`` (reporting damage and
resynchronising), ``_types`` (what is handed out).
"""

from __future__ import annotations

from ._read import iter_records, read_record_at
from ._skip import BlockSkipper
from ._types import ReadError, RecordRef, UnreadableRecord

__all__ = [
    "BlockSkipper",
    "ReadError",
    "RecordRef",
    "UnreadableRecord",
    "iter_records",
    "read_record_at",
]
