"""Replay into spiders: answer Scrapy's requests from a WARC collection, not the network.

:class:`ArchiveDownloadHandler` is a download handler for ``http`` and ``https`` that looks a
request's URL up in the collection's sorted CDXJ index (binary search) and returns the
stored response: its status, every header (repeated ones kept) and the body as stored,
still content-encoded, so HttpCompression decodes it as it would off the wire. No socket is
opened. A redirect capture replays as a redirect, so the Redirect middleware follows it to
the next archived hop; robots.txt comes from the archive like any other URL. A revisit
record resolves to the capture it repeats. A URL with no capture gets a 404 flagged
``archive-miss``.

:class:`ArchiveSource` turns a request into the stored response with
:class:`archive.collection.Collection` (which finds and loads captures, revisits resolved)
and knows nothing of Scrapy's engine. :class:`ArchiveReplayAddon` sets a crawl up to replay.

:class:`ReplayOptions` holds the settings, parsed once. The handler is loaded by Scrapy as
``crawler.archive_source.ArchiveDownloadHandler`` (:data:`HANDLER`).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import run_in_thread

from archive.collection import Capture, CaptureError, Collection
from crawler.capture import CAPTURE_DATE, RESPONSE_ID, WarcCaptureMiddleware
from crawler.safety import PrivateAddressMiddleware

__all__ = [
    "HANDLER",
    "HIT_FLAG",
    "MISS_FLAG",
    "ArchiveDownloadHandler",
    "ArchiveReplayAddon",
    "ArchiveSource",
    "ReplayOptions",
]

logger = logging.getLogger(__name__)

# the dotted path Scrapy loads the download handler by
HANDLER = "crawler.archive_source.ArchiveDownloadHandler"
HIT_FLAG = "archive"
MISS_FLAG = "archive-miss"
STAT_HIT = "warcloom/archive/hit"
STAT_MISS = "warcloom/archive/miss"
STAT_REVISIT = "warcloom/archive/revisit"
_NOT_REPLAYED = ("transfer-encoding", "content-length")
_TIMESTAMP = re.compile(r"\d{1,14}")


@dataclass(frozen=True)
class ReplayOptions:
    """``WARCLOOM_FROM_ARCHIVE`` (collection or output directory, with an index) and
    ``WARCLOOM_ARCHIVE_TIMESTAMP`` (1-14 digits: replay the captures nearest to it)."""

    collection: Collection
    timestamp: str | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ReplayOptions:
        archive = settings.get("WARCLOOM_FROM_ARCHIVE") or ""
        if not archive:
            raise ValueError("ArchiveDownloadHandler needs WARCLOOM_FROM_ARCHIVE")
        timestamp = str(settings.get("WARCLOOM_ARCHIVE_TIMESTAMP") or "") or None
        if timestamp is not None and not _TIMESTAMP.fullmatch(timestamp):
            raise ValueError(
                "WARCLOOM_ARCHIVE_TIMESTAMP must be 1-14 digits (YYYYMMDDhhmmss), "
                f"got {timestamp!r}"
            )
        return cls(Collection.open(archive, need_index=True), timestamp)


class ArchiveSource:
    """The stored response for a request, from one collection (no Scrapy engine needed)."""

    def __init__(self, collection: str | Collection, timestamp: str | None = None) -> None:
        if not isinstance(collection, Collection):
            collection = Collection.open(collection, need_index=True)
        self.collection = collection
        self.timestamp = timestamp

    def get(
        self,
        url: str,
        method: str = "GET",
        body: bytes = b"",
        content_type: str | None = None,
    ) -> tuple[Capture, bytes] | None:
        """The capture of ``url`` (newest, or nearest to the timestamp), closed, and its
        stored payload; or None."""
        coll = self.collection
        for entry in coll.request_captures(url, method, body, content_type, self.timestamp):
            try:
                with coll.load(entry) as capture:
                    return capture, capture.read_payload()
            except CaptureError as exc:
                logger.warning("Cannot replay the capture of %s: %s", entry.url, exc.reason)
        return None


class ArchiveDownloadHandler(BaseDownloadHandler):
    """Answers http(s) requests from ``WARCLOOM_FROM_ARCHIVE``; see :class:`ArchiveReplayAddon`."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        options = ReplayOptions.from_settings(crawler.settings)
        self.source = ArchiveSource(options.collection, options.timestamp)
        self.stats = crawler.stats
        logger.info(
            "Replaying from %s%s",
            options.collection.root,
            f" (captures nearest to {options.timestamp})" if options.timestamp else "",
        )

    async def download_request(self, request: Request) -> Response:
        content_type = request.headers.get(b"Content-Type")
        found = await run_in_thread(
            self.source.get,
            request.url,
            request.method,
            request.body,
            content_type.decode("latin-1") if content_type else None,
        )
        return self.build_response(request, found)

    def build_response(self, request: Request, found: tuple[Capture, bytes] | None) -> Response:
        """The Scrapy response for a lookup result (a 404 ``archive-miss`` for None): the
        stored headers in order (repeated names kept) less Transfer-Encoding, Content-Length
        set to the length of the payload, the payload as stored (content-encoding kept)."""
        request.meta["download_latency"] = 0.0
        if found is None:
            self._inc(STAT_MISS)
            logger.debug("Not in the archive: %s", request.url)
            body = f"not in the archive: {request.url}\n".encode()
            headers = Headers({b"Content-Type": b"text/plain; charset=utf-8"})
            return Response(
                url=request.url,
                status=404,
                headers=headers,
                body=body,
                flags=[MISS_FLAG],
                request=request,
                protocol="HTTP/1.1",
            )
        capture, body = found
        self._inc(STAT_HIT)
        if capture.original_id:
            self._inc(STAT_REVISIT)
        request.meta[RESPONSE_ID] = capture.record_id
        request.meta[CAPTURE_DATE] = capture.date
        headers = Headers()
        for name, value in capture.headers:
            if name.lower() not in _NOT_REPLAYED:
                headers.appendlist(name.encode("latin-1"), value.encode("latin-1"))
        headers.appendlist(b"Content-Length", str(len(body)).encode("ascii"))
        if request.method.upper() == "HEAD":
            body = b""
        flags = [HIT_FLAG, "dataloss"] if capture.truncated else [HIT_FLAG]
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(
            url=request.url,
            status=capture.status,
            headers=headers,
            body=body,
            flags=flags,
            request=request,
            ip_address=_ip(capture.ip_address),
            protocol=capture.protocol,
        )

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


class ArchiveReplayAddon:
    """Sets a crawl up to replay when ``WARCLOOM_FROM_ARCHIVE`` is set (does nothing otherwise).

    Put it after :class:`crawler.addon.WarcloomAddon` in ``ADDONS``. It installs
    :class:`ArchiveDownloadHandler` for http and https, switches off the private-address
    guard (no host is contacted) and, unless ``WARCLOOM_ARCHIVE_CAPTURE`` is on, the capture
    middleware: the replayed crawl then writes only analysis records (metadata +
    conversion) that refer to the archived responses by record ID. The politeness delays
    go to zero unless they were given on the command line.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("WARCLOOM_FROM_ARCHIVE"):
            return
        ReplayOptions.from_settings(settings)  # a bad path or timestamp stops the crawl here
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update(http=HANDLER, https=HANDLER)
        priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_HANDLERS", handlers, priority)
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", PrivateAddressMiddleware, None
        )
        if not settings.getbool("WARCLOOM_ARCHIVE_CAPTURE"):
            settings.set_in_component_priority_dict(
                "DOWNLOADER_MIDDLEWARES", WarcCaptureMiddleware, None
            )
        quick = {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": settings.getint("CONCURRENT_REQUESTS", 16),
        }
        for name, value in quick.items():
            if (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
                settings.set(name, value, "project")
