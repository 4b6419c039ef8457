"""Blocks left unread: a :class:`BlockSkipper` names, from a CDXJ index, the gzip members
whose records may be read as far as their headers only, when the file agrees with the
index there; :func:`skipped_member` reads such a record's headers and nothing more."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping

from warcio.recordloader import ArcWarcRecordLoader

from ._buffer import GZIP_MAGIC, sniff_format, validate
from ._fast import Window
from ._headers import Member
from ._lazy import MemberRef
from ._types import RecordRef, Unread

_HEAD_IN = 768  # compressed bytes of a skipped member inflated at first (then twice more)
_HEAD_OUT = 1 << 16  # its headers must end within this much inflated


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


def skipped_member(
    window: Window,
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
        ref = MemberRef.parse(head, loader, parse_http, path, pos, length, complete=False)
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
    stream = Member(head)
    fmt = sniff_format(stream) or fmt_hint
    try:
        record = loader.parse_record_stream(stream, None, fmt, not parse_http, False)
        validate(record, pos)
    except Exception:
        return None
    # headers ended before what is inflated ends: they are all there
    if stream.tell() >= len(head):
        return None
    record.raw_stream = Unread()
    return RecordRef(
        record=record,
        path=path,
        offset=pos,
        length=length,
        format="arc" if fmt == "arc" else "warc",
        block_read=False,
    )
