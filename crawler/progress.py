"""Live progress line on a terminal, and the end-of-crawl summary."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from crawler.config import crawler_config

__all__ = ["ProgressExtension", "format_summary"]

logger = logging.getLogger(__name__)


def _by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


def format_summary(stats: Mapping[str, Any]) -> str:
    """Pages by status and language, files, bytes and failures, from crawl stats."""
    statuses = _by_prefix(stats, "warcloom/captures/status/")
    languages = _by_prefix(stats, "warcloom/pages/lang/")
    failures = {
        "fetch errors": stats.get("warcloom/fetch_errors", 0),
        "extraction errors": stats.get("warcloom/extraction_errors", 0),
        "truncated bodies": stats.get("warcloom/captures/truncated", 0),
        "refused (robots.txt)": stats.get("robotstxt/forbidden", 0),
        "refused (private address)": stats.get("warcloom/refused/private_address", 0),
        "WARC write errors": stats.get("warcloom/write_errors", 0),
        "not archived": stats.get("warcloom/not_archived", 0),
    }
    lines = [
        f"captures: {stats.get('warcloom/captures', 0)}  pages analysed: "
        f"{stats.get('warcloom/pages', 0)}",
        "  by status: " + (", ".join(f"{k}: {v}" for k, v in statuses.items()) or "none"),
        "  by language: " + (", ".join(f"{k}: {v}" for k, v in languages.items()) or "none"),
        f"requisites: {stats.get('warcloom/requisites', 0)}, "
        f"{stats.get('warcloom/requisites/bytes', 0):,} bytes",
        f"WARC: {stats.get('warcloom/files', 0)} file(s), {stats.get('warcloom/records', 0)} "
        f"records, {stats.get('warcloom/bytes', 0):,} bytes",
        "failures: " + ", ".join(f"{k}: {v}" for k, v in failures.items()),
    ]
    if "warcloom/render/pages" in stats:
        lines.append(_rendered(stats))
    return "\n".join(lines)


def _rendered(stats: Mapping[str, Any]) -> str:
    """What the browser did (``--render``): pages, their exchanges, what went wrong."""
    counts = {
        name: stats.get(f"warcloom/render/{key}", 0)
        for name, key in (
            ("browser responses", "responses"),
            ("failed requests", "failed_requests"),
            ("timed out", "timeouts"),
            ("errors", "errors"),
            ("refused (private address)", "refused"),
        )
    }
    return f"rendered: {stats['warcloom/render/pages']} page(s), " + ", ".join(
        f"{k}: {v}" for k, v in counts.items()
    )


class ProgressExtension:
    """Rewrites one status line per second on a terminal; silent when piped."""

    def __init__(self, crawler: Crawler, stream: TextIO, enabled: bool) -> None:
        self.crawler = crawler
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        mode = crawler_config(crawler).progress
        enabled = mode == "on" or (mode == "auto" and sys.stderr.isatty())
        extension = cls(crawler, sys.stderr, enabled)
        crawler.signals.connect(extension._opened, signal=signals.spider_opened)
        crawler.signals.connect(extension._closed, signal=signals.spider_closed)
        return extension

    def _opened(self) -> None:
        self.started = time.monotonic()
        if self.enabled:
            self._loop = task.LoopingCall(self.render)
            self._loop.start(1.0, now=False)

    def render(self) -> str:
        stats = self.crawler.stats.get_stats()
        requisites = stats.get("warcloom/requisites", 0)
        pages = stats.get("warcloom/captures", 0) - requisites
        elapsed = max(time.monotonic() - self.started, 1e-6)
        queued = self._queued(stats)
        errors = sum(
            stats.get(f"warcloom/{key}", 0)
            for key in ("fetch_errors", "extraction_errors", "write_errors")
        )
        line = (
            f"pages {pages}  {pages / elapsed:.1f}/s  queued {queued}  requisites {requisites}  "
            f"errors {errors}  "
            f"WARC {stats.get('warcloom/bytes', 0) / 1e6:.1f} MB"
        )
        if self.enabled:
            self.stream.write("\r\x1b[K" + line)
            self.stream.flush()
        return line

    def _queued(self, stats: Mapping[str, Any]) -> int:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        try:
            return len(scheduler)  # type: ignore[arg-type]
        except TypeError:  # a scheduler without __len__: estimate from its stats
            return stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0)

    def _closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.enabled:  # leave the final figures on screen
            self.render()
            self.stream.write("\n")
        logger.info("warcloom summary\n%s", format_summary(self.crawler.stats.get_stats()))
