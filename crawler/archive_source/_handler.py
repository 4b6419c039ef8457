"""The Scrapy download handler for http(s) that answers requests from the archive."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread

from archive.collection import Capture, CaptureError, Collection
from crawler.capture import CAPTURE_DATE, RESPONSE_ID

from ._options import ReplayOptions

__all__ = ["HIT_FLAG", "MISS_FLAG", "ArchiveDownloadHandler", "ArchiveSource", "StoredResponse"]

logger = logging.getLogger(__name__)

HIT_FLAG = "archive"
MISS_FLAG = "archive-miss"
STAT_HIT = "warcloom/archive/hit"
STAT_MISS = "warcloom/archive/miss"
STAT_REVISIT = "warcloom/archive/revisit"
_NOT_REPLAYED = ("transfer-encoding", "content-length")


@dataclass(frozen=True)
class StoredResponse:
    """An archived response made ready for Scrapy: the stored headers in order (repeated
    names kept) less Transfer-Encoding, Content-Length set to the length of ``body``, the
    body as stored (content-encoding kept). ``original_id``: for a revisit, the record the
    payload came from."""

    url: str
    status: int
    protocol: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    record_id: str
    date: datetime
    ip_address: str | None = None
    truncated: bool = False
    original_id: str | None = None

    @classmethod
    def of(cls, capture: Capture) -> StoredResponse:
        body = capture.read_payload()
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in capture.headers
            if name.lower() not in _NOT_REPLAYED
        ]
        headers.append((b"Content-Length", str(len(body)).encode("ascii")))
        return cls(
            url=capture.url,
            status=capture.status,
            protocol=capture.protocol,
            headers=headers,
            body=body,
            record_id=capture.record_id,
            date=capture.date,
            ip_address=capture.ip_address,
            truncated=capture.truncated,
            original_id=capture.original_id,
        )


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
    ) -> StoredResponse | None:
        """The capture of ``url`` (newest, or nearest to the timestamp), or None."""
        coll = self.collection
        for entry in coll.request_captures(url, method, body, content_type, self.timestamp):
            try:
                with coll.load(entry) as capture:
                    stored = StoredResponse.of(capture)
            except CaptureError as exc:
                logger.warning("Cannot replay the capture of %s: %s", entry.url, exc.reason)
                continue
            return dataclasses.replace(stored, body=b"") if method.upper() == "HEAD" else stored
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
        stored = await run_in_thread(
            self.source.get,
            request.url,
            request.method,
            request.body,
            content_type.decode("latin-1") if content_type else None,
        )
        return self.build_response(request, stored)

    def build_response(self, request: Request, stored: StoredResponse | None) -> Response:
        """The Scrapy response for a lookup result (a 404 ``archive-miss`` for None)."""
        request.meta["download_latency"] = 0.0
        if stored is None:
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
        self._inc(STAT_HIT)
        if stored.original_id:
            self._inc(STAT_REVISIT)
        request.meta[RESPONSE_ID] = stored.record_id
        request.meta[CAPTURE_DATE] = stored.date
        headers = Headers()
        for name, value in stored.headers:
            headers.appendlist(name, value)
        flags = [HIT_FLAG, "dataloss"] if stored.truncated else [HIT_FLAG]
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=stored.body)
        return respcls(
            url=request.url,
            status=stored.status,
            headers=headers,
            body=stored.body,
            flags=flags,
            request=request,
            ip_address=_ip(stored.ip_address),
            protocol=stored.protocol,
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
