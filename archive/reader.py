"""Fault-tolerant streaming reads of WARC and ARC files.

Parsing is warcio's (``ArchiveIterator`` with ``arc2warc=True``); this module adds what a
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
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO, RawIOBase
from typing import IO, Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

__all__ = ["BlockSkipper", "ReadError", "RecordRef", "iter_records", "read_record_at"]

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 16
_SPOOL_MAX = 1 << 20
_SCAN_CHUNK = 1 << 20
_SCAN_OVERLAP = 8192
_WINDOW = 4 << 20  # bytes of a gzip file read at once by the fast path
_FAST_FIRST = 8192  # its first read of a member (most members are smaller)
_FAST_MAX = 4 << 20  # a member that inflates to more is left to the spooled path
_HEAD_IN = 768  # compressed bytes of a skipped member inflated at first (then twice more)
_HEAD_OUT = 1 << 16  # its headers must end within this much inflated

# A line that starts a WARC record, or an ARC v1 record (url ip date mime length).
_WARC_LINE = re.compile(rb"(?:^|\n)(WARC/[01]\.\d+\r?\n)")
_ARC_LINE = re.compile(rb"(?:^|\n)(\S+ \S+ \d{12,14} \S* \d+\r?\n)")


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


class _Damaged(Exception):
    """A record or member that cannot be read; carries the offset of the damage."""

    def __init__(self, offset: int, message: str, *, salvage: bool = False) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.salvage = salvage


# ---------------------------------------------------------------------------
# public API


class BlockSkipper:
    """Which records' blocks :func:`iter_records` may leave unread, in a gzip-per-record file.

    ``members`` maps the offset of a gzip member to its compressed length and the record's
    WARC-Target-URI, as a CDXJ index gives them (``offset``, ``length``, ``url``).
    ``skip(ref)`` is asked about each such record once its headers are parsed (``ref`` has
    them, not the block): True leaves the block unread. ``skipped`` counts the skips;
    ``mismatch`` is set (offset, reason) at the first place where the file does not agree
    with ``members``, after which nothing more is skipped.
    """

    def __init__(
        self, members: Mapping[int, tuple[int, str]], skip: Callable[[RecordRef], bool]
    ) -> None:
        self.members = members
        self.skip = skip
        self.skipped = 0
        self.mismatch: tuple[int, str] | None = None


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
    reporter = _Reporter(path, errors)
    with open(path, "rb") as fh:
        head = fh.read(len(GZIP_MAGIC))
        fh.seek(0)
        stop = os.fstat(fh.fileno()).st_size if end is None else end
        if head.startswith(GZIP_MAGIC[:2]):
            refs = _iter_gzip(fh, path, reporter, parse_http, start, stop, skipper)
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
    ``ValueError`` if no complete record can be read there. Close the result (or use it in
    a ``with`` block) to free its buffer.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        fh.seek(offset)
        head = fh.read(len(GZIP_MAGIC))
        fh.seek(offset)
        try:
            if head == GZIP_MAGIC:
                spool, member_len, damage = _decompress_member(fh, offset, limit=length)
                if damage is not None:
                    spool.close()
                    raise damage
                with spool:
                    refs = list(_records_in_member(spool, path, offset, member_len, parse_http))
                if not refs:
                    raise _Damaged(offset, "gzip member holds no record")
                ref = refs[0]
                for other in refs[1:]:
                    other.close()
            else:
                if length is None:  # the iterator counts from the position it starts at
                    ref = _first_record(fh, path, parse_http, base=0)
                else:
                    with _copy_slice(fh, length) as src:
                        ref = _first_record(src, path, parse_http, base=offset)
        except StopIteration:
            raise ValueError(f"{path}: no record at offset {offset}") from None
        except _Damaged as exc:
            raise ValueError(f"{path}: offset {exc.offset}: {exc.message}") from None
        except Exception as exc:  # warcio raises several types on bad input
            raise ValueError(f"{path}: offset {offset}: {exc}") from None
    return ref


def _first_record(src: IO[bytes], path: str, parse_http: bool, base: int) -> RecordRef:
    it = _make_iterator(src, parse_http, _sniff_format(src))
    record = next(iter(it))
    return _buffer_record(it, record, path, parse_http, base=base)


# ---------------------------------------------------------------------------
# error reporting


class _Reporter:
    def __init__(self, path: str, sink: list[ReadError] | None) -> None:
        self.path = path
        self.sink = sink

    def add(self, offset: int, message: str) -> None:
        err = ReadError(self.path, offset, message)
        logger.warning("%s: offset %d: %s", self.path, offset, message)
        if self.sink is not None:
            self.sink.append(err)


# ---------------------------------------------------------------------------
# gzip files: one member at a time, CRC-checked


def _iter_gzip(
    fh: BinaryIO,
    path: str,
    reporter: _Reporter,
    parse_http: bool,
    start: int = 0,
    stop: int | None = None,
    skipper: BlockSkipper | None = None,
) -> Iterator[RecordRef]:
    """Records of the members that start in ``[start, stop)`` (a member that starts there
    is read to its end, past ``stop`` if need be)."""
    size = os.fstat(fh.fileno()).st_size
    stop = size if stop is None else min(stop, size)
    pos = start
    damage: _Damaged | None = None  # reported once the next good member is found
    fmt_hint: str | None = None  # members after the first do not show the file's format

    window = _Window(fh, size)
    loader = _fast_loader()

    def resume(after: int) -> int | None:
        """The next member start to try, or None when there is none before ``stop``."""
        nxt = _scan(fh, after, size, _find_gzip_magic)
        if nxt is None or nxt >= stop:
            return None
        return nxt

    while pos < stop:
        if damage is None:
            ref = None
            if skipper is not None and skipper.mismatch is None and pos in skipper.members:
                ref = _skipped_member(window, pos, path, parse_http, fmt_hint, loader, skipper)
            if ref is None:
                ref = _fast_member(window, pos, path, parse_http, fmt_hint, loader)
            if ref is not None:
                fmt_hint = ref.format
                yield ref
                pos += ref.length
                continue

        fh.seek(pos)
        if fh.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
            damage = damage or _Damaged(pos, "data that is not a gzip member")
            nxt = resume(pos + 1)
            if nxt is None:
                break
            pos = nxt
            continue

        fh.seek(pos)
        spool, member_len, cut = _decompress_member(fh, pos)
        if cut is not None and not cut.salvage:
            spool.close()
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
                    for ref in _records_in_member(
                        spool, path, pos, member_len, parse_http, fmt_hint
                    ):
                        ref.addressable = False
                        yield ref
                except _Damaged:
                    pass
            damage = damage or cut
            break

        try:
            with spool:
                for ref in _records_in_member(spool, path, pos, member_len, parse_http, fmt_hint):
                    if damage is not None:
                        _report_skip(reporter, damage, pos)
                        damage = None
                    fmt_hint = ref.format
                    yield ref
        except _Damaged as exc:
            # the member decompressed, but what it holds is not a (complete) record
            if damage is not None:
                _report_skip(reporter, damage, pos)
                damage = None
            reporter.add(pos, exc.message)
        pos += member_len

    if damage is not None:
        # in a range, the records after ``stop`` are the next range's
        _report_skip(reporter, damage, stop if stop < size else None)


class _Window:
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


def _skipped_member(
    window: _Window,
    pos: int,
    path: str,
    parse_http: bool,
    fmt_hint: str | None,
    loader: ArcWarcRecordLoader,
    skipper: BlockSkipper,
) -> RecordRef | None:
    """The record of the member at ``pos`` with its headers only, its block left unread,
    when the skipper wants that and the file agrees with the index here; else None (the
    member is then read in full)."""
    length, url = skipper.members[pos]
    if length <= 0 or pos + length > window.size:
        skipper.mismatch = (pos, f"indexed length {length} runs past the end of the file")
        return None
    if window.view(pos, len(GZIP_MAGIC)) != GZIP_MAGIC:
        skipper.mismatch = (pos, "no gzip member at the indexed offset")
        return None
    end = pos + length
    if end < window.size and window.view(end, len(GZIP_MAGIC)) != GZIP_MAGIC:
        skipper.mismatch = (pos, f"no gzip member after the indexed length {length}")
        return None
    # (enough of the member for _HEAD_OUT inflated bytes: deflate never grows data much)
    view = window.view(pos, min(length, _HEAD_OUT + 1024))
    ref = _parse_head(view, length, fmt_hint, parse_http, loader, pos, path)
    if ref is None:
        return None
    target = ref.header("WARC-Target-URI") or ""
    for bad, repl in (("\r", "%0D"), ("\n", "%0A"), ("\x0c", "%0C"), ("\x00", "%00")):
        target = target.replace(bad, repl)  # as the index writes it
    if target != url:
        skipper.mismatch = (pos, f"the record's target URI is not the indexed {url!r}")
        return None
    if not skipper.skip(ref):
        return None
    skipper.skipped += 1
    return ref


def _parse_head(
    member: memoryview,
    length: int,
    fmt_hint: str | None,
    parse_http: bool,
    loader: ArcWarcRecordLoader,
    pos: int,
    path: str,
) -> RecordRef | None:
    """The record at the start of a gzip member (``length`` bytes, ``member`` the first of
    them), with its headers only, parsed from as little of it inflated as holds them; None
    when that cannot be done (the member is then read in full)."""
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    head = b""
    used = 0
    step = _HEAD_IN
    while len(head) < _HEAD_OUT:
        try:
            head += dec.decompress(member[used : used + step])
        except zlib.error:
            return None  # the careful path reports it
        used += step
        if dec.eof or used >= length or used >= len(member):
            return None  # a small member, or headers to its end: read it all
        ref = _MemberRef.parse(head, loader, parse_http, path, pos, length, complete=False)
        if ref is None:
            ref = _parse_head_warcio(head, fmt_hint, parse_http, loader, pos, path, length)
        if ref is not None:
            return ref
        step *= 2
    return None


def _parse_head_warcio(
    head: bytes,
    fmt_hint: str | None,
    parse_http: bool,
    loader: ArcWarcRecordLoader,
    pos: int,
    path: str,
    length: int,
) -> RecordRef | None:
    """As :func:`_parse_head`, for a record the minimal parse does not take (an ARC record,
    an older WARC version), through warcio's record loader."""
    stream = _Member(head)
    fmt = _sniff_format(stream) or fmt_hint
    try:
        record = loader.parse_record_stream(stream, None, fmt, not parse_http, False)
        _validate(record, pos)
    except Exception:
        return None
    # headers ended before what is inflated ends: they are all there
    if stream.tell() >= len(head):
        return None
    record.raw_stream = _Unread()
    return RecordRef(
        record=record,
        path=path,
        offset=pos,
        length=length,
        format="arc" if fmt == "arc" else "warc",
        block_read=False,
    )


class _Unread(RawIOBase):
    """The stream of a block left unread: reading it is a mistake, and says so."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise ValueError("this record's block was not read (skipped by a BlockSkipper)")


def _fast_member(
    window: _Window,
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
            want = _CHUNK
    except zlib.error:
        return None
    member = b"".join(pieces)
    # the careful path reads a member through warcio, which would inflate a member that
    # is itself gzip data once more
    if member[:2] == GZIP_MAGIC[:2]:
        return None
    ref = _MemberRef.parse(member, loader, parse_http, path, pos, consumed)
    if ref is not None:
        return ref
    stream = _Member(member)
    fmt = _sniff_format(stream) or fmt_hint
    try:
        record = loader.parse_record_stream(stream, None, fmt, not parse_http, False)
        _validate(record, pos)
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


_WARC_STARTS = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
_HTTP_RECORDS = frozenset(ArcWarcRecordLoader.HTTP_RECORDS)
_HTTP_SCHEMES = tuple(ArcWarcRecordLoader.HTTP_SCHEMES)


class _MemberRef(RecordRef):
    """A record of the fast path, whose WARC headers were parsed here in one piece.

    warcio's record is built from the same bytes by the same loader, but only when
    ``record`` is asked for: ``rec_type``, ``header()``, ``http_headers`` and
    ``read_content()`` do without it (what an export reads of most records). The record
    must be one that warcio parses the same way, and complete: :meth:`parse` takes only a
    WARC/1.0 or 1.1 record whose header block :func:`_split_block` takes, with a WARC-Type,
    a Content-Length of ASCII digits, a target URI that is not in angle brackets (warcio
    rewrites those), and for a whole member its block complete, followed by nothing but
    blank lines.
    """

    _record: ArcWarcRecord | None

    def __init__(
        self,
        data: bytes,
        fields: dict[str, str],
        block_at: int,
        block_len: int,
        http: bool,
        loader: ArcWarcRecordLoader,
        parse_http: bool,
        path: str,
        offset: int,
        length: int,
        block_read: bool,
    ) -> None:
        self._data = data  # the inflated member; its start only when the block is unread
        self._fields = fields  # lower-cased name -> first value, as warcio looks them up
        self._block_at = block_at
        self._block_len = block_len
        self._http = http  # warcio parses HTTP headers at the start of the block
        self._http_headers: StatusAndHeaders | None = None
        self._loader = loader
        self._parse_http = parse_http
        self._record = None
        self._closed = False
        self.path = path
        self.offset = offset
        self.length = length
        self.addressable = True
        self.format = "warc"
        self.block_read = block_read

    @classmethod
    def parse(
        cls,
        data: bytes,
        loader: ArcWarcRecordLoader,
        parse_http: bool,
        path: str,
        offset: int,
        length: int,
        complete: bool = True,
    ) -> _MemberRef | None:
        """The record of an inflated member (``complete``), or of the start of one (its
        headers only: the block is then left unread); None when not sure (see above)."""
        if not data.startswith(_WARC_STARTS):
            return None
        parsed = _split_block(data, 0, len(data))
        if parsed is None:
            return None
        # (reversed: the first of several values of a name wins, as in warcio's lookup)
        fields = {name.lower(): value for name, value in reversed(parsed[1])}
        rec_type = fields.get("warc-type")
        declared = fields.get("content-length")
        if not rec_type or declared is None or not (declared.isascii() and declared.isdigit()):
            return None
        uri = fields.get("warc-target-uri")
        if uri is not None and uri.startswith("<") and uri.endswith(">"):
            return None
        block_at = parsed[2]
        block_len = int(declared)
        http = parse_http and block_len != 0 and rec_type in _HTTP_RECORDS
        if http:
            if uri is None:
                return None  # warcio fails on it: the careful path reports it
            http = uri.startswith(_HTTP_SCHEMES)
        end = block_at + block_len
        if complete:
            if end > len(data) or data[end:].strip():
                return None  # block cut short, or more than one record in the member
        else:
            # every header warcio reads must be in ``data``: those of the block too
            stop = block_at
            if http:
                found = data.find(b"\r\n\r\n", block_at, end)
                if found < 0:
                    return None
                stop = found + 4
            if stop >= len(data):
                return None
        return cls(
            data,
            fields,
            block_at,
            block_len,
            http,
            loader,
            parse_http,
            path,
            offset,
            length,
            complete,
        )

    @property  # type: ignore[override]
    def record(self) -> ArcWarcRecord:
        record = self._record
        if record is None:
            stream = _Member(self._data)
            record = self._loader.parse_record_stream(
                stream, None, "warc", not self._parse_http, False
            )
            if self.block_read:
                record.raw_stream = BytesIO(record.raw_stream.read())
            else:
                record.raw_stream = _Unread()
            if self._closed:
                record.raw_stream.close()  # as if it had been built before
            self._record = record
        return record

    @record.setter
    def record(self, value: ArcWarcRecord) -> None:
        self._record = value

    @property
    def rec_type(self) -> str:
        if self._record is not None:
            return self._record.rec_type
        return self._fields["warc-type"]

    def header(self, name: str) -> str | None:
        if self._record is not None:
            return self._record.rec_headers.get_header(name)
        return self._fields.get(name.lower())

    @property
    def http_headers(self) -> StatusAndHeaders | None:
        if self._record is not None:
            return self._record.http_headers
        if not self._http:
            return None
        if self._http_headers is None:
            stream = _Member(self._data)
            stream.seek(self._block_at)
            self._http_headers = self._loader.load_http_headers(
                self.rec_type,
                self._fields["warc-target-uri"],
                LimitReader(stream, self._block_len),
                self._block_len,
            )
        return self._http_headers

    def read_content(self) -> bytes:
        if self._record is None and not self._http and self.block_read and not self._closed:
            return self._data[self._block_at : self._block_at + self._block_len]
        return super().read_content()

    def close(self) -> None:
        self._closed = True
        if self._record is not None:
            self._record.raw_stream.close()


class _Member(BytesIO):
    """An inflated member, with its bytes at hand for :class:`_HeaderParser`."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.data = data


class _HeaderParser(StatusAndHeadersParser):
    """warcio's status-and-headers parser, reading a plain header block in one piece.

    warcio reads headers line by line through Python-level readers; in an inflated member
    the block is in memory, so it is found, decoded and split at once. Only a block that
    parses the same way line by line is taken: UTF-8, ended by a CRLF CRLF within the
    stream's limit, with no blank line, continuation line or empty status line before it.
    Anything else goes to warcio's own line-by-line parse, from the same position.
    """

    def parse(self, stream: Any, full_statusline: Any = None) -> StatusAndHeaders:
        if full_statusline is None:
            limit = None
            inner = stream
            if isinstance(stream, LimitReader):
                inner, limit = stream.stream, stream.limit
            if isinstance(inner, _Member):
                pos = inner.tell()
                stop = len(inner.data) if limit is None else min(len(inner.data), pos + limit)
                parsed = self._parse_block(inner.data, pos, stop)
                if parsed is not None:
                    headers, used = parsed
                    inner.seek(pos + used)
                    if limit is not None:
                        stream.limit -= used
                    return headers
        return super().parse(stream, full_statusline)

    def _parse_block(self, data: bytes, pos: int, stop: int) -> tuple[StatusAndHeaders, int] | None:
        parsed = _split_block(data, pos, stop)
        if parsed is None:
            return None
        status, headers, used, text_len = parsed
        if self.verify:
            protocol_status = self.split_prefix(status, self.statuslist)
            if not protocol_status:
                return None  # warcio raises, with its message
        else:
            protocol_status = status.split(" ", 1)
        rest = protocol_status[1].strip() if len(protocol_status) > 1 else ""
        return _Headers.of(rest, headers, protocol_status[0], text_len), used


def _split_block(
    data: bytes, pos: int, stop: int
) -> tuple[str, list[tuple[str, str]], int, int] | None:
    """A header block at ``pos`` as warcio's parser reads it line by line, when that is
    certain: (status line, header pairs, bytes used, characters); None when the block is
    not UTF-8, not ended by CRLF CRLF before ``stop``, or has a blank line, a continuation
    line or an empty status line before that."""
    end = data.find(b"\r\n\r\n", pos, stop)
    if end < 0:
        return None
    end += 4
    try:
        text = data[pos:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")[:-2]  # the last two: the blank line's "\r" and ""
    status = lines[0].rstrip()
    if not status:
        return None
    headers = []
    for raw in lines[1:]:
        line = raw.rstrip()
        if not line or line[0] in " \t":
            return None
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.rstrip(" \t"), value.lstrip()))
    return status, headers, end - pos, len(text)


class _Headers(StatusAndHeaders):
    """warcio's StatusAndHeaders for headers parsed here (str pairs already, so warcio's
    conversion of each is not redone), looking names up in a dict built on first use.

    The dict is rebuilt when warcio's methods change the headers, or when the list is
    replaced or changes length; ``get_header`` gives the first value of a name, as warcio's.
    """

    _lookup: tuple[list[tuple[str, str]], int, dict[str, str]] | None = None

    @classmethod
    def of(
        cls, statusline: str, headers: list[tuple[str, str]], protocol: str, total_len: int
    ) -> _Headers:
        self = cls.__new__(cls)
        self.statusline = statusline
        self.headers = headers
        self.protocol = protocol
        self.total_len = total_len
        self.headers_buff = None
        return self

    def get_header(self, name: str, default_value: Any = None) -> Any:
        lookup = self._lookup
        headers = self.headers
        if lookup is None or lookup[0] is not headers or lookup[1] != len(headers):
            names: dict[str, str] = {}
            for key, value in headers:
                names.setdefault(key.lower(), value)
            lookup = self._lookup = (headers, len(headers), names)
        return lookup[2].get(name.lower(), default_value)

    def add_header(self, name: str, value: str) -> None:
        self._lookup = None
        super().add_header(name, value)

    def replace_header(self, name: str, value: str) -> Any:
        self._lookup = None
        return super().replace_header(name, value)

    def remove_header(self, name: str) -> bool:
        self._lookup = None
        return super().remove_header(name)


def _fast_loader() -> ArcWarcRecordLoader:
    """warcio's loader as ArchiveIterator sets it up (see ``_make_iterator``), with the
    block-at-once header parser."""
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=True)
    loader.warc_parser = _HeaderParser(loader.WARC_TYPES)
    loader.http_parser = _HeaderParser(loader.HTTP_TYPES, False)
    loader.http_req_parser = _HeaderParser(loader.HTTP_VERBS, False)
    return loader


def _report_skip(reporter: _Reporter, damage: _Damaged, resumed_at: int | None) -> None:
    if resumed_at is None:
        tail = "no readable record after it"
    else:
        tail = f"skipped {resumed_at - damage.offset} bytes, resumed at offset {resumed_at}"
    reporter.add(damage.offset, f"{damage.message}; {tail}")


def _decompress_member(
    fh: BinaryIO, offset: int, limit: int | None = None
) -> tuple[IO[bytes], int, _Damaged | None]:
    """Decompress the gzip member at the file position into a spool.

    Returns the spool, the member's compressed length, and the damage if the member is
    corrupt (zlib error or failed CRC: nothing in it can be trusted) or cut off by the end
    of the file (``salvage``: what was decompressed so far is sound).
    """
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    spool = _new_spool()
    consumed = 0
    damage: _Damaged | None = None
    while not dec.eof:
        want = _CHUNK if limit is None else min(_CHUNK, limit - consumed)
        data = fh.read(want) if want > 0 else b""
        if not data:
            damage = _Damaged(offset, "gzip member cut off (truncated file?)", salvage=True)
            break
        try:
            spool.write(dec.decompress(data))
        except zlib.error as exc:
            damage = _Damaged(offset, f"corrupt gzip member: {exc}")
            break
        consumed += len(data) - len(dec.unused_data)
    spool.seek(0)
    return spool, consumed, damage


def _records_in_member(
    spool: IO[bytes],
    path: str,
    offset: int,
    member_len: int,
    parse_http: bool,
    fmt_hint: str | None = None,
) -> Iterator[RecordRef]:
    """Yield the records of one decompressed member: normally exactly one, addressable by
    the member's offset; several when the file was gzipped as a whole (not addressable)."""
    it = _make_iterator(spool, parse_http, _sniff_format(spool) or fmt_hint)
    records = iter(it)
    try:
        first = next(records)
        ref = _buffer_record(it, first, path, parse_http, base=0)
    except StopIteration:
        return
    except _Damaged:
        raise
    except Exception as exc:
        raise _Damaged(offset, f"unreadable record: {exc}") from None
    ref.offset, ref.length = offset, member_len

    spool.seek(0, os.SEEK_END)
    if it.offset >= spool.tell():  # the usual case: one record, one member
        yield ref
        return

    # more data in this member: more records, or junk after the record
    try:
        second = next(records)
        nxt = _buffer_record(it, second, path, parse_http, base=0)
    except StopIteration:
        yield ref
        return
    except Exception as exc:
        junk = _Damaged(offset, f"unreadable data after the record in its gzip member: {exc}")
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
            nxt = _buffer_record(it, record, path, parse_http, base=0)
        except StopIteration:
            return
        except Exception as exc:
            raise _Damaged(
                offset, f"unreadable record at {inner} of the decompressed stream: {exc}"
            ) from None


# ---------------------------------------------------------------------------
# uncompressed files


def _iter_plain(
    fh: BinaryIO,
    path: str,
    reporter: _Reporter,
    parse_http: bool,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[RecordRef]:
    size = os.fstat(fh.fileno()).st_size
    stop = size if stop is None else min(stop, size)
    fmt = _sniff_format(fh)  # at the file's start: its first record shows the format
    finder = _find_arc_line if fmt == "arc" else _find_warc_line
    pos = start
    damage: _Damaged | None = None

    while pos < stop:
        fh.seek(pos)
        it = _make_iterator(fh, parse_http, fmt)
        records = iter(it)
        while True:
            rec_start = it.offset
            errs_before = it.err_count
            try:
                record = next(records)
                ref = _buffer_record(it, record, path, parse_http, base=0)
            except StopIteration:
                pos = size
                break
            except _Damaged as exc:
                if damage is None:
                    damage = exc
                pos = _scan(fh, exc.offset + 1, size, finder) or size
                break
            except Exception as exc:
                if damage is None:
                    damage = _Damaged(rec_start, f"unreadable record: {exc}")
                pos = _scan(fh, rec_start + 1, size, finder) or size
                break

            if ref.offset >= stop:  # the next range's
                ref.close()
                pos = size
                break
            if damage is not None:
                _report_skip(reporter, damage, ref.offset)
                damage = None
            if it.err_count > errs_before:
                reporter.add(
                    ref.offset,
                    "record not followed by a blank line: its Content-Length may be wrong",
                )
            yield ref

    if damage is not None:
        _report_skip(reporter, damage, stop if stop < size and pos >= stop else None)


# ---------------------------------------------------------------------------
# shared helpers


def _sniff_format(fh: IO[bytes]) -> str | None:
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


def _make_iterator(fh: IO[bytes], parse_http: bool, fmt: str | None) -> ArchiveIterator:
    it = ArchiveIterator(fh, no_record_parse=not parse_http, arc2warc=True)
    # With arc2warc warcio guesses the format of every record, and a stray text line with
    # five fields parses as an ARC header: pin the format the file starts with instead.
    if fmt is not None:
        it.known_format = fmt
    return it


def _buffer_record(
    it: ArchiveIterator, record: ArcWarcRecord, path: str, parse_http: bool, base: int
) -> RecordRef:
    """Read the record to its end into a spool, check it is complete, and wrap it."""
    start = it.offset
    _validate(record, start)
    spool = _new_spool()
    stream = record.raw_stream
    while True:
        buf = stream.read(_CHUNK)
        if not buf:
            break
        spool.write(buf)
    missing = getattr(stream, "limit", 0)
    if missing and missing > 0:
        spool.close()
        declared = record.length
        raise _Damaged(
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


def _validate(record: ArcWarcRecord, offset: int) -> None:
    if not record.rec_type:
        raise _Damaged(offset, "record without WARC-Type")
    length = record.rec_headers.get_header("Content-Length")
    if length is None or not length.strip().isdigit():
        raise _Damaged(offset, f"record with an invalid Content-Length: {length!r}")


def _new_spool() -> IO[bytes]:
    """A temporary buffer: memory up to 1 MiB, then a file; the caller closes it."""
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX)


def _copy_slice(fh: BinaryIO, length: int) -> IO[bytes]:
    spool = _new_spool()
    remaining = length
    while remaining > 0:
        buf = fh.read(min(_CHUNK, remaining))
        if not buf:
            break
        spool.write(buf)
        remaining -= len(buf)
    spool.seek(0)
    return spool


def _find_gzip_magic(buf: bytes, start: int) -> int | None:
    i = buf.find(GZIP_MAGIC, start)
    return None if i < 0 else i


def _line_finder(pattern: re.Pattern[bytes]):
    def find(buf: bytes, start: int) -> int | None:
        m = pattern.search(buf, start)
        return None if m is None else m.start(1)

    return find


_find_warc_line = _line_finder(_WARC_LINE)
_find_arc_line = _line_finder(_ARC_LINE)


def _scan(fh: BinaryIO, start: int, size: int, find) -> int | None:
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
