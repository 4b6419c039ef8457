"""Stopping a crawl promptly: on Ctrl-C or SIGTERM, or when the archive or the frontier
cannot be written.

A stop closes the spider with a reason (``shutdown``, ``warc_write_error``,
``frontier_write_error``): the engine takes no more requests from the frontier, and the
requests waiting in the downloader for their turn (``DOWNLOAD_DELAY``) are dropped. The
requests already on the wire get ``WARCLOOM_STOP_GRACE`` seconds (float, default 3) to
finish; after that they are abandoned and the spider is closed without them: the WARC store
closes and indexes its files, the frontier commits with those requests still in flight, so
the next run fetches them again.

Pages already downloaded are still analysed and archived while the close waits.

The first SIGINT or SIGTERM says ``stopping, closing files (Ctrl-C again to force)`` on
stderr and stops as above. A second one ends the process at once (exit 130), as a kill
would: the file left ``.open`` is cut back to its last whole record and indexed when the
next run starts, and the message names it.

Dropping waiting requests reads Scrapy's downloader slots (``Downloader.slots``, each with a
``queue`` of ``(request, deferred)``), as AutoThrottle does; without them (another Scrapy)
the waiting requests are abandoned with the ones in flight (logged once,
``warcloom/stop/no_downloader_queue`` in the stats).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.ossignal import install_shutdown_handlers

from crawler.config import crawler_config

__all__ = ["StopExtension", "stop_crawl"]

logger = logging.getLogger(__name__)

STOPPING = b"warcloom: stopping, closing files (Ctrl-C again to force)\n"
FORCED_EXIT = 130  # 128 + SIGINT, as a shell reports it


def stop_crawl(crawler: Crawler, reason: str, message: str, *, hold_progress: bool = False) -> None:
    """Stop ``crawler`` promptly with ``reason``; ``message`` says why, for the user.

    ``hold_progress``: what is fetched from now on cannot be archived in full, so the frontier
    marks no request done any more (its ``hold_progress()``): the next run fetches them again.
    """
    if hold_progress:
        scheduler = crawler.engine.scheduler if crawler.engine is not None else None
        hold = getattr(scheduler, "hold_progress", None)
        if hold is not None:
            hold()
    built = getattr(crawler, "extensions", None) is not None
    extension = crawler.get_extension(StopExtension) if built else None
    if extension is not None:
        extension.stop(reason, message)
        return
    logger.error("%s: stopping the crawl", message)  # without the extension: a plain close
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=reason))


class StopExtension:
    """Stops the crawl on a signal or on request (:func:`stop_crawl`), promptly."""

    def __init__(self, crawler: Crawler, grace: float) -> None:
        self.crawler = crawler
        self.grace = grace
        self.reason: str | None = None
        self.closed = False
        self._deadline: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopExtension:
        extension = cls(crawler, crawler.settings.getfloat("WARCLOOM_STOP_GRACE", 3.0))
        crawler.signals.connect(extension._engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension._spider_closed, signal=signals.spider_closed)
        return extension

    # -- signals -------------------------------------------------------------------------

    def _engine_started(self) -> None:
        # after Scrapy's own handlers (installed when the reactor started): ours replace them
        install_shutdown_handlers(self._first_signal)

    def _first_signal(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        _say(STOPPING)  # at once, from the handler: os.write is safe there, logging is not
        install_shutdown_handlers(self._second_signal)
        name = signal.Signals(signum).name
        reactor.callFromThread(self.stop, "shutdown", f"{name} received")

    def _second_signal(self, signum: int, _: Any) -> None:
        install_shutdown_handlers(signal.SIG_IGN)
        left = sorted(crawler_config(self.crawler).coll.archive_dir.glob("*.open"))
        names = ", ".join(str(p) for p in left) or "the frontier"
        _say(f"warcloom: forced stop: the next run will repair {names}\n".encode())
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, RuntimeError):  # interrupted mid-write
                stream.flush()
        os._exit(FORCED_EXIT)

    # -- stopping ------------------------------------------------------------------------

    def stop(self, reason: str, message: str) -> None:
        """Close the spider with ``reason``; abandon what is in flight after the grace."""
        if self.reason is not None or self.closed:
            return
        self.reason = reason
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("warcloom/stop/reason", reason)
            stats.set_value("warcloom/stop/message", message)
        if reason == "shutdown":
            logger.warning("%s: stopping, closing files", message)
        else:
            logger.error("%s: stopping the crawl", message)
        engine = self.crawler.engine
        if engine is None or engine.spider is None:  # not started yet
            deferred_from_coro(self.crawler.stop_async())
            return
        closing = deferred_from_coro(engine.close_spider_async(reason=reason))
        closing.addErrback(lambda f: logger.error("closing the spider failed: %s", f.value))
        self._drop_waiting()
        from twisted.internet import reactor

        self._deadline = reactor.callLater(self.grace, self._abandon)

    def _drop_waiting(self) -> None:
        """Fail the requests waiting for their turn in the downloader: none is fetched."""
        assert self.crawler.engine is not None
        slots = getattr(self.crawler.engine.downloader, "slots", None)
        queues = [getattr(slot, "queue", None) for slot in (slots or {}).values()]
        if slots is None or any(queue is None for queue in queues):
            logger.warning("Scrapy's downloader has no slot queues: waiting requests abandoned")
            self._inc("warcloom/stop/no_downloader_queue")
            return
        dropped = 0
        for queue in queues:
            while queue:
                _, deferred = queue.popleft()
                deferred.errback(IgnoreRequest(f"crawl stopping ({self.reason})"))
                dropped += 1
        self._inc("warcloom/stop/dropped_waiting", dropped)

    def _abandon(self) -> None:
        """The grace is over: close without the requests still on the wire, and end. Pages
        downloaded and still being analysed are waited for (the extraction timeout bounds
        that): abandoning them would lose finished work."""
        from twisted.internet import reactor

        self._deadline = None
        engine = self.crawler.engine
        if self.closed or engine is None:
            return
        if not engine.downloader.active:
            self._deadline = reactor.callLater(0.5, self._abandon)
            return
        deferred_from_coro(self._close_without_waiting())

    async def _close_without_waiting(self) -> None:
        from twisted.internet import reactor

        engine, reason = self.crawler.engine, self.reason or "shutdown"
        spider = engine.spider if engine is not None else None
        in_flight = len(engine.downloader.active) if engine is not None else 0
        logger.warning(
            "%d request(s) still in flight after %.1f s: abandoned (fetched again by the next run)",
            in_flight,
            self.grace,
        )
        self._inc("warcloom/stop/abandoned", in_flight)
        scheduler = engine.scheduler if engine is not None else None
        try:  # what the engine's close does once the requests in flight are done
            if scheduler is not None and hasattr(scheduler, "close"):
                scheduler.close(reason)
            if spider is not None and not self.closed:
                await self.crawler.signals.send_catch_log_async(
                    signal=signals.spider_closed, spider=spider, reason=reason
                )
            if self.crawler.stats is not None:
                self.crawler.stats.close_spider(reason=reason)
        finally:
            self.crawler.crawling = False  # nothing left for Scrapy's stop to wait for
            if reactor.running:
                reactor.stop()

    def _spider_closed(self) -> None:
        self.closed = True
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(key, count)


def _say(message: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.write(sys.stderr.fileno(), message)
