"""The crawl's line in its collection's history, written when the crawl ends."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from archive.changes import CHANGE_KINDS
from archive.collection import Outcome, Run
from crawler.config import crawler_config

__all__ = ["RunHistoryExtension", "outcome_of"]

logger = logging.getLogger(__name__)

_FAILURE_STATS = ("warcloom/fetch_errors", "warcloom/extraction_errors")


def outcome_of(finish_reason: str | None) -> Outcome:
    """``finished`` (also a Scrapy CLOSESPIDER_* limit), ``interrupted`` (a signal), or
    ``failed`` (anything else: an error stopped it)."""
    if finish_reason == "finished" or (finish_reason or "").startswith("closespider_"):
        return "finished"
    if finish_reason == "shutdown":
        return "interrupted"
    return "failed"


class RunHistoryExtension:
    """Appends a :class:`archive.collection.Run` to the collection's history at close."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.coll = crawler_config(crawler).coll
        self.job = crawler.settings.get("WARCLOOM_JOB") or None
        self.started = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHistoryExtension:
        extension = cls(crawler)
        crawler.signals.connect(extension._closed, signal=signals.spider_closed)
        return extension

    def _closed(self, spider: object, reason: str) -> None:
        stats: dict[str, Any] = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counts = {
            kind: int(stats[f"warcloom/change/{kind}"])
            for kind in CHANGE_KINDS
            if stats.get(f"warcloom/change/{kind}")
        }
        outcome = outcome_of(reason)
        note = "" if reason == "finished" else f"finish reason: {reason}"
        if stats.get("warcloom/cluster/enqueue_only") and outcome == "finished":
            # pushed into the shared crawl, fetched by its workers (they record their own)
            outcome = "enqueued"
            counts = {"enqueued": int(stats.get("warcloom/cluster/pushed", 0))}
            dups = int(stats.get("warcloom/cluster/duplicates", 0))
            note = f"start requests pushed to the shared crawl; {dups} were there already"
        run = Run(
            started=self.started,
            finished=datetime.now(UTC),
            outcome=outcome,
            counts=counts,
            failures=sum(int(stats.get(key, 0)) for key in _FAILURE_STATS),
            bytes=int(stats.get("warcloom/bytes", 0)),
            job=self.job,
            note=note,
        )
        try:
            self.coll.record_run(run)
        except OSError as exc:
            logger.error("Cannot write the run to %s: %s", self.coll.history_path, exc)
