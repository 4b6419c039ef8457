"""Incremental recrawls: ask only for what changed, store only what changed, say what changed.

:class:`RecrawlMiddleware` (downloader middleware at 960, just outside the capture
middleware) looks every request's URL up in the collection (its newest 2xx capture, from the
collection's :class:`archive.collection.LastCaptures` table):

* a URL captured before is asked for conditionally (``If-None-Match`` from its ETag,
  ``If-Modified-Since`` from its Last-Modified), unless it is a seed, a sitemap or a feed
  (``FRESH`` in its meta) or robots.txt, which are always fetched in full;
* a URL that is not due is not requested at all: the spider gets a ``not-requested``
  response and follows the links its stored analysis lists. Not due: captured more
  recently than ``WARCLOOM_REVISIT_AFTER`` (seconds); with ``WARCLOOM_REVISIT=adaptive``,
  more recently than its own interval (:class:`RevisitIntervals`); or a sitemap
  ``<lastmod>`` or feed date (``LASTMOD`` in its meta) no newer than its last capture;
* a 304 becomes a ``server-not-modified`` revisit record, a 2xx whose payload digest is the
  stored one an ``identical-payload-digest`` revisit record (the capture middleware writes
  them in place of the response), a 404/410 after a 2xx is ``gone``.

The change kind of the other captures (``new``, ``changed``, ``unchanged-text``) is decided
by the pipeline once the page is analysed (:mod:`archive.changes`).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.collection import LastCapture, LastCaptures
from archive.records import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, Revisit, sha1_digest
from crawler.config import crawler_config
from crawler.warcstore import WarcStoreExtension

__all__ = [
    "CHANGE",
    "FRESH",
    "LASTMOD",
    "NOT_REQUESTED",
    "PREVIOUS",
    "REVISIT",
    "RecrawlMiddleware",
    "RevisitIntervals",
]

logger = logging.getLogger(__name__)

PREVIOUS = "warcloom_previous"  # meta: the URL's LastCapture
CHANGE = "warcloom_change"  # meta: the change kind decided at download
REVISIT = "warcloom_revisit"  # meta: the Revisit the capture middleware writes
FRESH = "warcloom_fresh"  # meta: a seed, sitemap or feed: fetched in full
LASTMOD = "warcloom_lastmod"  # meta: the page's date in the sitemap or feed that listed it
NOT_REQUESTED = "not-requested"  # response flag: answered from the collection's records
_KEPT_STATUSES = (304, 404, 410)  # let through to the spider when a capture came before


_UNCHANGED = ("not-modified", "identical", "unchanged-text")
_SAVE_EVERY = 200  # interval updates between commits


class RevisitIntervals:
    """The adaptive policy's per-URL intervals, kept with the collection (SQLite): doubled
    each time a capture is found unchanged, back to the minimum after a change, between
    ``minimum`` and ``maximum`` seconds; a URL never seen is due after the minimum."""

    def __init__(self, path: Path, minimum: float, maximum: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.minimum, self.maximum = minimum, maximum
        self.unsaved = 0
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS intervals (url TEXT PRIMARY KEY, seconds REAL NOT NULL)"
        )

    def interval(self, url: str) -> float:
        row = self.db.execute("SELECT seconds FROM intervals WHERE url = ?", (url,)).fetchone()
        return self.minimum if row is None else min(max(row[0], self.minimum), self.maximum)

    def record(self, url: str, kind: str) -> None:
        """A capture of ``url`` of change kind ``kind`` was stored."""
        if kind == "gone":
            self.db.execute("DELETE FROM intervals WHERE url = ?", (url,))
        else:
            seconds = min(self.interval(url) * 2, self.maximum) if kind in _UNCHANGED else None
            self.db.execute(
                "INSERT OR REPLACE INTO intervals VALUES (?, ?)", (url, seconds or self.minimum)
            )
        self.unsaved += 1
        if self.unsaved >= _SAVE_EVERY:
            self.db.commit()
            self.unsaved = 0

    def close(self) -> None:
        self.db.commit()
        self.db.close()


class RecrawlMiddleware:
    """Conditional requests, the revisit policy, revisits and the download-time change
    kinds."""

    def __init__(
        self,
        crawler: Crawler,
        last_captures: LastCaptures,
        revisit_after: float,
        intervals: RevisitIntervals | None,
    ) -> None:
        self.last_captures = last_captures
        self.stats = crawler.stats
        self.revisit_after = timedelta(seconds=revisit_after) if revisit_after > 0 else None
        self.intervals = intervals

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecrawlMiddleware:
        config = crawler_config(crawler)
        settings = crawler.settings
        if settings.get("WARCLOOM_FROM_ARCHIVE"):
            raise NotConfigured("answering from an archive: nothing is fetched again")
        intervals = None
        if settings.get("WARCLOOM_REVISIT", "always") == "adaptive":
            intervals = RevisitIntervals(
                config.coll.revisit_state_path,
                settings.getfloat("WARCLOOM_REVISIT_MIN", 3600.0),
                settings.getfloat("WARCLOOM_REVISIT_MAX", 30 * 86400.0),
            )
            crawler.signals.connect(intervals.close, signal=signals.spider_closed)
        revisit_after = settings.getfloat("WARCLOOM_REVISIT_AFTER", 0.0)
        store = crawler.get_extension(WarcStoreExtension)
        if store is None:
            raise NotConfigured("RecrawlMiddleware needs crawler.warcstore.WarcStoreExtension")
        return cls(crawler, store.last_captures, revisit_after, intervals)

    def not_due(self, request: Request, previous: LastCapture) -> bool:
        """Whether the policy says ``request``'s URL need not be fetched in this run."""
        age = datetime.now(UTC) - previous.date
        if self.revisit_after is not None and age < self.revisit_after:
            return True
        if self.intervals is not None and age.total_seconds() < self.intervals.interval(
            request.url
        ):
            return True
        listed: datetime | None = request.meta.get(LASTMOD)
        return listed is not None and listed <= previous.date

    def process_request(self, request: Request) -> Response | None:
        if PREVIOUS in request.meta or request.method != "GET":
            return None
        previous = self.last_captures.get(request.url)
        request.meta[PREVIOUS] = previous
        if previous is None or request.meta.get(FRESH) or _is_robots_txt(request.url):
            return None
        if self.not_due(request, previous):
            self._inc("warcloom/recrawl/not_requested")
            return Response(request.url, flags=[NOT_REQUESTED], request=request)
        if previous.etag:
            request.headers.setdefault(b"If-None-Match", previous.etag.encode("latin-1"))
        if previous.last_modified:
            request.headers.setdefault(
                b"If-Modified-Since", previous.last_modified.encode("latin-1")
            )
        kept = request.meta.get("handle_httpstatus_list", [])
        request.meta["handle_httpstatus_list"] = [*kept, *_KEPT_STATUSES]
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        previous: LastCapture | None = request.meta.get(PREVIOUS)
        if previous is None or NOT_REQUESTED in response.flags:
            return response
        if response.url != request.url:  # a redirect's target is another URL's capture
            return response
        status = response.status
        if status == 304:
            request.meta[REVISIT] = _revisit(REVISIT_NOT_MODIFIED, previous)
            request.meta[CHANGE] = "not-modified"
        elif (
            200 <= status < 300
            and "dataloss" not in response.flags
            and sha1_digest(response.body) == f"sha1:{previous.digest}"
        ):
            request.meta[REVISIT] = _revisit(REVISIT_IDENTICAL, previous)
            request.meta[CHANGE] = "identical"
        elif status in (404, 410):
            request.meta[CHANGE] = "gone"
        return response

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def _is_robots_txt(url: str) -> bool:
    """robots.txt is always fetched in full: the rules must be today's."""
    return urlsplit(url).path == "/robots.txt"


def _revisit(profile: str, previous: LastCapture) -> Revisit:
    return Revisit(
        profile=profile,
        record_id=previous.payload_id,
        target_uri=previous.url,
        date=previous.payload_date,
        payload_digest=f"sha1:{previous.digest}",
    )
