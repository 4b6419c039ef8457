"""The archived page as the replay app serves it: the stored payload byte for byte (``id_``),
or decoded, with HTML and CSS rewritten to stay in the archive and the original headers that
would act on the archive's own origin kept under ``X-Archive-Orig-*``.
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


def raw_response(capture: Capture, memento: list[tuple[str, str]]) -> Response:
    """The stored payload as is, with the stored headers less hop-by-hop ones."""
    headers = [(k, v) for k, v in capture.headers if k.lower() not in _HOP_BY_HOP]
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
