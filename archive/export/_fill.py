"""Filling a :class:`Document`: from the archive's ``metadata`` and ``conversion`` records
(:func:`apply_metadata`, :func:`apply_conversion`), or from a fresh analysis of its HTML
(:func:`apply_analysis`); and reading those records' blocks (:func:`parse_metadata`,
:func:`split_conversion`).
"""

from __future__ import annotations

import contextlib
import json
from datetime import date
from typing import TYPE_CHECKING, Any

from archive.analysis import EARLIEST
from archive.extraction import LinksWanted

from ._documents import Document, Rank, parse_warc_datetime

if TYPE_CHECKING:  # trafilatura is imported only where pages are analysed
    from archive.extraction import ExtractionOptions, PageAnalysis

__all__ = [
    "APPLIED_FIELDS",
    "apply_analysis",
    "apply_conversion",
    "apply_metadata",
    "parse_metadata",
    "split_conversion",
]

#: The metadata fields :func:`apply_metadata` reads (all a document needs from the record).
APPLIED_FIELDS = frozenset(
    (
        "title",
        "author",
        "date",
        "sitename",
        "languages",
        "links",
        "extractor",
        "status",
        "change",
        "previous-capture",
    )
)


def parse_published(value: Any) -> date | None:
    """trafilatura's ``YYYY-MM-DD`` (or a longer ISO form) as a date; None otherwise."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    with contextlib.suppress(ValueError):
        return date.fromisoformat(value[:10])
    return None


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
        fields[name] = _json_or_text(value)
    return fields


def _json_or_text(value: str) -> Any:
    """``json.loads(value)``, or ``value`` itself when it is not JSON; for a ``value`` with
    no surrounding whitespace (stripped), where the decoder's own ``raw_decode`` gives the
    same result without ``json.loads``'s layers of calls."""
    try:
        parsed, end = _DECODER.raw_decode(value)
    except ValueError:
        return value
    return parsed if end == len(value) else value


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
    change = fields.get("change")
    doc.change = (_str(change.get("kind")) or None) if isinstance(change, dict) else None
    previous = fields.get("previous-capture")
    date = previous.get("date") if isinstance(previous, dict) else None
    doc.previous_timestamp = parse_warc_datetime(date) if isinstance(date, str) else None


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
    """Fill ``doc`` from a fresh :func:`archive.extraction.analyse_pages` result."""
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
    doc.meta_rank = doc.conv_rank = (EARLIEST, -1, -1)  # any archived record is preferred


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
