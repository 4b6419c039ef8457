"""Scrapy's RetryMiddleware, honouring ``Retry-After`` on 429 and 503 responses per host.

A 429 or 503 that says ``Retry-After`` (delta-seconds, or an HTTP-date read against the
response's own ``Date``) pauses the host's download slot for that long: the retry and
every other request to that host wait in the slot, as they do for ``DOWNLOAD_DELAY``;
other hosts go on, and the reactor is never blocked. Whether and how often to retry is
Scrapy's rule (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``dont_retry``). A wait over
``WARCLOOM_RETRY_AFTER_MAX`` seconds (default 120) is not honoured: the response is
retried or given up at once, as without the header, and the log says so. The capture
middleware (950) archives every try before this one (550) sees it.

Pausing a slot uses Scrapy's downloader internals (``Downloader.slots``,
``Slot.latercall``, ``Downloader._latercall``, ``scrapy.utils.asyncio.call_later``):
checked at start-up; without them the retry alone waits, in this middleware (logged
once, ``warcloom/retry_after/fallback`` in the stats).
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

try:
    from scrapy.utils.asyncio import call_later
except ImportError:  # pragma: no cover - Scrapy < 2.14
    call_later = None  # type: ignore[assignment]

__all__ = ["RetryAfterMiddleware", "retry_after_seconds"]

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_seconds(response: Response, now: float | None = None) -> float | None:
    """Seconds the response asks to wait (>= 0), or None without a usable Retry-After.

    An HTTP-date is read against the response's ``Date`` header when it has one (the
    server's clock), else against ``now`` (default: this machine's clock).
    """
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    date = (response.headers.get(b"Date") or b"").decode("latin-1").strip()
    try:
        base = parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError, IndexError, OverflowError):
        base = None
    if base is None:
        base = time.time() if now is None else now
    return max(0.0, when - base)


def _can_pause_slots(crawler: Crawler) -> bool:
    downloader = getattr(crawler.engine, "downloader", None)
    return (
        call_later is not None
        and isinstance(getattr(downloader, "slots", None), dict)
        and callable(getattr(downloader, "_latercall", None))
    )


class RetryAfterMiddleware(RetryMiddleware):
    """RetryMiddleware that waits as long as a 429/503 asks, per host, up to a maximum."""

    def __init__(self, settings: Any, max_wait: float) -> None:
        super().__init__(settings)
        self.max_wait = max_wait
        self._paused_until: dict[str, float] = {}  # slot key -> monotonic time
        self._pausing: bool | None = None  # decided on the first response

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        max_wait = crawler.settings.getfloat("WARCLOOM_RETRY_AFTER_MAX", 120.0)
        if max_wait < 0:
            raise ValueError(f"WARCLOOM_RETRY_AFTER_MAX must be >= 0, got {max_wait}")
        middleware = cls(crawler.settings, max_wait)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        wait = retry_after_seconds(response) if response.status in RETRY_AFTER_STATUSES else None
        if not wait:
            return super().process_response(request, response)
        stats = self.crawler.stats
        if wait > self.max_wait:
            logger.warning(
                "%s asks to wait %.0f s (Retry-After), over WARCLOOM_RETRY_AFTER_MAX=%.0f s: "
                "not waiting, retrying or giving up as without it",
                request.url,
                wait,
                self.max_wait,
            )
            if stats is not None:
                stats.inc_value("warcloom/retry_after/over_max")
            return super().process_response(request, response)
        if stats is not None:
            stats.inc_value("warcloom/retry_after/waited")
        result = super().process_response(request, response)
        if self._pausing is None:
            self._pausing = _can_pause_slots(self.crawler)
            if not self._pausing:
                logger.warning("Cannot pause download slots: only retries wait for Retry-After")
                if stats is not None:
                    stats.set_value("warcloom/retry_after/fallback", 1)
        if self._pausing:
            self._pause_slot(request, wait)
        elif isinstance(result, Request):
            from twisted.internet import reactor

            await maybe_deferred_to_future(deferLater(reactor, wait))  # not the reactor
        logger.info("Waiting %.1f s before more of %s (Retry-After)", wait, request.url)
        return result

    def _pause_slot(self, request: Request, wait: float) -> None:
        """No request leaves the request's download slot for ``wait`` seconds."""
        downloader = self.crawler.engine.downloader  # type: ignore[union-attr]
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        until = time.monotonic() + wait
        if self._paused_until.get(key, 0.0) >= until:
            return
        self._paused_until[key] = until
        if slot.latercall:  # a DOWNLOAD_DELAY wait or a shorter pause: replaced
            slot.latercall.cancel()
        slot.latercall = call_later(wait, self._resume, downloader, slot, key)

    def _resume(self, downloader: Any, slot: Any, key: str) -> None:
        if self._paused_until.get(key, 0.0) <= time.monotonic():
            self._paused_until.pop(key, None)
        downloader._latercall(slot)
