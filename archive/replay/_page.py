"""The archived page as the replay app serves it: the stored payload byte for byte (``id_``),
or decoded, with HTML and CSS rewritten to stay in the archive. Original headers that would
act on the archive's own origin are kept under ``X-Archive-Orig-*``: for ``id_`` every header
but the payload's own (type, encoding, language, disposition, Last-Modified), so that no
cookie, policy, refresh, preload or redirect of the archived site reaches the browser. Both
always carry the archive's Content-Security-Policy, so archived scripts cannot load from the
live web; a redirect points into the archive.
"""

from __future__ import annotations

from archive.collection import Capture, CaptureError, iter_file, size_of

from ._http import CSP, Response, charset_of
from ._rewrite import ArchiveUrls, rewrite_css, rewrite_html, sniff_charset

__all__ = ["HTML_TYPES", "MAX_REWRITE", "raw_response", "rewritten_response"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_REWRITE = 32 << 20  # larger bodies are served as stored, not rewritten
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


# the headers ``id_`` passes as they are: they describe the payload and act on nothing else
_PAYLOAD_HEADERS = frozenset(
    {
        "content-type",
        "content-encoding",
        "content-language",
        "content-disposition",
        "last-modified",
    }
)


def raw_response(
    prefix: str, capture: Capture, url: str, memento: list[tuple[str, str]]
) -> Response:
    """The stored payload as is; of the stored headers only the payload's own, the others
    renamed ``X-Archive-Orig-*``, a redirect pointed into the archive (``id_`` again)."""
    urls = ArchiveUrls(prefix, capture.entry.timestamp, "id_")
    headers: list[tuple[str, str]] = []
    for name, value in capture.headers:
        lower = name.lower()
        if lower in _HOP_BY_HOP:
            continue
        if lower == "location" and (target := urls(value, url)).startswith(urls.prefix + "/"):
            headers.append(("Location", target))
        if lower in _PAYLOAD_HEADERS:
            headers.append((name, value))
        else:
            headers.append((f"X-Archive-Orig-{name}", value))
    headers.append(("Content-Security-Policy", CSP))
    headers.append(("Content-Length", str(size_of(capture.payload))))
    headers += memento
    return Response(capture.status, headers, iter_file(capture.payload), capture.reason)


def rewritten_response(
    prefix: str, capture: Capture, url: str, memento: list[tuple[str, str]]
) -> Response:
    """The payload decoded for the browser; HTML and CSS rewritten to archive URLs."""
    try:
        decoded = capture.decode()
    except CaptureError:
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
    headers.append(("Content-Security-Policy", CSP))
    headers += memento
    mime = capture.mime
    rewrite = not undecodable and size_of(body_file) <= MAX_REWRITE
    if rewrite and (mime in HTML_TYPES or mime == "text/css"):
        data = body_file.read()
        capture.close()
        declared = charset_of(capture.content_type) or capture.entry.fields.get("charset")
        charset = sniff_charset(data, declared)
        text = data.decode(charset, "surrogateescape")
        rewriter = rewrite_css if mime == "text/css" else rewrite_html
        text = rewriter(text, url, urls)
        try:
            out = text.encode(charset, "surrogateescape")
        except UnicodeEncodeError:  # a codec without surrogateescape support
            out = data
        headers.append(("Content-Length", str(len(out))))
        return Response(capture.status, headers, [out], capture.reason)
    if body_file is not capture.payload:
        capture.payload.close()
    headers.append(("Content-Length", str(size_of(body_file))))
    return Response(capture.status, headers, iter_file(body_file), capture.reason)
