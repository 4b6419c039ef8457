"""Item pipeline that stores each page's analysis next to its capture, with what changed
since the page's last capture (:mod:`archive.changes`): ``change`` and
``previous-capture`` in the metadata record make each article's version chain readable
from the WARC files alone."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from archive.analysis import build_analysis_records, text_hash
from archive.changes import Change, compare_texts
from archive.collection import Outlinks
from archive.extraction import extractor_info
from archive.records import build_metadata_record, warc_date
from archive.writer import WarcWriteError
from crawler.config import WarcloomConfig
from crawler.items import PageItem, RevisitItem
from crawler.recrawl import RecrawlMiddleware
from crawler.warcstore import WarcStoreExtension

__all__ = ["WarcMetadataPipeline"]

logger = logging.getLogger(__name__)


class WarcMetadataPipeline:
    """Writes a metadata record and, when there is text, a conversion record per page."""

    def __init__(self, crawler: Crawler, store: WarcStoreExtension, config: WarcloomConfig):
        self.crawler = crawler
        self.store = store
        self.stats = crawler.stats
        self.extractor = extractor_info(config.extraction) if config.extract else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMetadataPipeline:
        store = crawler.get_extension(WarcStoreExtension)
        if store is None:
            raise NotConfigured("WarcMetadataPipeline needs crawler.warcstore.WarcStoreExtension")
        return cls(crawler, store, store.config)

    def process_item(self, item: Any) -> Any:
        try:
            if isinstance(item, RevisitItem):
                self._revisit(item)
            elif isinstance(item, PageItem):
                self._page(item)
        except WarcWriteError as exc:  # the crawl is stopping (see WarcStoreExtension)
            if self.stats is not None:
                self.stats.inc_value("warcloom/not_archived/analyses")
            raise DropItem(f"analysis not archived: {exc}", log_level="DEBUG") from None
        return item

    def _page(self, item: PageItem) -> None:
        analysis = item.analysis
        change = self._change(item)
        fields = {
            **_capture_fields(item, change.to_json()),
            "extractor": self.extractor,
            **analysis.metadata_fields(),
            "rendered": item.rendered,
        }
        records = build_analysis_records(
            item.url, item.response_id, item.capture_date, fields, analysis.title, analysis.text
        )
        locations = self.store.write(records)
        text_at = locations[1] if len(locations) > 1 else None  # the conversion record's
        outlinks = Outlinks(list(analysis.links), list(analysis.requisites))
        self.store.last_captures.analysed(
            item.url, item.response_id, outlinks, analysis.text or "", text_at
        )
        self._count(item)
        self._count_change(item.url, change.kind)

    def _revisit(self, item: RevisitItem) -> None:
        fields = _capture_fields(item, {"kind": item.change})
        date = item.capture_date
        self.store.write([build_metadata_record(item.url, item.response_id, date, fields)])
        self._count_change(item.url, item.change)

    def _change(self, item: PageItem) -> Change:
        """``new``, ``unchanged-text`` or ``changed`` (with counts) against the text of the
        page's previous capture."""
        previous = item.previous
        if previous is None:
            return Change("new")
        after = item.analysis.text or ""
        if previous.text_hash is not None and previous.text_hash == text_hash(after):
            return Change("unchanged-text")  # the previous text need not be read
        before = self.store.last_captures.text(previous)
        return compare_texts(before, after)

    def _count_change(self, url: str, kind: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"warcloom/change/{kind}")
        recrawl = self.crawler.get_downloader_middleware(RecrawlMiddleware)
        if recrawl is not None and recrawl.intervals is not None:
            recrawl.intervals.record(url, kind)

    def _count(self, item: PageItem) -> None:
        if self.stats is None:
            return
        analysis = item.analysis
        self.stats.inc_value("warcloom/pages")
        if analysis.errors:
            self.stats.inc_value("warcloom/extraction_errors")
            logger.warning("Analysis problem on %s: %s", item.url, analysis.errors)
        if analysis.languages is not None and analysis.text:
            self.stats.inc_value(f"warcloom/pages/lang/{analysis.languages.primary()}")


def _capture_fields(item: PageItem | RevisitItem, change: dict[str, Any]) -> dict[str, Any]:
    """The metadata fields every capture gets: how it was reached, its change and the
    capture it follows (``previous-capture``: that record and its date)."""
    previous = item.previous
    return {
        "via": item.via,
        "hops-from-seed": item.depth,
        "fetch-time-ms": round(item.fetch_ms, 1),
        "status": item.status,
        "change": change,
        "previous-capture": None
        if previous is None
        else {"record-id": previous.record_id, "date": warc_date(previous.date)},
    }
