"""WSGI plumbing of the replay app: the response value, HTML/redirect/error responses, and
reading a request (its raw target, query parameters, the archived URL it names).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from . import _views

__all__ = [
    "CSP",
    "TS_SEGMENT",
    "Environ",
    "ReplayError",
    "Response",
    "StartResponse",
    "archived_url",
    "base_url",
    "charset_of",
    "close",
    "error",
    "html",
    "latin1_safe",
    "looks_like_url",
    "one",
    "params",
    "redirect",
    "request_target",
]


class ReplayError(Exception):
    """Something replay cannot serve; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


StartResponse = Callable[..., Any]
Environ = dict[str, Any]

# a timestamp path segment: 1-14 digits, then an optional pywb modifier such as ``id_``
TS_SEGMENT = re.compile(r"^(\d{1,14})([a-z]{2}_)?$")
CSP = (
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "form-action 'self'; base-uri 'self'"
)
_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_ERROR_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Not allowed",
    500: "Internal error",
    502: "Archive record unreadable",
}


class Response:
    """Status, headers and body of one answer, before it goes through ``start_response``."""

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


def html(status: int, text: str) -> Response:
    body = text.encode("utf-8")
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Content-Security-Policy", CSP),
    ]
    return Response(status, headers, [body])


def redirect(location: str) -> Response:
    return Response(302, [("Location", location), ("Content-Length", "0")], [b""])


def error(prefix: str, status: int, reason: str) -> Response:
    page = _views.error_page(prefix, status, _ERROR_TITLES.get(status, "Error"), reason)
    return html(status, page)


def request_target(environ: Environ, prefix: str) -> tuple[str, str]:
    """(path, query) as the client sent them, percent-escapes kept where the server
    gives the raw request (waitress: REQUEST_URI; gunicorn: RAW_URI)."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        if not raw.startswith("/"):  # absolute-form request target (a proxy request)
            if "://" not in raw:  # "*" (OPTIONS), a bare word: not a target we serve
                raise ReplayError(400, f"malformed request target {raw[:200]!r}")
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        path, _, query = raw.partition("?")
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        return path or "/", query
    path = environ.get("PATH_INFO", "")
    path = path.encode("latin-1").decode("utf-8", "replace")  # PEP 3333 byte-string
    return quote(path, safe="/:@!$&'()*+,;=%~-._"), environ.get("QUERY_STRING", "")


def params(query: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query, keep_blank_values=True, max_num_fields=200)
    except ValueError as exc:
        raise ReplayError(400, f"malformed query string: {exc}") from None


def one(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    """The last value of ``name`` in parsed query ``fields``, or ``default``."""
    values = fields.get(name)
    return values[-1] if values else default


def looks_like_url(text: str) -> bool:
    return re.match(r"^(https?|ftp):/", text, re.IGNORECASE) is not None or (
        "." in text.split("/", 1)[0] and not text.split("/", 1)[0][:1].isdigit()
    )


def archived_url(text: str) -> str:
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


def base_url(environ: Environ, prefix: str) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{scheme}://{host}{prefix}"


def charset_of(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type value, if any."""
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.IGNORECASE)
    return m.group(1) if m else None


def latin1_safe(value: str) -> str:
    """A header value WSGI servers accept: latin-1, no line breaks or NUL bytes."""
    try:
        value.encode("latin-1")
        return value.replace("\r", " ").replace("\n", " ").replace("\x00", " ")
    except UnicodeEncodeError:
        return quote(value, safe="".join(map(chr, range(0x20, 0x7F))))


def close(body: Any) -> None:
    close_body = getattr(body, "close", None)
    if close_body is not None:
        close_body()
