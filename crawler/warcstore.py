"""The crawl's WARC store: one writer per crawl, shared by the capture middleware and
the metadata pipeline, and the collection's CDXJ index brought up to date at close."""

from __future__ import annotations

import logging
import os
import platform
import socket
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from warcio.recordloader import ArcWarcRecord

from archive.writer import RecordLocation, WarcWriter, recover_open_files
from crawler.config import WarcloomConfig, crawler_config

__all__ = ["WarcStoreExtension"]

logger = logging.getLogger(__name__)

WARC_1_1 = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
FIDELITY_NOTE = (
    "HTTP records are reconstructed from what Scrapy exposes: body bytes as received "
    "(content-encoding kept, transfer-encoding removed), headers with Scrapy's name casing, "
    "standard reason phrases, Content-Length set to the stored length "
    "(the original kept as X-Crawler-Content-Length)."
)


def _software() -> str:
    names = ("warcloom", "scrapy", "warcio", "trafilatura", "langdetect")
    parts = [f"{name}/{version(name)}" for name in names]
    return " ".join([*parts, f"python/{platform.python_version()}"])


class WarcStoreExtension:
    """Owns the :class:`WarcWriter` of a crawl and the collection's index."""

    def __init__(self, crawler: Crawler, config: WarcloomConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.stats = crawler.stats
        settings = crawler.settings
        self.coll = config.coll
        self.lock = self.coll.lock()
        self.lock.acquire("a crawl")  # before anything of the collection is touched
        self.coll.make_dirs()
        self.journal = self.coll.journal_path
        recovered = recover_open_files(self.coll.archive_dir)
        if recovered:
            logger.warning("Recovered %d WARC file(s) left open by a killed crawl", len(recovered))
        for path in recovered:
            self._remember(path)
        info = {
            "software": _software(),
            "hostname": socket.gethostname(),
            "operator": config.operator or None,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "isPartOf": config.collection,
            "description": FIDELITY_NOTE,
            "conformsTo": WARC_1_1,
        }
        self.writer = WarcWriter(
            self.coll.archive_dir,
            prefix=config.prefix,
            max_size=config.warc_max_size,
            info=info,
            on_close=self._file_closed,
        )
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcStoreExtension:
        return cls(crawler, crawler_config(crawler))

    def write(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Write a group of records to the current file and count them."""
        locations = self.writer.write(records)
        if self.stats is not None:
            self.stats.inc_value("warcloom/records", len(records))
            self.stats.set_value("warcloom/bytes", self.writer.bytes_written)
        return locations

    def _remember(self, path: Path) -> None:
        """Journal a closed file until it is indexed: a killed crawl's files get indexed later."""
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(path.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _unindexed(self) -> list[Path]:
        if not self.journal.exists():
            return []
        names = dict.fromkeys(self.journal.read_text(encoding="utf-8").split())
        paths = [self.coll.archive_dir / name for name in names]
        return [p for p in paths if p.exists()]

    def _file_closed(self, path: Path) -> None:
        self._remember(path)
        if self.stats is not None:
            self.stats.inc_value("warcloom/files")

    def close(self) -> list[Path]:
        """Close the writer and index every closed file not indexed yet (this crawl's and
        those a killed crawl left)."""
        try:
            self.writer.close()
            files = self._unindexed()
            if files:
                self.coll.update_index(files)
                self.journal.unlink()
                logger.info("Indexed %d WARC file(s) into %s", len(files), self.coll.index_path)
        finally:
            self.lock.release()
        return files

    def _spider_closed(self, spider: object, reason: str) -> None:
        self.close()
