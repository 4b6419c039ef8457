"""The crawl's WARC store: one writer per crawl, shared by the capture middleware and
the metadata pipeline, and the collection's CDXJ index brought up to date at close.

When a write fails (disk full, I/O error) the store stops the crawl
(:func:`crawler.stopping.stop_crawl`, reason ``warc_write_error``) and refuses every later
write with the same :class:`~archive.writer.WarcWriteError`; what was written stays valid
(the file is cut back to its last whole record, closed and indexed at close).
"""

from __future__ import annotations

import errno
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

from archive.collection import LastCaptures
from archive.writer import RecordLocation, WarcWriteError, WarcWriter, recover_open_files
from crawler.config import WarcloomConfig, crawler_config
from crawler.stopping import stop_crawl

__all__ = ["WarcStoreExtension"]

logger = logging.getLogger(__name__)

WARC_1_1 = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
WIRE_HANDLER = "crawler.wire.WireHTTPDownloadHandler"
FIDELITY_NOTES = {
    True: "HTTP response records keep the status line and header lines as received "
    "(reason phrase, name casing, order, repeated headers) and the body bytes as received "
    "(content-encoding kept); the body arrives de-chunked, so Transfer-Encoding is renamed "
    "X-Crawler-Transfer-Encoding and Content-Length is the stored length (the original kept "
    "as X-Crawler-Content-Length).",
    False: "HTTP records are reconstructed from what Scrapy exposes: body bytes as received "
    "(content-encoding kept, transfer-encoding removed), headers with Scrapy's name casing, "
    "standard reason phrases, Content-Length set to the stored length "
    "(the original kept as X-Crawler-Content-Length).",
}


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
        self._failed = False
        self._pending: list[Path] = []  # closed, not indexed, not journaled (journal failed)
        self._written: set[str] = set()  # names of this run's files
        self.last_captures = LastCaptures(self.coll)
        self._closed = False
        recovered = recover_open_files(self.coll.archive_dir)
        if recovered:
            logger.warning("Recovered %d WARC file(s) left open by a killed crawl", len(recovered))
        for path in recovered:
            self._remember(path)
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        wire = all(handlers.get(scheme) == WIRE_HANDLER for scheme in ("http", "https"))
        if not wire and not settings.get("WARCLOOM_FROM_ARCHIVE"):
            logger.warning(
                "The wire-faithful HTTP handler is not in use (Scrapy's internals it needs are "
                "missing, or DOWNLOAD_HANDLERS says otherwise): response heads are rebuilt "
                "from Scrapy's view, and the warcinfo record says so"
            )
            if self.stats is not None:
                self.stats.set_value("warcloom/wire/fallback", 1)
        info = {
            "software": _software(),
            "hostname": socket.gethostname(),
            "operator": config.operator or None,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "isPartOf": config.collection,
            "description": FIDELITY_NOTES[wire],
            "conformsTo": WARC_1_1,
        }
        self.writer = WarcWriter(
            self.coll.archive_dir,
            prefix=config.prefix,
            max_size=config.warc_max_size,
            info=info,
            on_open=self._journal,
            on_close=self._file_closed,
        )
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcStoreExtension:
        return cls(crawler, crawler_config(crawler))

    def write(
        self, records: Sequence[ArcWarcRecord], *, last_captures: bool = True
    ) -> list[RecordLocation]:
        """Write a group of records to the current file and count them; with
        ``last_captures``, their 2xx responses become their URLs' last captures (not so for
        a browser's, which the crawl did not ask for).

        Raises :class:`~archive.writer.WarcWriteError` when they cannot be written (the
        first time, the crawl is stopped)."""
        if self._closed:  # records of a page abandoned by a stop (crawler.stopping)
            raise WarcWriteError(errno.EBADF, "the WARC store is closed", self.coll.archive_dir)
        try:
            locations = self.writer.write(records)
        except WarcWriteError as exc:
            self._inc("warcloom/write_errors")
            if self.writer.failure is exc and not self._failed:
                self._failed = True
                message = f"cannot write {_describe(exc)}"
                stop_crawl(self.crawler, "warc_write_error", message, hold_progress=True)
            raise
        if last_captures:
            self.last_captures.recorded(records)
        if self.stats is not None:
            self.stats.inc_value("warcloom/records", len(records))
            self.stats.set_value("warcloom/bytes", self.writer.bytes_written)
        return locations

    def _journal(self, path: Path) -> None:
        """Journal a file as not indexed yet, before it is created: whatever happens to the
        crawl (killed, disk full), the next run indexes it. Raises ``OSError``."""
        self._written.add(path.name)
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(path.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _remember(self, path: Path) -> None:
        """Journal a file a killed crawl left (or keep it in memory if that fails)."""
        try:
            self._journal(path)
        except OSError as exc:
            logger.error("Cannot journal %s as not indexed yet: %s", path.name, exc)
            self._pending.append(path)

    def _unindexed(self) -> list[Path]:
        names = dict.fromkeys(p.name for p in self._pending)
        if self.journal.exists():
            names = dict.fromkeys([*self.journal.read_text(encoding="utf-8").split(), *names])
        paths = [self.coll.archive_dir / name for name in names]
        return [p for p in paths if p.exists()]

    def _file_closed(self, path: Path) -> None:
        self._inc("warcloom/files")

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def close(self) -> list[Path]:
        """Close the writer and index every closed file not indexed yet (this crawl's and
        those a killed crawl left). Write errors are logged, not raised: a file left
        ``.open`` is repaired by the next run, a file not indexed is indexed by it."""
        if self._closed:
            return []
        self._closed = True
        files: list[Path] = []
        try:
            try:
                self.writer.close()
            except OSError as exc:
                logger.error("Cannot close %s: the next run will repair it", _describe(exc))
            files = self._unindexed()
            indexed = self._index(files) if files else True
            if indexed and not self._failed and {p.name for p in files} <= self._written:
                self.last_captures.seal()  # the index holds exactly what the rows say
            else:
                self.last_captures.close()
        finally:
            self.lock.release()
        return files

    def _index(self, files: list[Path]) -> bool:
        try:
            self.coll.update_index(files)
        except OSError as exc:
            self._inc("warcloom/index_errors")
            logger.error(
                "Cannot update the index %s: %s; %d WARC file(s) not indexed (the next run "
                "indexes them, or `warcloom index %s -o %s`)",
                self.coll.index_path,
                exc,
                len(files),
                self.coll.archive_dir,
                self.coll.index_path,
            )
            return False
        self.journal.unlink(missing_ok=True)
        self._pending.clear()
        logger.info("Indexed %d WARC file(s) into %s", len(files), self.coll.index_path)
        return True

    def _spider_closed(self, spider: object, reason: str) -> None:
        self.close()


def _describe(exc: OSError) -> str:
    """``FILE: [Errno 28] No space left on device`` (the file first, then the OS error)."""
    name = exc.filename or "the WARC file"
    return f"{name}: [Errno {exc.errno}] {exc.strerror}" if exc.errno else f"{name}: {exc}"
