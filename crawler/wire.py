"""An HTTP/1.1 download handler that keeps the response head as it came off the wire.

Scrapy rebuilds response headers from Twisted's parsed view: the reason phrase, the
header names' casing and order, and the connection-level headers (Transfer-Encoding,
Connection, Keep-Alive, the original Content-Length) are gone by the time a middleware
sees the response (FIELD-NOTES). This handler is Scrapy's own HTTP/1.1 handler with one
change: its response parser also records the status line and the header lines as
received, and hands them to :class:`crawler.capture.WarcCaptureMiddleware` in a
private header that the middleware removes before anything else sees the response.

It relies on private Scrapy/Twisted classes; when they are missing the add-on leaves
Scrapy's default handler in place and the capture falls back to a reconstruction.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

try:
    from scrapy.core.downloader.handlers.http11 import (
        _LenientHTTP11ClientFactory,
        _LenientHTTP11ClientProtocol,
        _LenientHTTPClientParser,
    )
except ImportError:  # a Scrapy without these internals: no wire capture
    AVAILABLE = False
else:
    AVAILABLE = True

__all__ = ["AVAILABLE", "WIRE_HEADER", "WireHTTPDownloadHandler", "WireHead", "pop_wire_head"]

WIRE_HEADER = b"X-Warcloom-Wire-Head"


class WireHead:
    """Status line and header lines (name, value) exactly as received."""

    __slots__ = ("headers", "status_line")

    def __init__(self, status_line: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_line = status_line
        self.headers = headers

    def encode(self) -> bytes:
        raw = [self.status_line.decode("latin-1")]
        raw.extend(f"{n.decode('latin-1')}\x00{v.decode('latin-1')}" for n, v in self.headers)
        return base64.b64encode(json.dumps(raw).encode("latin-1"))

    @classmethod
    def decode(cls, value: bytes) -> WireHead:
        raw = json.loads(base64.b64decode(value).decode("latin-1"))
        pairs = [line.split("\x00", 1) for line in raw[1:]]
        return cls(
            raw[0].encode("latin-1"), [(n.encode("latin-1"), v.encode("latin-1")) for n, v in pairs]
        )


def pop_wire_head(headers: Any) -> WireHead | None:
    """Take the recorded head out of a Scrapy ``Headers`` object, if the handler put one."""
    value = headers.pop(WIRE_HEADER, None)
    if not value:
        return None
    return WireHead.decode(value[0] if isinstance(value, list) else value)


if AVAILABLE:

    class _WireParser(_LenientHTTPClientParser):
        """Scrapy's lenient parser, recording the head as it parses it."""

        def statusReceived(self, status: bytes) -> None:
            self._wire_status = status
            self._wire_headers: list[tuple[bytes, bytes]] = []
            super().statusReceived(status)

        def headerReceived(self, name: bytes, value: bytes) -> None:
            self._wire_headers.append((name, value))
            super().headerReceived(name, value)

        def allHeadersReceived(self) -> None:
            head = WireHead(self._wire_status, self._wire_headers)
            self.headers.addRawHeader(WIRE_HEADER, head.encode())
            super().allHeadersReceived()

    class _WireProtocol(_LenientHTTP11ClientProtocol):
        def request(self, request: Any) -> Any:
            d = super().request(request)
            self._parser.__class__ = _WireParser  # same trick as Scrapy's lenient parser
            return d

    class _WireFactory(_LenientHTTP11ClientFactory):
        def buildProtocol(self, addr: Any) -> _WireProtocol:
            return _WireProtocol(self._quiescentCallback)

    class WireHTTPDownloadHandler(HTTP11DownloadHandler):
        """Scrapy's HTTP/1.1 handler whose responses carry their head as received."""

        def __init__(self, crawler: Any) -> None:
            super().__init__(crawler)
            self._pool._factory = _WireFactory

else:  # pragma: no cover - only on a Scrapy without the internals above
    WireHTTPDownloadHandler = HTTP11DownloadHandler  # type: ignore[misc]
