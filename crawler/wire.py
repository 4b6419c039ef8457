"""An HTTP/1.1 download handler that keeps the response head as it came off the wire.

Scrapy rebuilds response headers from Twisted's parsed view: the reason phrase, the
header names' casing and order, and the connection-level headers (Transfer-Encoding,
Connection, Keep-Alive, the original Content-Length) are gone by the time a middleware
sees the response (FIELD-NOTES). This handler is Scrapy's own HTTP/1.1 handler with one
change: its response parser also records the status line and the header lines as
received, and hands them to :class:`crawler.capture.WarcCaptureMiddleware` in a
private header that the middleware removes before anything else sees the response.

A second change: a body cut by ``DOWNLOAD_TIMEOUT`` after the head arrived is not lost.
The response is returned with what was received, flagged ``dataloss`` and ``timeout``
(:data:`TIMEOUT_FLAG`), as Scrapy returns a body cut by a disconnect flagged ``dataloss``
(both only when ``DOWNLOAD_FAIL_ON_DATALOSS`` is off, as the add-on sets it); the capture
archives it with ``WARC-Truncated: time``.

It relies on private Scrapy/Twisted classes; when they are missing the add-on leaves
Scrapy's default handler in place and the capture falls back to a reconstruction. When
only the pieces the timeout change needs are missing, timeouts fail as in Scrapy (logged
once, ``warcloom/wire/timeout_bodies_lost`` in the stats).
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.python.failure import Failure

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

try:  # what keeping a body cut by the timeout needs (Scrapy 2.19)
    from scrapy.core.downloader.handlers.http11 import _ScrapyAgent
    from scrapy.exceptions import ResponseDataLossError
    from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
except ImportError:
    TIMEOUT_BODIES = False
else:
    TIMEOUT_BODIES = {"crawler", "fail_on_dataloss"} <= set(
        inspect.signature(_ScrapyAgent).parameters
    ) and all(hasattr(_ScrapyAgent, m) for m in ("_cb_bodyready", "_cb_timeout", "_cb_bodydone"))

__all__ = [
    "AVAILABLE",
    "TIMEOUT_FLAG",
    "WIRE_HEADER",
    "WireHTTPDownloadHandler",
    "WireHead",
    "pop_wire_head",
]

logger = logging.getLogger(__name__)

WIRE_HEADER = b"X-Warcloom-Wire-Head"
TIMEOUT_FLAG = "timeout"  # with "dataloss": the body was cut by DOWNLOAD_TIMEOUT
# what the handler needs of Scrapy's HTTP/1.1 handler to build its agent
_HANDLER_ATTRIBUTES = (
    "_contextFactory",
    "_bind_address",
    "_pool",
    "_default_maxsize",
    "_default_warnsize",
    "_fail_on_dataloss",
    "_fail_on_dataloss_warned",
    "_tls_verbose_logging",
    "_crawler",
)


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

    class _WireAgent(_ScrapyAgent if TIMEOUT_BODIES else object):  # type: ignore[misc]
        """Scrapy's agent, except that a timeout once the body has begun returns the
        response with the bytes received, flagged ``dataloss`` and ``timeout``, unless
        the request must fail on data loss."""

        _reader: Any = None

        def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
            deliver = txresponse.deliverBody

            def deliver_and_keep(protocol: Any) -> None:
                self._reader = protocol  # Scrapy's _ResponseReader: it holds the body
                deliver(protocol)

            txresponse.deliverBody = deliver_and_keep
            return super()._cb_bodyready(txresponse, request)

        def _cb_timeout(self, result: Any, request: Request, url: str, timeout: float) -> Any:
            reader = self._reader
            if (
                self._timeout_cl.active()  # not a timeout
                or not isinstance(result, Failure)
                or reader is None  # no head yet, or no body to read
                or request.meta.get("download_fail_on_dataloss", self._fail_on_dataloss)
            ):
                return super()._cb_timeout(result, request, url, timeout)
            # the body's Deferred was cancelled (connection aborted): stop reading, as
            # Scrapy does on a timeout, and hand on what arrived
            self._txresponse._transport.stopProducing()
            return self._cb_bodydone(
                {
                    "txresponse": self._txresponse,
                    "body": reader._bodybuf.getvalue(),
                    "flags": ["dataloss", TIMEOUT_FLAG],
                    "certificate": getattr(reader, "_certificate", None),
                    "ip_address": getattr(reader, "_ip_address", None),
                },
                url,
            )

    class WireHTTPDownloadHandler(HTTP11DownloadHandler):
        """Scrapy's HTTP/1.1 handler whose responses carry their head as received, and
        that keeps a body cut by the download timeout."""

        def __init__(self, crawler: Any) -> None:
            super().__init__(crawler)
            self._pool._factory = _WireFactory
            self._timeout_bodies = TIMEOUT_BODIES and all(
                hasattr(self, name) for name in _HANDLER_ATTRIBUTES
            )
            if not self._timeout_bodies:
                logger.warning(
                    "This Scrapy lacks what keeping bodies cut by DOWNLOAD_TIMEOUT needs: "
                    "they are lost, as in Scrapy"
                )
                if crawler.stats is not None:
                    crawler.stats.set_value("warcloom/wire/timeout_bodies_lost", 1)

        async def download_request(self, request: Request) -> Response:
            if not self._timeout_bodies:
                return await super().download_request(request)
            # HTTP11DownloadHandler.download_request with this module's agent
            spider = self._crawler.spider
            agent = _WireAgent(
                contextFactory=self._contextFactory,
                bindAddress=self._bind_address,
                pool=self._pool,
                maxsize=getattr(spider, "download_maxsize", self._default_maxsize),
                warnsize=getattr(spider, "download_warnsize", self._default_warnsize),
                fail_on_dataloss=self._fail_on_dataloss,
                crawler=self._crawler,
                tls_verbose_logging=self._tls_verbose_logging,
            )
            try:
                with wrap_twisted_exceptions():
                    return await maybe_deferred_to_future(agent.download_request(request))
            except ResponseDataLossError:
                if not self._fail_on_dataloss_warned:
                    logger.warning(get_dataloss_msg(request.url))
                    self._fail_on_dataloss_warned = True
                raise

else:  # pragma: no cover - only on a Scrapy without the internals above
    WireHTTPDownloadHandler = HTTP11DownloadHandler  # type: ignore[misc]
