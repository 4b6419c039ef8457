"""The replay WSGI application: routes, responses, and the reader view's data.

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
"""

from __future__ import annotations

import email.utils
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from archive.index import IndexEntry, iter_prefix
from archive.records import parse_warc_fields

from . import _views
from ._capture import Capture, iter_file, load_capture, size_of
from ._cdx import CdxQuery, format_entries, run_query
from ._collection import Collection, ReplayError, find_collection, key_prefix_for
from ._rewrite import ArchiveUrls, rewrite_css, rewrite_html, sniff_charset
from ._sideindex import SideIndex
from ._timemap import link_timemap, memento_headers

__all__ = ["ReplayApp", "make_app"]

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

_TS_SEGMENT = re.compile(r"^(\d{1,14})([a-z]{2}_)?$")
_KNOWN_MODS = ("", "id_", "mp_", "if_", "fw_", "im_", "js_", "cs_", "oe_")
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# original headers that would act on the archive's own origin: kept under another name
_RENAMED = frozenset(
    {
        "set-cookie",
        "content-security-policy",
        "content-security-policy-report-only",
        "strict-transport-security",
        "link",
        "refresh",
        "x-frame-options",
        "public-key-pins",
        "alt-svc",
        "clear-site-data",
        "location",
        "memento-datetime",
        "date",
        "server",
    }
)
_CSP = (
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "form-action 'self'; base-uri 'self'"
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_MAX_REWRITE = 32 << 20
_HOME_ROWS = 50
_HOME_SCAN = 200_000
_MAX_LINKS = 600
_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def make_app(
    collection_dir: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> ReplayApp:
    """The WSGI application replaying the collection at ``collection_dir`` (a collection,
    or an output directory holding exactly one under ``collections/``).

    ``cache_dir`` is where the side index of metadata/conversion records goes when the
    collection's ``indexes/`` directory is not writable.
    """
    cache = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "warcloom" / "replay"
    coll = Collection(find_collection(collection_dir))
    return ReplayApp(coll, SideIndex(coll.root, cache))


class _Response:
    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: Iterable[bytes] | bytes,
        reason: str | None = None,
    ) -> None:
        self.status = status
        self.reason = reason or _REASONS.get(status, "")
        self.headers = headers
        self.body = body


class ReplayApp:
    """WSGI callable. Built apart from any server: serve it with waitress, gunicorn, ..."""

    def __init__(self, collection: Collection, side: SideIndex) -> None:
        self.coll = collection
        self.side = side

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        prefix = environ.get("SCRIPT_NAME", "").rstrip("/")
        try:
            resp = self._dispatch(environ, prefix)
        except ReplayError as exc:
            resp = self._error(prefix, exc.status, exc.reason)
        except Exception as exc:  # never let one request take the server down
            logger.exception("replay failed for %s", environ.get("PATH_INFO"))
            resp = self._error(prefix, 500, f"internal error: {type(exc).__name__}: {exc}")
        status_line = f"{resp.status} {resp.reason}".strip()
        headers = [(k, _latin1_safe(v)) for k, v in resp.headers]
        start_response(status_line, headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            _close(resp.body)
            return [b""]
        if isinstance(resp.body, bytes):
            return [resp.body]
        return resp.body

    def _dispatch(self, environ: Environ, prefix: str) -> _Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self._error(prefix, 405, f"{method} is not supported: the archive is read-only")
        path, query = _request_target(environ, prefix)
        if path in ("", "/"):
            return self._home(prefix, _params(query))
        if path == "/cdx":
            return self._cdx(_params(query))
        if path == "/diff":
            return self._diff(prefix, _params(query))
        rest = path[1:] + (f"?{query}" if query else "")
        for name, handler in (
            ("timemap/link/", self._timemap),
            ("timemap/json/", self._timemap_json),
            ("reader/", self._reader_route),
        ):
            if rest.startswith(name):
                return handler(environ, prefix, rest[len(name) :])
        first, sep, remainder = rest.partition("/")
        m = _TS_SEGMENT.match(first)
        if m and sep:
            ts, mod = m.group(1), m.group(2) or ""
            if mod not in _KNOWN_MODS:
                raise ReplayError(400, f"unknown modifier {mod!r} in {first!r}")
            return self._replay(environ, prefix, ts, mod, _archived_url(remainder))
        if first[:1].isdigit() and sep and not _looks_like_url(rest):
            raise ReplayError(400, f"malformed timestamp {first!r}: expected 1 to 14 digits")
        if _looks_like_url(rest):
            return self._timegate(environ, prefix, _archived_url(rest))
        return self._error(prefix, 404, f"no such page in the archive interface: {path}")

    # -- pages -------------------------------------------------------------------

    def _home(self, prefix: str, params: dict[str, list[str]]) -> _Response:
        url_prefix = _one(params, "prefix")
        lang = _one(params, "lang").strip().lower()
        show_all = _one(params, "all") == "1"
        cursor = _one(params, "cursor")
        key = key_prefix_for(url_prefix) if url_prefix else ""
        rows: list[IndexEntry] = []
        next_cursor = None
        scanned = 0
        scanned_out = False
        for entry in iter_prefix(self.coll.index_path, key, cursor):
            scanned += 1
            if len(rows) >= _HOME_ROWS or scanned > _HOME_SCAN:
                next_cursor = f"{entry.urlkey} {entry.timestamp}"
                scanned_out = scanned > _HOME_SCAN
                break
            f = entry.fields
            if not show_all and (
                f.get("mime") not in _PAGE_TYPES or not str(f.get("status", "200")).startswith("2")
            ):
                continue
            if lang and lang not in str(f.get("languages", "")).split(","):
                continue
            rows.append(entry)
        html = _views.home_page(prefix, rows, url_prefix, lang, show_all, next_cursor, scanned_out)
        return _html(200, html)

    def _replay(self, environ: Environ, prefix: str, ts: str, mod: str, url: str) -> _Response:
        entries = self.coll.lookup(url, ts)
        if not entries:
            return _html(404, _views.not_archived_page(prefix, url, ts))
        entry = entries[0]
        if entry.timestamp != ts:
            return _redirect(f"{prefix}/{entry.timestamp}{mod}/{url}")
        capture = load_capture(self.coll, entry)
        base = _base_url(environ, prefix)
        memento = memento_headers(base, url, entry.timestamp)
        if mod == "id_":
            return self._raw(capture, memento)
        return self._rewritten(prefix, capture, url, memento)

    def _raw(self, capture: Capture, memento: list[tuple[str, str]]) -> _Response:
        headers = [(k, v) for k, v in capture.headers if k.lower() not in _HOP_BY_HOP]
        headers.append(("Content-Length", str(size_of(capture.payload))))
        headers += memento
        return _Response(capture.status, headers, iter_file(capture.payload), capture.reason)

    def _rewritten(
        self, prefix: str, capture: Capture, url: str, memento: list[tuple[str, str]]
    ) -> _Response:
        try:
            decoded = capture.decode()
        except ReplayError:
            capture.close()
            raise
        undecodable = bool(capture.content_encoding) and decoded is None
        body_file = decoded if decoded is not None else capture.payload
        urls = ArchiveUrls(prefix, capture.entry.timestamp)
        headers: list[tuple[str, str]] = []
        for name, value in capture.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP or (lower == "content-encoding" and not undecodable):
                continue
            if lower == "location":
                headers.append(("Location", urls(value, url)))
            if lower in _RENAMED:
                headers.append((f"X-Archive-Orig-{name}", value))
                continue
            headers.append((name, value))
        headers.append(("Content-Security-Policy", _CSP))
        headers += memento
        mime = capture.mime
        rewrite = not undecodable and size_of(body_file) <= _MAX_REWRITE
        if rewrite and (mime in _HTML_TYPES or mime == "text/css"):
            data = body_file.read()
            capture.close()
            declared = _charset(capture.content_type) or capture.entry.fields.get("charset")
            charset = sniff_charset(data, declared)
            text = data.decode(charset, "surrogateescape")
            if mime == "text/css":
                text = rewrite_css(text, url, urls)
            else:
                text = rewrite_html(text, url, urls)
            try:
                out = text.encode(charset, "surrogateescape")
            except UnicodeEncodeError:  # a codec without surrogateescape support
                out = data
            headers.append(("Content-Length", str(len(out))))
            return _Response(capture.status, headers, [out], capture.reason)
        if body_file is not capture.payload:
            capture.payload.close()
        headers.append(("Content-Length", str(size_of(body_file))))
        return _Response(capture.status, headers, iter_file(body_file), capture.reason)

    def _timegate(self, environ: Environ, prefix: str, url: str) -> _Response:
        wanted = environ.get("HTTP_ACCEPT_DATETIME")
        ts = None
        if wanted:
            parsed = email.utils.parsedate_to_datetime(wanted) if wanted else None
            if parsed is None:
                raise ReplayError(400, f"invalid Accept-Datetime {wanted!r}")
            ts = parsed.strftime("%Y%m%d%H%M%S")
        entries = self.coll.lookup(url, ts)
        if not entries:
            return _html(404, _views.not_archived_page(prefix, url, ts or ""))
        entry = entries[0] if ts else entries[-1]
        resp = _redirect(f"{prefix}/{entry.timestamp}/{url}")
        resp.headers.append(("Vary", "accept-datetime"))
        return resp

    def _cdx(self, params: dict[str, list[str]]) -> _Response:
        query = CdxQuery.from_params(params)
        entries = run_query(self.coll, query)
        if query.output == "link":
            body = link_timemap("", query.url, entries)
            return _Response(200, [("Content-Type", "application/link-format")], body.encode())
        ctype, body = format_entries(entries, query)
        return _Response(200, [("Content-Type", ctype)], body.encode("utf-8"))

    def _timemap(self, environ: Environ, prefix: str, rest: str) -> _Response:
        url = _archived_url(rest)
        entries = self.coll.lookup(url)
        if not entries:
            return _html(404, _views.not_archived_page(prefix, url, ""))
        body = link_timemap(_base_url(environ, prefix), url, entries)
        return _Response(200, [("Content-Type", "application/link-format")], body.encode())

    def _timemap_json(self, environ: Environ, prefix: str, rest: str) -> _Response:
        url = _archived_url(rest)
        query = CdxQuery(url=url, output="json")
        entries = self.coll.lookup(url)
        ctype, body = format_entries(entries, query)
        status = 200 if entries else 404
        return _Response(status, [("Content-Type", ctype)], body.encode("utf-8"))

    # -- reader view -------------------------------------------------------------------

    def _reader_route(self, environ: Environ, prefix: str, rest: str) -> _Response:
        first, sep, remainder = rest.partition("/")
        m = _TS_SEGMENT.match(first)
        if not (m and sep) or m.group(2):
            raise ReplayError(400, "malformed reader URL: expected /reader/<timestamp>/<url>")
        ts, url = m.group(1), _archived_url(remainder)
        entries = self.coll.lookup(url, ts)
        if not entries:
            return _html(404, _views.not_archived_page(prefix, url, ts))
        if entries[0].timestamp != ts:
            return _redirect(f"{prefix}/reader/{entries[0].timestamp}/{url}")
        data = self.reader_data(url, entries[0])
        links = list(self._typed_links(data.meta.get("links")))
        captures = sorted(entries, key=lambda x: x.timestamp)
        return _html(200, _views.reader_page(prefix, data, links, captures))

    def reader_data(self, url: str, entry: IndexEntry) -> _views.ReaderData:
        """Metadata and text of one capture: from its metadata/conversion records, else
        extracted from the payload now (captures from other tools)."""
        data = _views.ReaderData(url=url, entry=entry, title=entry.fields.get("title", ""))
        capture = load_capture(self.coll, entry)
        try:
            referring = self.side.referring(entry.url, capture.record_id)
            meta_entry = referring.get("metadata")
            if meta_entry is not None:
                try:
                    with self.coll.read(meta_entry, parse_http=False) as ref:
                        data.meta = parse_warc_fields(ref.record.raw_stream.read())
                except ReplayError as exc:
                    data.notes.append(f"metadata record unreadable: {exc.reason}")
            conv_entry = referring.get("conversion")
            if conv_entry is not None:
                try:
                    with self.coll.read(conv_entry, parse_http=False) as ref:
                        block = ref.record.raw_stream.read().decode("utf-8", "replace")
                    title, _, text = block.partition("\n\n")
                    data.text, data.text_source = text.strip(), "conversion record"
                    data.title = data.title or title.strip()
                except ReplayError as exc:
                    data.notes.append(f"conversion record unreadable: {exc.reason}")
            if isinstance(data.meta.get("title"), str) and data.meta["title"]:
                data.title = data.meta["title"]
            if not data.text and capture.mime in _HTML_TYPES:
                self._extract_now(capture, data)
        finally:
            capture.close()
        return data

    def _extract_now(self, capture: Capture, data: _views.ReaderData) -> None:
        try:
            decoded = capture.decode()
        except ReplayError as exc:
            data.notes.append(exc.reason)
            return
        body_file = decoded if decoded is not None else capture.payload
        body = body_file.read(_MAX_REWRITE)
        charset = sniff_charset(body, _charset(capture.content_type))
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

    def _typed_links(self, links: Any) -> Iterator[tuple[dict[str, Any], str | None]]:
        if not isinstance(links, list):
            return
        order = {"related": 0, "body": 1, "navigation": 2}
        items = [x for x in links if isinstance(x, dict) and isinstance(x.get("url"), str)]
        items.sort(key=lambda x: order.get(x.get("region"), 3))  # stable
        for link in items[:_MAX_LINKS]:
            found = self.coll.lookup(link["url"])
            yield link, (found[-1].timestamp if found else None)

    def _diff(self, prefix: str, params: dict[str, list[str]]) -> _Response:
        url = _archived_url(_one(params, "url"))
        a, b = _one(params, "a"), _one(params, "b")
        for ts in (a, b):
            if not (ts.isdigit() and len(ts) <= 14):
                raise ReplayError(400, f"malformed timestamp {ts!r}: expected 1 to 14 digits")
        entries = self.coll.lookup(url)
        if not entries:
            return _html(404, _views.not_archived_page(prefix, url, ""))
        sides = []
        for ts in (a, b):
            entry = self.coll.lookup(url, ts)[0]
            sides.append(self.reader_data(url, entry))
        return _html(200, _views.diff_page(prefix, url, sides[0], sides[1]))

    # -- helpers -------------------------------------------------------------------------

    def _error(self, prefix: str, status: int, reason: str) -> _Response:
        titles = {
            400: "Bad request",
            404: "Not found",
            405: "Not allowed",
            500: "Internal error",
            502: "Archive record unreadable",
        }
        html = _views.error_page(prefix, status, titles.get(status, "Error"), reason)
        return _html(status, html)


def _html(status: int, text: str) -> _Response:
    body = text.encode("utf-8")
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Content-Security-Policy", _CSP),
    ]
    return _Response(status, headers, [body])


def _redirect(location: str) -> _Response:
    return _Response(302, [("Location", location), ("Content-Length", "0")], [b""])


def _request_target(environ: Environ, prefix: str) -> tuple[str, str]:
    """(path, query) as the client sent them, percent-escapes kept where the server
    gives the raw request (waitress: REQUEST_URI; gunicorn: RAW_URI)."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        if not raw.startswith("/"):  # absolute-form request target (a proxy request)
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        path, _, query = raw.partition("?")
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        return path or "/", query
    path = environ.get("PATH_INFO", "")
    path = path.encode("latin-1").decode("utf-8", "replace")  # PEP 3333 byte-string
    return quote(path, safe="/:@!$&'()*+,;=%~-._"), environ.get("QUERY_STRING", "")


def _params(query: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query, keep_blank_values=True, max_num_fields=200)
    except ValueError as exc:
        raise ReplayError(400, f"malformed query string: {exc}") from None


def _one(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[-1] if values else ""


def _looks_like_url(text: str) -> bool:
    return re.match(r"^(https?|ftp):/", text, re.IGNORECASE) is not None or (
        "." in text.split("/", 1)[0] and not text.split("/", 1)[0][:1].isdigit()
    )


def _archived_url(text: str) -> str:
    """The archived URL of a request, validated: 400 when it cannot be one."""
    url = text.strip()
    if not url:
        raise ReplayError(400, "no URL given")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ReplayError(400, "malformed URL: control characters")
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):/+", url)
    if m:  # servers and browsers may collapse "//"
        url = f"{m.group(1).lower()}://{url[m.end() :]}"
    elif "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError as exc:
        raise ReplayError(400, f"malformed URL {text!r}: {exc}") from None
    if parts.scheme not in ("http", "https", "ftp") or not parts.hostname:
        raise ReplayError(400, f"malformed URL {text!r}: expected an http(s) URL with a host")
    if any(ch in parts.hostname for ch in ' <>"{}|\\^`'):
        raise ReplayError(400, f"malformed URL {text!r}: invalid host")
    return url


def _base_url(environ: Environ, prefix: str) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{scheme}://{host}{prefix}"


def _charset(content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.IGNORECASE)
    return m.group(1) if m else None


def _latin1_safe(value: str) -> str:
    try:
        value.encode("latin-1")
        return value.replace("\r", " ").replace("\n", " ")
    except UnicodeEncodeError:
        return quote(value, safe="".join(map(chr, range(0x20, 0x7F))))


def _close(body: Any) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
