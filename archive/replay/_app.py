"""The replay WSGI application: routing, and the home, timegate, CDX and timemap handlers.

URL scheme (relative to where the app is mounted):

``/``                             captured pages; ``?prefix=&lang=&all=1&cursor=``
``/<ts>/<url>``                   the archived page, rewritten to stay in the archive
``/<ts>id_/<url>``                the stored payload, byte for byte
``/<url>``                        timegate: redirect to the capture nearest to
                                  ``Accept-Datetime`` (or the newest)
``/reader/<ts>/<url>``            text, metadata, languages, typed links, other captures
``/diff?url=&a=<ts>&b=<ts>``      text diff of two captures
``/cdx?url=...``                  CDX server (see :mod:`._cdx`)
``/timemap/link/<url>``           Memento timemap (``/timemap/json/<url>``: JSON lines)
``/<path>`` from a replayed page  a script's root-relative request (``fetch("/api.json")``),
                                  by its Referer: redirected to ``/<ts>/<page origin>/<path>``

The archived page itself is served by :mod:`._page`, the reader and diff views by
:mod:`._reader`; responses and request parsing live in :mod:`._http`. Memento (RFC 7089)
timemaps in link format and the headers of a replayed memento are made here.
"""

from __future__ import annotations

import email.utils
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from warcio.timeutils import timestamp_to_http_date

from archive.collection import CaptureError, Collection
from archive.index import IndexEntry
from archive.languages import iso639_3

from . import _views
from ._cdx import CdxQuery, format_entries, key_prefix_for, run_query
from ._http import (
    TS_SEGMENT,
    Environ,
    ReplayError,
    Response,
    StartResponse,
    archived_url,
    base_url,
    close,
    error,
    html,
    latin1_safe,
    looks_like_url,
    one,
    params,
    redirect,
    request_target,
)
from ._page import HTML_TYPES, raw_response, rewritten_response
from ._reader import diff_view, reader_view

__all__ = ["ReplayApp", "make_app"]

logger = logging.getLogger(__name__)

_KNOWN_MODS = ("", "id_", "mp_", "if_", "fw_", "im_", "js_", "cs_", "oe_")
_HOME_ROWS = 50
_HOME_SCAN = 200_000


def make_app(
    collection: Collection | str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> ReplayApp:
    """The WSGI application replaying ``collection`` (a :class:`Collection`, or a path
    :meth:`Collection.open` accepts; it must have an index).

    ``cache_dir`` is where the side index of metadata/conversion records goes when the
    collection's own directory is not writable.
    """
    cache = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "warcloom" / "replay"
    if not isinstance(collection, Collection):
        collection = Collection.open(collection, need_index=True)
    if collection.cache_dir is None:
        collection.cache_dir = cache
    return ReplayApp(collection)


class ReplayApp:
    """WSGI callable. Built apart from any server: serve it with waitress, gunicorn, ..."""

    def __init__(self, collection: Collection) -> None:
        self.coll = collection

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        prefix = environ.get("SCRIPT_NAME", "").rstrip("/")
        try:
            resp = self._dispatch(environ, prefix)
        except (ReplayError, CaptureError) as exc:
            resp = error(prefix, exc.status, exc.reason)
        except Exception as exc:  # never let one request take the server down
            logger.exception("replay failed for %s", environ.get("PATH_INFO"))
            resp = error(prefix, 500, f"internal error: {type(exc).__name__}: {exc}")
        status_line = f"{resp.status} {resp.reason}".strip()
        headers = [(k, latin1_safe(v)) for k, v in resp.headers]
        start_response(status_line, headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            close(resp.body)
            return [b""]
        if isinstance(resp.body, bytes):
            return [resp.body]
        return resp.body

    def _dispatch(self, environ: Environ, prefix: str) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return error(prefix, 405, f"{method} is not supported: the archive is read-only")
        path, query = request_target(environ, prefix)
        if path in ("", "/"):
            return self._home(prefix, params(query))
        if path == "/cdx":
            return self._cdx(params(query))
        if path == "/diff":
            return diff_view(self.coll, prefix, params(query))
        rest = path[1:] + (f"?{query}" if query else "")
        if rest.startswith("timemap/link/"):
            return self._timemap(environ, prefix, rest[len("timemap/link/") :])
        if rest.startswith("timemap/json/"):
            return self._timemap_json(rest[len("timemap/json/") :])
        if rest.startswith("reader/"):
            return reader_view(self.coll, prefix, rest[len("reader/") :])
        first, sep, remainder = rest.partition("/")
        m = TS_SEGMENT.match(first)
        if m and sep:
            ts, mod = m.group(1), m.group(2) or ""
            if mod not in _KNOWN_MODS:
                raise ReplayError(400, f"unknown modifier {mod!r} in {first!r}")
            return self._replay(environ, prefix, ts, mod, archived_url(remainder))
        if first[:1].isdigit() and sep and not looks_like_url(rest):
            raise ReplayError(400, f"malformed timestamp {first!r}: expected 1 to 14 digits")
        if looks_like_url(rest):
            return self._timegate(environ, prefix, archived_url(rest))
        referred = _referred(environ, prefix, rest)
        if referred is not None:
            return redirect(referred)
        return error(prefix, 404, f"no such page in the archive interface: {path}")

    def _home(self, prefix: str, fields: dict[str, list[str]]) -> Response:
        url_prefix = one(fields, "prefix")
        lang = one(fields, "lang").strip()
        code = (iso639_3(lang) or lang.lower()) if lang else ""
        show_all = one(fields, "all") == "1"
        cursor = one(fields, "cursor")
        key = key_prefix_for(url_prefix) if url_prefix else ""
        rows: list[IndexEntry] = []
        next_cursor = None
        scanned = 0
        scanned_out = False
        for entry in self.coll.iter_prefix(key, cursor):
            scanned += 1
            if len(rows) >= _HOME_ROWS or scanned > _HOME_SCAN:
                next_cursor = f"{entry.urlkey} {entry.timestamp}"
                scanned_out = scanned > _HOME_SCAN
                break
            f = entry.fields
            if not show_all and (
                f.get("mime") not in HTML_TYPES
                or not str(f.get("status", "200")).startswith("2")
                or entry.urlkey.startswith("urn:")  # a rendered DOM, not a page
            ):
                continue
            if code and code not in str(f.get("languages", "")).split(","):
                continue
            rows.append(entry)
        page = _views.home_page(prefix, rows, url_prefix, lang, show_all, next_cursor, scanned_out)
        return html(200, page)

    def _replay(self, environ: Environ, prefix: str, ts: str, mod: str, url: str) -> Response:
        entries = self.coll.captures(url, ts)
        if not entries:
            return html(404, _views.not_archived_page(prefix, url, ts))
        entry = entries[0]
        if entry.timestamp != ts:
            return redirect(f"{prefix}/{entry.timestamp}{mod}/{url}")
        capture = self.coll.load(entry)
        memento = memento_headers(base_url(environ, prefix), url, entry.timestamp)
        if mod == "id_":
            return raw_response(prefix, capture, url, memento)
        return rewritten_response(prefix, capture, url, memento)

    def _timegate(self, environ: Environ, prefix: str, url: str) -> Response:
        wanted = environ.get("HTTP_ACCEPT_DATETIME")
        ts = None
        if wanted:
            try:
                parsed = email.utils.parsedate_to_datetime(wanted)
            except (TypeError, ValueError):
                raise ReplayError(400, f"invalid Accept-Datetime {wanted!r}") from None
            ts = parsed.strftime("%Y%m%d%H%M%S")
        entry = self.coll.nearest(url, ts)
        if entry is None:
            return html(404, _views.not_archived_page(prefix, url, ts or ""))
        resp = redirect(f"{prefix}/{entry.timestamp}/{url}")
        resp.headers.append(("Vary", "accept-datetime"))
        return resp

    def _cdx(self, fields: dict[str, list[str]]) -> Response:
        query = CdxQuery.from_params(fields)
        entries = run_query(self.coll, query)
        if query.output == "link":
            body = link_timemap("", query.url, entries)
            return Response(200, [("Content-Type", "application/link-format")], body.encode())
        ctype, body = format_entries(entries, query)
        return Response(200, [("Content-Type", ctype)], body.encode("utf-8"))

    def _timemap(self, environ: Environ, prefix: str, rest: str) -> Response:
        url = archived_url(rest)
        entries = self.coll.captures(url)
        if not entries:
            return html(404, _views.not_archived_page(prefix, url, ""))
        body = link_timemap(base_url(environ, prefix), url, entries)
        return Response(200, [("Content-Type", "application/link-format")], body.encode())

    def _timemap_json(self, rest: str) -> Response:
        url = archived_url(rest)
        query = CdxQuery(url=url, output="json")
        entries = self.coll.captures(url)
        ctype, body = format_entries(entries, query)
        status = 200 if entries else 404
        return Response(status, [("Content-Type", ctype)], body.encode("utf-8"))


def _referred(environ: Environ, prefix: str, rest: str) -> str | None:
    """Where a replayed page's own request for a root-relative URL (a script's
    ``fetch("/api/story.json")``, which the rewriting cannot reach) is in the archive: the
    same path on the page's archived origin, at the page's timestamp, when the Referer is a
    page replayed here (as pywb does); None otherwise."""
    referer = urlsplit(environ.get("HTTP_REFERER", ""))
    if not referer.netloc or referer.netloc != environ.get("HTTP_HOST"):
        return None
    path = referer.path
    if prefix:
        if not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :]
    first, sep, page = path[1:].partition("/")
    m = TS_SEGMENT.match(first)
    if not (m and sep and looks_like_url(page)):
        return None
    if referer.query:
        page += f"?{referer.query}"
    try:
        target = urljoin(archived_url(page), "/" + rest)
    except ReplayError:
        return None
    return f"{prefix}/{first}/{target}"


# -- Memento: timemaps in link format, the headers of a replayed memento -----------------

_SAFE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in '<>"')


def _uri(value: str) -> str:
    """A URI safe inside ``<...>`` of a Link header (ASCII, no angle brackets)."""
    return quote(value, safe=_SAFE)


def link_timemap(base: str, url: str, entries: list[IndexEntry]) -> str:
    """``application/link-format`` timemap of ``url`` (``base``: the app's absolute root)."""
    base = base.rstrip("/")
    lines = [
        f'<{_uri(f"{base}/timemap/link/{url}")}>; rel="self"; type="application/link-format"',
        f'<{_uri(url)}>; rel="original"',
        f'<{_uri(f"{base}/{url}")}>; rel="timegate"',
    ]
    for i, entry in enumerate(entries):
        rel = "memento"
        if i == 0:
            rel = "first memento"
        if i == len(entries) - 1:
            rel = "last memento" if len(entries) > 1 else "first last memento"
        date = timestamp_to_http_date(entry.timestamp)
        lines.append(f'<{_uri(f"{base}/{entry.timestamp}/{url}")}>; rel="{rel}"; datetime="{date}"')
    return ",\n".join(lines) + "\n"


def memento_headers(base: str, url: str, timestamp: str) -> list[tuple[str, str]]:
    base = base.rstrip("/")
    link = ", ".join(
        (
            f'<{_uri(url)}>; rel="original"',
            f'<{_uri(f"{base}/{url}")}>; rel="timegate"',
            f'<{_uri(f"{base}/timemap/link/{url}")}>; rel="timemap"; '
            'type="application/link-format"',
        )
    )
    return [("Memento-Datetime", timestamp_to_http_date(timestamp)), ("Link", link)]
