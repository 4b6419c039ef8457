"""WARC and HTTP header blocks parsed in one piece from an inflated gzip member.

:func:`split_block` splits a block the way warcio's parser reads it line by line (when
that is certain); :func:`fast_loader` is warcio's record loader with a parser that uses it
on a :class:`Member`, and warcio's own line-by-line parse for anything else. Used by the
fast path, the lazy records and the block skipper."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser


class Member(BytesIO):
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
            if isinstance(inner, Member):
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
        parsed = split_block(data, pos, stop)
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


def split_block(
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


def fast_loader() -> ArcWarcRecordLoader:
    """warcio's loader as ArchiveIterator sets it up (see ``_buffer.make_iterator``), with the
    block-at-once header parser."""
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=True)
    loader.warc_parser = _HeaderParser(loader.WARC_TYPES)
    loader.http_parser = _HeaderParser(loader.HTTP_TYPES, False)
    loader.http_req_parser = _HeaderParser(loader.HTTP_VERBS, False)
    return loader
