"""Item pipeline that stores each page's analysis next to its capture."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from archive.analysis import build_analysis_records
from archive.extraction import extractor_info
from archive.writer import WarcWriteError
from crawler.config import WarcloomConfig
from crawler.items import PageItem
from crawler.warcstore import WarcStoreExtension

__all__ = ["WarcMetadataPipeline"]

logger = logging.getLogger(__name__)


class WarcMetadataPipeline:
    """Writes a metadata record and, when there is text, a conversion record per page."""

    def __init__(self, crawler: Crawler, store: WarcStoreExtension, config: WarcloomConfig):
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
        if not isinstance(item, PageItem):
            return item
        analysis = item.analysis
        fields = {
            "via": item.via,
            "hops-from-seed": item.depth,
            "fetch-time-ms": round(item.fetch_ms, 1),
            "status": item.status,
            "extractor": self.extractor,
            **analysis.metadata_fields(),
        }
        records = build_analysis_records(
            item.url, item.response_id, item.capture_date, fields, analysis.title, analysis.text
        )
        try:
            self.store.write(records)
        except WarcWriteError as exc:  # the crawl is stopping (see WarcStoreExtension)
            if self.stats is not None:
                self.stats.inc_value("warcloom/not_archived/analyses")
            raise DropItem(f"analysis not archived: {exc}", log_level="DEBUG") from None
        self._count(item)
        return item

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
