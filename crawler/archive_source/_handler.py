"""The Scrapy download handler for http(s) that answers requests from the archive."""

from __future__ import annotations

import ipaddress
import logging

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread

from archive.collection import Capture, CaptureError, Collection
from crawler.capture import CAPTURE_DATE, RESPONSE_ID

from ._options import ReplayOptions

__all__ = ["HIT_FLAG", "MISS_FLAG", "ArchiveDownloadHandler", "ArchiveSource"]

logger = logging.getLogger(__name__)

HIT_FLAG = "archive"
MISS_FLAG = "archive-miss"
STAT_HIT = "warcloom/archive/hit"
STAT_MISS = "warcloom/archive/miss"
STAT_REVISIT = "warcloom/archive/revisit"
_NOT_REPLAYED = ("transfer-encoding", "content-length")


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
