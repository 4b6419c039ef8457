"""One exported document: a captured response joined with what extraction said about it.

A :class:`Document` is built from the response record (URL, date, status, MIME type, payload
digest, where the record lies) and then filled (:mod:`._fill`) either from the archive's
``metadata`` + ``conversion`` records or from a fresh analysis of the HTML. Everything here is
picklable: documents travel between worker processes and the exporting process.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from archive.analysis import parse_warc_date

__all__ = ["Document", "Rank", "parse_warc_datetime"]

#: Which of two sources about one response is newer: (WARC-Date, task index, position).
Rank = tuple[datetime, int, int]

HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse_warc_datetime(value: str | None) -> datetime | None:
    """A WARC-Date (``2024-05-01T10:00:00Z``, with or without fractions) as aware UTC."""
    parsed = parse_warc_date(value, None)  # type: ignore[arg-type]
    return None if parsed is None else parsed.astimezone(UTC)


@dataclass(slots=True)
class Document:
    """A response and its clean text; the export schema plus what the pipeline needs."""

    # the capture
    url: str
    timestamp: datetime | None
    status: int | None
    mime: str
    content_digest: str | None
    warc_filename: str
    warc_offset: int
    warc_length: int
    response_id: str
    # from extraction
    title: str = ""
    author: str = ""
    published: date | None = None
    sitename: str = ""
    languages: list[str] = field(default_factory=list)
    language_shares: list[float] = field(default_factory=list)
    language_codes: list[str] = field(default_factory=list)  # ISO 639-3, for WET
    text: str = ""
    extractor: str = ""
    extractor_version: str = ""
    links: list[dict[str, str]] = field(default_factory=list)  # every link: url, region, text
    # from a recrawl: the capture's change kind and the time of the capture it follows
    change: str | None = None
    previous_timestamp: datetime | None = None
    # pipeline bookkeeping (not exported)
    source: str = ""  # "archive" (metadata/conversion records) or "extracted"
    metadata: dict[str, Any] | None = None  # full metadata fields (re-extraction writes them)
    meta_rank: Rank | None = None
    conv_rank: Rank | None = None
    text_hash: bytes = b""
    minhash: Any = None  # numpy array of MinHash values, with --dedup near

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pickled by field values, in order: faster than the slots default (documents
        # are pickled into the shards, and again on their way to the exporting process).
        # The UTC datetimes (capture times, ranks) go without their tzinfo, whose pickling
        # costs more than the rest of the date, and get it back in _unpickle_document.
        values = list(_GET_FIELDS(self))
        flags = 0
        stamp = self.timestamp
        if stamp is not None and stamp.tzinfo is UTC:
            values[_TIMESTAMP] = stamp.replace(tzinfo=None)
            flags |= 1
        previous = self.previous_timestamp
        if previous is not None and previous.tzinfo is UTC:
            values[_PREVIOUS] = previous.replace(tzinfo=None)
            flags |= 8
        for bit, at in ((2, _META_RANK), (4, _CONV_RANK)):
            rank = values[at]
            if rank is not None and rank[0].tzinfo is UTC:
                values[at] = (rank[0].replace(tzinfo=None), rank[1], rank[2])
                flags |= bit
        return (_unpickle_document, (flags, *values))

    @property
    def word_count(self) -> int:
        """Words of the text (:func:`archive.languages.word_count`: CJK by character)."""
        from archive.languages import word_count  # the script tables, loaded when asked

        return word_count(self.text)

    @property
    def related_links(self) -> list[dict[str, str]]:
        links = self.links
        return [{"url": x["url"], "text": x["text"]} for x in links if x["region"] == "related"]

    @property
    def host(self) -> str:
        rest = self.url.partition("://")[2]
        host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
        if host.startswith("["):
            return host.split("]", 1)[0][1:].lower()
        return host.rsplit(":", 1)[0].lower() if ":" in host else host.lower()

    @property
    def is_html(self) -> bool:
        return self.mime in HTML_TYPES

    @property
    def unanalysed(self) -> bool:
        """An HTML page with a 2xx status (what a crawl analyses) that has no analysis: its
        records were cut off or never written, and it was not analysed here."""
        ok = self.status is None or 200 <= self.status < 300
        analysed = self.meta_rank or self.conv_rank or self.source == "extracted"
        return self.is_html and ok and not analysed

    def export_row(self) -> dict[str, Any]:
        """The exported fields, in schema order (Python types: datetime, date, lists)."""
        return {
            "url": self.url,
            "timestamp": self.timestamp,
            "status": self.status,
            "mime": self.mime,
            "title": self.title,
            "author": self.author or None,
            "published": self.published,
            "sitename": self.sitename or None,
            "languages": list(self.languages),
            "language_shares": list(self.language_shares),
            "text": self.text,
            "word_count": self.word_count,
            "content_digest": self.content_digest,
            "warc_filename": self.warc_filename,
            "warc_offset": self.warc_offset,
            "warc_length": self.warc_length,
            "extractor": self.extractor or None,
            "extractor_version": self.extractor_version or None,
            "related_links": self.related_links,
            "change": self.change,
            "previous_timestamp": self.previous_timestamp,
        }


_FIELD_NAMES = tuple(f.name for f in fields(Document))
_GET_FIELDS = attrgetter(*_FIELD_NAMES)  # a document's field values, as a tuple
_TIMESTAMP = _FIELD_NAMES.index("timestamp")
_PREVIOUS = _FIELD_NAMES.index("previous_timestamp")
_META_RANK = _FIELD_NAMES.index("meta_rank")
_CONV_RANK = _FIELD_NAMES.index("conv_rank")


def _unpickle_document(flags: int, *values: Any) -> Document:
    """A document from ``Document.__reduce__``: its UTC datetimes given their tzinfo back."""
    doc = Document(*values)
    if flags & 1:
        doc.timestamp = doc.timestamp.replace(tzinfo=UTC)  # type: ignore[union-attr]
    if flags & 8:
        doc.previous_timestamp = doc.previous_timestamp.replace(tzinfo=UTC)  # type: ignore[union-attr]
    if flags & 2:
        rank = doc.meta_rank
        doc.meta_rank = (rank[0].replace(tzinfo=UTC), rank[1], rank[2])  # type: ignore[index]
    if flags & 4:
        rank = doc.conv_rank
        doc.conv_rank = (rank[0].replace(tzinfo=UTC), rank[1], rank[2])  # type: ignore[index]
    return doc
