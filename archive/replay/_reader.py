"""The reader and diff views: a capture's metadata and text (from its metadata and conversion
records, else extracted from the payload at replay), its typed links with their newest
captures, the versions of the page (every capture, with the change kind its metadata record
gives), and the text diff of two captures.

A revisit has no text of its own: it shows the text of the capture whose payload it repeats
(:attr:`Capture.original_id`), with its own change kind and status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archive.collection import Capture, CaptureError, Collection
from archive.index import IndexEntry

from . import _views
from ._http import TS_SEGMENT, ReplayError, Response, archived_url, charset_of, html, one, redirect
from ._page import HTML_TYPES, MAX_REWRITE
from ._rewrite import sniff_charset

__all__ = ["diff_view", "reader_data", "reader_view"]

_MAX_LINKS = 600
_MAX_VERSIONS = 200  # captures whose change kind is looked up (the newest ones)
_LINK_ORDER = {"related": 0, "body": 1, "navigation": 2}


def reader_view(coll: Collection, prefix: str, rest: str) -> Response:
    """``/reader/<ts>/<url>``: ``rest`` is what follows ``reader/``."""
    first, sep, remainder = rest.partition("/")
    m = TS_SEGMENT.match(first)
    if not (m and sep) or m.group(2):
        raise ReplayError(400, "malformed reader URL: expected /reader/<timestamp>/<url>")
    ts, url = m.group(1), archived_url(remainder)
    entries = coll.captures(url, ts)
    if not entries:
        return html(404, _views.not_archived_page(prefix, url, ts))
    if entries[0].timestamp != ts:
        return redirect(f"{prefix}/reader/{entries[0].timestamp}/{url}")
    data = reader_data(coll, url, entries[0])
    links = list(_typed_links(coll, data.meta.get("links")))
    captures = sorted(entries, key=lambda x: x.timestamp)
    return html(200, _views.reader_page(prefix, data, links, _versions(coll, captures)))


def diff_view(coll: Collection, prefix: str, params: dict[str, list[str]]) -> Response:
    """``/diff?url=&a=<ts>&b=<ts>``: the text of the captures nearest to ``a`` and ``b``."""
    url = archived_url(one(params, "url"))
    a, b = one(params, "a"), one(params, "b")
    for ts in (a, b):
        if not (ts.isdigit() and len(ts) <= 14):
            raise ReplayError(400, f"malformed timestamp {ts!r}: expected 1 to 14 digits")
    if not coll.captures(url):
        return html(404, _views.not_archived_page(prefix, url, ""))
    old, new = (reader_data(coll, url, coll.captures(url, ts)[0]) for ts in (a, b))
    return html(200, _views.diff_page(prefix, url, old, new))


def reader_data(coll: Collection, url: str, entry: IndexEntry) -> _views.ReaderData:
    """Metadata and text of one capture: from its metadata/conversion records, else
    extracted from the payload now (captures from other tools)."""
    data = _views.ReaderData(url=url, entry=entry, title=entry.fields.get("title", ""))
    capture = coll.load(entry)
    try:
        analysis = coll.analysis(entry.url, capture.record_id)
        data.meta = analysis.metadata
        data.notes += analysis.problems
        source = "conversion record"
        if capture.original is not None and capture.original_id:
            # a revisit: the analysis of the payload is the original's; the revisit's own
            # metadata record (status, change, previous capture) has the last word
            original = coll.analysis(capture.original.url, capture.original_id)
            data.notes += original.problems
            data.meta = {**original.metadata, **analysis.metadata}
            analysis = original
            source = (
                f"conversion record of the capture of {_views.when(capture.original.timestamp)}"
                " (this capture is a revisit: the same payload)"
            )
        if analysis.text is not None:
            data.text, data.text_source = analysis.text, source
            data.title = data.title or analysis.title
        if isinstance(data.meta.get("title"), str) and data.meta["title"]:
            data.title = data.meta["title"]
        gone = _views.change_kind(data.meta.get("change")) == "gone"
        if not data.text and capture.mime in HTML_TYPES and not gone:
            _extract_now(capture, data)
    finally:
        capture.close()
    return data


def _versions(coll: Collection, captures: list[IndexEntry]) -> list[_views.Version]:
    """Every capture (oldest first) with the change its own metadata record gives (looked
    up for the newest ``_MAX_VERSIONS``)."""
    versions = [_views.Version(entry) for entry in captures]
    for version in versions[-_MAX_VERSIONS:]:
        entry = version.entry
        try:
            with coll.read(entry, parse_http=False) as ref:
                record_id = ref.header("WARC-Record-ID") or ""
        except CaptureError:
            continue
        if record_id:
            version.change = coll.analysis(entry.url, record_id).metadata.get("change")
    return versions


def _extract_now(capture: Capture, data: _views.ReaderData) -> None:
    try:
        decoded = capture.decode()
    except CaptureError as exc:
        data.notes.append(exc.reason)
        return
    body_file = decoded if decoded is not None else capture.payload
    body = body_file.read(MAX_REWRITE)
    charset = sniff_charset(body, charset_of(capture.content_type))
    try:
        import trafilatura

        text = trafilatura.extract(body.decode(charset, "replace")) or ""
        meta = trafilatura.extract_metadata(body.decode(charset, "replace"))
    except Exception as exc:  # a page trafilatura cannot handle: no text, no crash
        data.notes.append(f"text extraction failed: {exc}")
        return
    data.text = text
    data.text_source = "extracted at replay (no conversion record)"
    if meta is not None:
        for key in ("author", "date", "sitename"):
            value = getattr(meta, key, None)
            if value and key not in data.meta:
                data.meta[key] = value
        if not data.title and meta.title:
            data.title = meta.title


def _typed_links(coll: Collection, links: Any) -> Iterator[tuple[dict[str, Any], str | None]]:
    if not isinstance(links, list):
        return
    items = [x for x in links if isinstance(x, dict) and isinstance(x.get("url"), str)]
    items.sort(key=lambda x: _LINK_ORDER.get(x.get("region"), 3))  # stable
    for link in items[:_MAX_LINKS]:
        found = coll.captures(link["url"])
        yield link, (found[-1].timestamp if found else None)
