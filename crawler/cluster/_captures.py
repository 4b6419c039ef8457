"""The cluster's last-captures table in Redis: any worker's captures, for every worker's recrawl.

A host moves between workers from run to run, and each worker writes its own collection;
so a worker's :class:`~archive.collection.LastCaptures` is given this table too
(:meth:`~archive.collection.LastCaptures.share`): what a worker captures (a 2xx response,
a revisit that confirms one) and the analysis of each page (links, requisites, clean text)
are published here, and a look-up reads here too. Two hashes under the crawl's key prefix,
both keyed by the URL key (:func:`archive.index.url_key`):

=============  ===========================================================================
``captures``   the URL's last capture (:func:`archive.collection.encode_capture`: record
               and payload record IDs and dates, status, payload digest, validators, text
               hash), whoever made it
``analyses``   the analysis of a capture's payload (zlib-compressed JSON: that payload's
               record ID, links, requisites, clean text, text hash); a reader ignores one
               that is not of the capture's payload
=============  ===========================================================================

Both are read in one ``MULTI`` (a consistent pair); writes are buffered and sent with the
frontier's own flushes, before the acknowledgements of the pages they came from (a page
acknowledged has its capture published). They outlive a crawl: the end-of-crawl reset
keeps them, they are what the next run compares with. A look-up Redis does not answer
counts as a miss (the page is fetched in full, compared with the worker's own collection);
what cannot be published is kept and sent again, and counted if still unsent at close.
"""

from __future__ import annotations

import itertools
import logging

import redis
from scrapy.statscollectors import StatsCollector

from crawler.cluster._guard import RedisDown, RedisGuard

__all__ = ["ANALYSES", "CAPTURES", "RedisLastCaptures"]

logger = logging.getLogger(__name__)

CAPTURES = "captures"
ANALYSES = "analyses"
PUBLISH_BATCH = 500  # keys per HSET


class RedisLastCaptures:
    """:class:`archive.collection.SharedTable` in Redis, through a worker's
    :class:`~crawler.cluster.RedisGuard` (an outage pauses the crawl as for the frontier)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        guard: RedisGuard,
        stats: StatsCollector | None = None,
    ) -> None:
        self.client = client
        self.captures_key = prefix + CAPTURES
        self.analyses_key = prefix + ANALYSES
        self.guard = guard
        self.stats = stats
        self._captures: dict[str, bytes] = {}  # published, not sent yet
        self._analyses: dict[str, bytes] = {}
        self._degraded = False

    @property
    def pending(self) -> int:
        return len(self._captures) + len(self._analyses)

    def fetch(self, key: str) -> tuple[bytes | None, bytes | None]:
        try:
            capture, analysis = self.guard.call(self._read, key)
        except RedisDown as exc:
            self._inc("warcloom/cluster/captures/lookup_failed")
            if not self._degraded:
                self._degraded = True
                logger.warning(
                    "cluster: last captures cannot be looked up in Redis (%s): pages are "
                    "compared with this worker's collection only (fetched in full when it "
                    "has no capture of them) until Redis answers",
                    exc,
                )
            return None, None
        if self._degraded:
            self._degraded = False
            logger.info("cluster: last captures are looked up in Redis again")
        self._inc("warcloom/cluster/captures/lookups")
        # what this worker published and has not sent yet is newer than Redis's
        capture = self._captures.get(key, capture)
        analysis = self._analyses.get(key, analysis)
        if capture is not None:
            self._inc("warcloom/cluster/captures/found")
        return capture, analysis

    def _read(self, key: str) -> tuple[bytes | None, bytes | None]:
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(self.captures_key, key)
        pipe.hget(self.analyses_key, key)
        capture, analysis = pipe.execute()
        return capture, analysis

    def publish(self, key: str, capture: bytes | None, analysis: bytes | None) -> None:
        if capture is not None:
            self._captures[key] = capture
        if analysis is not None:
            self._analyses[key] = analysis

    def send(self) -> None:
        """Send what was published, in batches of one ``MULTI`` each. Raises
        :class:`RedisDown` (what was not sent is kept for the next call)."""
        while self._captures or self._analyses:
            captures = dict(itertools.islice(self._captures.items(), PUBLISH_BATCH))
            analyses = dict(itertools.islice(self._analyses.items(), PUBLISH_BATCH))
            self.guard.call(self._write, captures, analyses)
            for key in captures:
                del self._captures[key]
            for key in analyses:
                del self._analyses[key]
            self._inc("warcloom/cluster/captures/published", len(captures))
            self._inc("warcloom/cluster/analyses/published", len(analyses))

    def _write(self, captures: dict[str, bytes], analyses: dict[str, bytes]) -> None:
        pipe = self.client.pipeline(transaction=True)
        if captures:
            pipe.hset(self.captures_key, mapping=captures)  # type: ignore[arg-type]
        if analyses:
            pipe.hset(self.analyses_key, mapping=analyses)  # type: ignore[arg-type]
        pipe.execute()

    def flush(self) -> None:
        """A last :meth:`send` (at close): what is still unsent is counted and said."""
        if not self.pending:
            return
        try:
            self.send()
        except RedisDown as exc:
            self._inc("warcloom/cluster/captures/unpublished", self.pending)
            logger.warning(
                "cluster: %d last capture(s) and analyses not published to Redis (%s): the "
                "next run compares those pages with this worker's collection only",
                self.pending,
                exc,
            )

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)
