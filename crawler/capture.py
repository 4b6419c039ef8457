"""Downloader middleware that archives every exchange as close to the wire as Scrapy allows.

With :class:`crawler.wire.WireHTTPDownloadHandler` (set by the add-on) the status line
and header lines are the ones received; otherwise they are rebuilt from Scrapy's view.

At priority ~950 it runs after HttpCache and before Redirect and HttpCompression on
the way back: every redirect hop and error status passes through it, and the body
is still content-encoded. Failed fetches are archived as a request record plus a
metadata record naming the error.

A response that cannot be archived (the WARC store failed: disk full) goes no further: it
is counted in ``warcloom/not_archived`` and dropped (``IgnoreRequest``), so its request is
neither done nor followed and the next run fetches it again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from archive.records import (
    HttpExchange,
    build_capture,
    build_error_record,
    build_request_record,
    record_id,
)
from archive.writer import WarcWriteError
from crawler.recrawl import NOT_REQUESTED, REVISIT
from crawler.requisites import REQUISITE
from crawler.warcstore import WarcStoreExtension
from crawler.wire import TIMEOUT_FLAG, pop_wire_head

__all__ = ["WarcCaptureMiddleware"]

logger = logging.getLogger(__name__)

RESPONSE_ID = "warcloom_response_id"
CAPTURE_DATE = "warcloom_capture_date"
_SENT = "_warcloom_sent"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_header(url: str) -> bytes:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host.encode("latin-1", "replace")  # Scrapy URLs are already ASCII (IDNA)


def _request_target(request: Request) -> str:
    if request.meta.get("proxy") and request.url.startswith("http:"):
        return request.url  # absolute form, as sent to a forward proxy
    parts = urlsplit(request.url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target


def _request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    headers = [(b"Host", _host_header(request.url))]
    for name, values in request.headers.items():
        headers.extend((name, value) for value in values)
    if request.body:
        headers.append((b"Content-Length", str(len(request.body)).encode()))
    return headers


def _truncation(response: Response) -> str | None:
    """WARC-Truncated for a body cut short: by the download timeout or a disconnect."""
    if "dataloss" not in response.flags:
        return None
    return "time" if TIMEOUT_FLAG in response.flags else "disconnect"


def _decoded_after_capture(settings: BaseSettings) -> bool:
    """Whether Scrapy's HttpCompressionMiddleware sees responses after capture does."""
    if not settings.getbool("COMPRESSION_ENABLED"):
        return False
    orders = {}
    for component, order in settings.getwithbase("DOWNLOADER_MIDDLEWARES").items():
        cls = load_object(component) if isinstance(component, str) else component
        if order is not None and cls in (HttpCompressionMiddleware, WarcCaptureMiddleware):
            orders[cls] = order
    decoding = orders.get(HttpCompressionMiddleware)
    capture = orders.get(WarcCaptureMiddleware)
    return decoding is not None and capture is not None and decoding < capture


def _plain(response: Response) -> Response:
    """A content-encoded text response as a plain :class:`Response`, for
    HttpCompressionMiddleware to decode. It gives the decoded body its class again (from
    the headers and the body), but first builds the new response with
    ``Response.replace``, which reads every attribute of the old one: on a
    ``TextResponse`` that is ``encoding``, inferred from the *compressed* bytes (a decode
    and charset_normalizer on gzip data, ~2 ms a page on the reactor) and then thrown
    away. A plain Response has no ``encoding`` to infer."""
    return Response(**{name: getattr(response, name) for name in Response.attributes})


def _capture_date(request: Request) -> datetime:
    latency = request.meta.get("download_latency") or 0.0
    return datetime.now(UTC) - timedelta(seconds=latency)


class WarcCaptureMiddleware:
    """Writes request + response records for every response, and error records."""

    def __init__(self, crawler: Crawler, store: WarcStoreExtension) -> None:
        self.store = store
        self.stats = crawler.stats
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.decoded_later = _decoded_after_capture(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        store = crawler.get_extension(WarcStoreExtension)
        if store is None:
            raise NotConfigured("WarcCaptureMiddleware needs crawler.warcstore.WarcStoreExtension")
        middleware = cls(crawler, store)
        crawler.signals.connect(middleware._opened, signal=signals.spider_opened)
        return middleware

    def _opened(self, spider: object) -> None:
        logger.info("Archiving into %s", self.store.config.coll.archive_dir)

    def process_request(self, request: Request) -> None:
        request.meta[_SENT] = id(request)

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or NOT_REQUESTED in response.flags:
            return response
        if not response.url.startswith(("http:", "https:")):
            return response
        truncated = _truncation(response)
        wire = pop_wire_head(response.headers)
        if wire is not None:
            status_line: str | None = wire.status_line.decode("latin-1")
            headers = wire.headers
        else:
            status_line = None
            headers = [(n, v) for n, values in response.headers.items() for v in values]
        exchange = HttpExchange(
            url=response.url,
            method=request.method,
            request_target=_request_target(request),
            request_headers=_request_headers(request),
            request_body=request.body,
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            response_headers=headers,
            body=response.body,
            date=_capture_date(request),
            ip_address=str(response.ip_address) if response.ip_address else None,
            truncated=truncated,
            status_line=status_line,
            revisit=request.meta.get(REVISIT),
        )
        response_record, request_record = build_capture(exchange)
        try:
            self.store.write([request_record, response_record])
        except WarcWriteError as exc:
            self._not_archived(response.url, exc)
            raise IgnoreRequest(f"not archived: {exc}") from None
        request.meta[RESPONSE_ID] = record_id(response_record)
        request.meta[CAPTURE_DATE] = exchange.date
        if self.stats is not None:
            self.stats.inc_value("warcloom/captures")
            self.stats.inc_value(f"warcloom/captures/status/{response.status}")
            if exchange.revisit is not None:
                self.stats.inc_value("warcloom/captures/revisit")
            if truncated:
                self.stats.inc_value("warcloom/captures/truncated")
            if request.meta.get(REQUISITE):
                self.stats.inc_value("warcloom/requisites")
                self.stats.inc_value("warcloom/requisites/bytes", len(response.body))
        if truncated:
            logger.warning("Archived a truncated body (%s) for %s", truncated, response.url)
        if (
            self.decoded_later
            and isinstance(response, TextResponse)
            and request.method != "HEAD"
            and b"Content-Encoding" in response.headers
        ):
            return _plain(response)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.get(_SENT) != id(request) or isinstance(exception, IgnoreRequest):
            return
        date = _capture_date(request)
        request_record = build_request_record(
            request.url,
            f"{request.method} {_request_target(request)} HTTP/1.1",
            _request_headers(request),
            request.body,
            date,
        )
        fields = {
            "fetch-error": f"{type(exception).__name__}: {exception}",
            "download-maxsize": request.meta.get("download_maxsize", self.maxsize),
        }
        error_record = build_error_record(request.url, record_id(request_record), date, fields)
        try:
            self.store.write([request_record, error_record])
        except WarcWriteError as exc:
            self._not_archived(request.url, exc)
            return
        if self.stats is not None:
            self.stats.inc_value("warcloom/fetch_errors")
            self.stats.inc_value(f"warcloom/fetch_errors/{type(exception).__name__}")
        logger.warning("Fetch failed for %s: %s (archived)", request.url, fields["fetch-error"])

    def _not_archived(self, url: str, exc: WarcWriteError) -> None:
        if self.stats is not None:
            self.stats.inc_value("warcloom/not_archived")
        logger.debug("Not archived (%s): %s", exc, url)
