"""The fast path's record: WARC headers parsed here, warcio's record built only on demand."""

from __future__ import annotations

from io import BytesIO

from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders

from ._headers import Member, split_block
from ._types import RecordRef, Unread

_WARC_STARTS = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
_HTTP_RECORDS = frozenset(ArcWarcRecordLoader.HTTP_RECORDS)
_HTTP_SCHEMES = tuple(ArcWarcRecordLoader.HTTP_SCHEMES)


class MemberRef(RecordRef):
    """A record of the fast path, whose WARC headers were parsed here in one piece.

    warcio's record is built from the same bytes by the same loader, but only when
    ``record`` is asked for: ``rec_type``, ``header()``, ``http_headers`` and
    ``read_content()`` do without it (what an export reads of most records). The record
    must be one that warcio parses the same way, and complete: :meth:`parse` takes only a
    WARC/1.0 or 1.1 record whose header block :func:`split_block` takes, with a WARC-Type,
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
    ) -> MemberRef | None:
        """The record of an inflated member (``complete``), or of the start of one (its
        headers only: the block is then left unread); None when not sure (see above)."""
        if not data.startswith(_WARC_STARTS):
            return None
        parsed = split_block(data, 0, len(data))
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
            stream = Member(self._data)
            record = self._loader.parse_record_stream(
                stream, None, "warc", not self._parse_http, False
            )
            if self.block_read:
                record.raw_stream = BytesIO(record.raw_stream.read())
            else:
                record.raw_stream = Unread()
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
            stream = Member(self._data)
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
