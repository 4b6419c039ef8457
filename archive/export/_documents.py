"""One exported document: a captured response joined with what extraction said about it.

A :class:`Document` is built from the response record (URL, date, status, MIME type, payload
digest, where the record lies) and then filled either from the archive's ``metadata`` +
``conversion`` records (:func:`apply_metadata`, :func:`apply_conversion`) or from a fresh
analysis of the HTML (:func:`apply_analysis`). Everything here is picklable: documents travel
between worker processes and the exporting process.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # trafilatura is imported only where pages are analysed
    from archive.extraction import ExtractionOptions, PageAnalysis

__all__ = ["Document", "LinksWanted", "Rank", "parse_metadata", "parse_warc_datetime"]

#: Which links of a metadata record a scan parses: every one (for ``--links``), the
#: related-reading ones (the ``related_links`` column), or none.
LinksWanted = Literal["all", "related", "none"]

#: Which of two sources about one response is newer: (WARC-Date, task index, position).
Rank = tuple[datetime, int, int]
LOWEST_DATE = datetime.min.replace(tzinfo=UTC)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse_warc_datetime(value: str | None) -> datetime | None:
    """A WARC-Date (``2024-05-01T10:00:00Z``, with or without fractions) as aware UTC."""
    if not value:
        return None
    with contextlib.suppress(ValueError):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def parse_published(value: Any) -> date | None:
    """trafilatura's ``YYYY-MM-DD`` (or a longer ISO form) as a date; None otherwise."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    with contextlib.suppress(ValueError):
        return date.fromisoformat(value[:10])
    return None


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
        # The UTC datetimes (capture time, ranks) go without their tzinfo, whose pickling
        # costs more than the rest of the date, and get it back in _unpickle_document.
        values = [getattr(self, name) for name in _FIELD_NAMES]
        flags = 0
        stamp = self.timestamp
        if stamp is not None and stamp.tzinfo is UTC:
            values[_TIMESTAMP] = stamp.replace(tzinfo=None)
            flags |= 1
        for bit, at in ((2, _META_RANK), (4, _CONV_RANK)):
            rank = values[at]
            if rank is not None and rank[0].tzinfo is UTC:
                values[at] = (rank[0].replace(tzinfo=None), rank[1], rank[2])
                flags |= bit
        return (_unpickle_document, (flags, *values))

    @property
    def word_count(self) -> int:
        return len(self.text.split())

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
        }


#: The metadata fields :func:`apply_metadata` reads (all a document needs from the record).
APPLIED_FIELDS = frozenset(
    ("title", "author", "date", "sitename", "languages", "links", "extractor", "status")
)


_FIELD_NAMES = tuple(f.name for f in fields(Document))
_TIMESTAMP = _FIELD_NAMES.index("timestamp")
_META_RANK = _FIELD_NAMES.index("meta_rank")
_CONV_RANK = _FIELD_NAMES.index("conv_rank")


def _unpickle_document(flags: int, *values: Any) -> Document:
    """A document from ``Document.__reduce__``: its UTC datetimes given their tzinfo back."""
    doc = Document(*values)
    if flags & 1:
        doc.timestamp = doc.timestamp.replace(tzinfo=UTC)  # type: ignore[union-attr]
    if flags & 2:
        rank = doc.meta_rank
        doc.meta_rank = (rank[0].replace(tzinfo=UTC), rank[1], rank[2])  # type: ignore[index]
    if flags & 4:
        rank = doc.conv_rank
        doc.conv_rank = (rank[0].replace(tzinfo=UTC), rank[1], rank[2])  # type: ignore[index]
    return doc


def parse_metadata(
    block: bytes, links: LinksWanted = "all", only: frozenset[str] | None = None
) -> dict[str, Any]:
    """A metadata block's fields, as :func:`archive.records.parse_warc_fields` reads them,
    except that ``links`` (most of the block: every link of the page) holds only the links
    asked for, and that with ``only`` the other fields are left out (not decoded). Values
    that are not JSON are kept as text."""
    fields: dict[str, Any] = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip()
        if only is not None and name not in only:
            continue
        value = value.strip()
        if name == "links" and links != "all":
            fields[name] = [] if links == "none" else _related_links(value)
            continue
        try:
            fields[name] = json.loads(value)
        except ValueError:
            fields[name] = value
    return fields


_LINK_START = '{"url": '
_RELATED = '"region": "related"'


def _related_links(value: str) -> Any:
    """The ``region: related`` items of a ``links`` value, without parsing the others.

    ``archive.records.warc_fields`` writes each link as ``{"url": ..., "region": ...,
    "text": ...}`` with ``", "``/``": "`` separators. Outside a JSON string a ``"`` is never
    escaped and inside one it always is, so in that layout ``"region": "related"`` occurs
    only as the member of a related link, and the nearest ``{"url": `` before it starts that
    link. Only those items are decoded. Anything else (another layout, bad JSON, an item
    that is not what the match said) is parsed whole, as before, and filtered.
    """
    if value.startswith("[" + _LINK_START):
        decode = _DECODER.raw_decode
        found = []
        pos = 0
        try:
            while (hit := value.find(_RELATED, pos)) >= 0:
                start = value.rfind(_LINK_START, pos, hit)
                if start < 0:
                    raise ValueError("no link start")
                item, end = decode(value, start)
                if end <= hit or not isinstance(item, dict) or item.get("region") != "related":
                    raise ValueError("not a related link")
                found.append(item)
                pos = end
            return found
        except ValueError:
            pass
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    if not isinstance(parsed, list):
        return parsed
    return [x for x in parsed if isinstance(x, dict) and x.get("region") == "related"]


_DECODER = json.JSONDecoder()


def apply_metadata(doc: Document, fields: dict[str, Any], rank: Rank) -> None:
    """Fill ``doc`` from a metadata record's fields (``archive.records.parse_warc_fields``)."""
    doc.meta_rank = rank
    doc.metadata = fields
    doc.source = "archive"
    doc.title = _str(fields.get("title")) or doc.title
    doc.author = _str(fields.get("author"))
    doc.published = parse_published(fields.get("date"))
    doc.sitename = _str(fields.get("sitename"))
    doc.languages, doc.language_shares, doc.language_codes = _languages(fields.get("languages"))
    doc.links = _links(fields.get("links"))
    extractor = fields.get("extractor")
    if isinstance(extractor, dict):
        doc.extractor = _str(extractor.get("name"))
        doc.extractor_version = _str(extractor.get("version"))
    status = fields.get("status")
    if doc.status is None and isinstance(status, int):
        doc.status = status


def apply_conversion(doc: Document, title: str, text: str, rank: Rank) -> None:
    doc.conv_rank = rank
    doc.source = "archive"
    if title and not doc.title:
        doc.title = title
    doc.text = text


def split_conversion(block: bytes) -> tuple[str, str]:
    """A conversion block (title, blank line, text) as (title, text)."""
    content = block.decode("utf-8", "replace")
    title, sep, text = content.partition("\n\n")
    if not sep:
        return "", content
    return title.strip(), text


def apply_analysis(doc: Document, analysis: PageAnalysis, options: ExtractionOptions) -> None:
    """Fill ``doc`` from a fresh :func:`archive.extraction.analyse_html` result."""
    from archive.extraction import extractor_info

    info = extractor_info(options)
    doc.source = "extracted"
    doc.title = analysis.title
    doc.author = analysis.author
    doc.published = parse_published(analysis.date)
    doc.sitename = analysis.sitename
    doc.text = analysis.text
    if analysis.languages is not None and analysis.text:
        doc.languages = [s.tag for s in analysis.languages.languages]
        doc.language_shares = [s.share for s in analysis.languages.languages]
        doc.language_codes = analysis.languages.iso639_3()
    doc.links = [link.to_json() for link in analysis.links]
    doc.extractor = info["name"]
    doc.extractor_version = info["version"]
    doc.metadata = {"status": doc.status, "extractor": info, **analysis.metadata_fields()}
    doc.meta_rank = doc.conv_rank = (LOWEST_DATE, -1, -1)  # any archived record is preferred


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _languages(value: Any) -> tuple[list[str], list[float], list[str]]:
    """Tags, shares and distinct ISO 639-3 codes, most text first."""
    if not isinstance(value, list):
        return [], [], []
    rows: list[tuple[str, float, str]] = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("tag"), str):
            share = item.get("share")
            code = item.get("code")
            rows.append(
                (
                    item["tag"],
                    float(share) if isinstance(share, int | float) else 0.0,
                    code if isinstance(code, str) else "",
                )
            )
    rows.sort(key=lambda r: -r[1])  # stable: equal shares keep their order
    codes = list(dict.fromkeys(c for _, _, c in rows if c))
    return [t for t, _, _ in rows], [s for _, s, _ in rows], codes


def _links(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            out.append(
                {
                    "url": item["url"],
                    "region": _str(item.get("region")) or "other",
                    "text": _str(item.get("text")),
                }
            )
    return out
