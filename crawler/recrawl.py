"""Incremental recrawls: ask only for what changed, store only what changed, say what changed.

:class:`RecrawlMiddleware` (downloader middleware at 960, just outside the capture
middleware) looks every request's URL up in the collection (its newest 2xx capture:
:meth:`archive.collection.Collection.last_capture`):

* a URL captured before is asked for conditionally (``If-None-Match`` from its ETag,
  ``If-Modified-Since`` from its Last-Modified), unless it is a seed, a sitemap or a feed
  (``FRESH`` in its meta), which are always fetched in full;
* with ``WARCLOOM_REVISIT_AFTER`` (seconds), a URL captured more recently than that is not
  requested at all: the spider gets a ``not-requested`` response and follows the links
  its stored analysis lists;
* a 304 becomes a ``server-not-modified`` revisit record, a 2xx whose payload digest is the
  stored one an ``identical-payload-digest`` revisit record (the capture middleware writes
  them in place of the response), a 404/410 after a 2xx is ``gone``.

The change kind of the other captures (``new``, ``changed``, ``unchanged-text``) is decided
by the pipeline once the page is analysed (:mod:`archive.changes`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.collection import Collection, LastCapture
from archive.links import Link
from archive.records import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, Revisit, sha1_digest
from crawler.config import crawler_config

__all__ = [
    "CHANGE",
    "FRESH",
    "NOT_REQUESTED",
    "PREVIOUS",
    "REVISIT",
    "RecrawlMiddleware",
    "stored_links",
]

logger = logging.getLogger(__name__)

PREVIOUS = "warcloom_previous"  # meta: the URL's LastCapture
CHANGE = "warcloom_change"  # meta: the change kind decided at download
REVISIT = "warcloom_revisit"  # meta: the Revisit the capture middleware writes
FRESH = "warcloom_fresh"  # meta: a seed, sitemap or feed: fetched in full
NOT_REQUESTED = "not-requested"  # response flag: answered from the collection's records
_KEPT_STATUSES = (304, 404, 410)  # let through to the spider when a capture came before


class RecrawlMiddleware:
    """Conditional requests, revisits and the download-time change kinds."""

    def __init__(self, crawler: Crawler, coll: Collection, revisit_after: float) -> None:
        self.coll = coll
        self.stats = crawler.stats
        self.revisit_after = timedelta(seconds=revisit_after) if revisit_after > 0 else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecrawlMiddleware:
        config = crawler_config(crawler)
        if crawler.settings.get("WARCLOOM_FROM_ARCHIVE"):
            raise NotConfigured("answering from an archive: nothing is fetched again")
        if not config.coll.index_path.exists():
            raise NotConfigured("a first crawl: nothing to revisit")
        revisit_after = crawler.settings.getfloat("WARCLOOM_REVISIT_AFTER", 0.0)
        return cls(crawler, config.coll, revisit_after)

    def process_request(self, request: Request) -> Response | None:
        if PREVIOUS in request.meta or request.method != "GET":
            return None
        previous = self.coll.last_capture(request.url)
        request.meta[PREVIOUS] = previous
        if previous is None or request.meta.get(FRESH):
            return None
        if self.revisit_after and datetime.now(UTC) - previous.date < self.revisit_after:
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


def _revisit(profile: str, previous: LastCapture) -> Revisit:
    return Revisit(
        profile=profile,
        record_id=previous.payload_id,
        target_uri=previous.url,
        date=previous.payload_date,
        payload_digest=f"sha1:{previous.digest}",
    )


def stored_links(coll: Collection, previous: LastCapture) -> list[Link]:
    """The links the stored analysis of a capture lists (none if it has none)."""
    value = coll.analysis(previous.url, previous.payload_id).metadata.get("links")
    links = []
    for item in value if isinstance(value, list) else []:
        try:
            links.append(Link.from_json(item))
        except (KeyError, TypeError, ValueError):
            continue
    return links
