"""The SQLite scheduler: queue, in-flight requests and seen set, committed in batches."""

from __future__ import annotations

import contextlib
import logging
import pickle
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.http import Request, Response
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.request import RequestFingerprinter, request_from_dict

from crawler.frontier._tracking import ID_KEY, CallbackOutputs, ChildTracker, middleware_enabled
from crawler.stopping import stop_crawl

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider
    from scrapy.statscollectors import StatsCollector

__all__ = ["DONE", "INFLIGHT", "QUEUED", "SqliteScheduler"]

logger = logging.getLogger(__name__)

QUEUED, INFLIGHT, DONE = "queued", "inflight", "done"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint BLOB NOT NULL,
    priority INTEGER NOT NULL,
    state TEXT NOT NULL,
    depth INTEGER NOT NULL,
    added REAL NOT NULL,
    request BLOB
);
CREATE INDEX IF NOT EXISTS requests_queued ON requests (priority DESC, id)
    WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS requests_inflight ON requests (id) WHERE state = 'inflight';
CREATE TABLE IF NOT EXISTS seen (fingerprint BLOB PRIMARY KEY) WITHOUT ROWID;
"""
_INSERT = (
    "INSERT INTO requests (fingerprint, priority, state, depth, added, request) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteScheduler(ChildTracker, BaseScheduler):
    """A Scrapy scheduler whose queue, in-flight set and seen set live in SQLite.

    Duplicates are checked against an in-memory set of fingerprints (loaded at open) before
    anything touches the database; new requests are inserted with ``executemany`` at the
    next read or commit. Requests whose callback is not a spider method cannot be stored:
    they are kept in memory (their row has no request data) and are dropped, with a warning,
    if the crawl is resumed before they were fetched.
    """

    def __init__(
        self,
        path: str = ":memory:",
        *,
        commit_interval: float = 0.5,
        commit_ops: int = 1000,
        fingerprinter: Any = None,
        stats: StatsCollector | None = None,
        dupefilter_debug: bool = False,
        crawler: Crawler | None = None,
    ) -> None:
        self.path = path
        self.commit_interval = commit_interval
        self.commit_ops = commit_ops
        self.fingerprinter = fingerprinter or RequestFingerprinter()
        self.stats = stats
        self.dupefilter_debug = dupefilter_debug
        self.crawler = crawler
        self.spider: Spider | None = None
        self.done_on_response = False
        self._conn: sqlite3.Connection | None = None
        self._seen: set[bytes] = set()
        self._queued = 0
        self._inflight: set[int] = set()
        self._received: set[int] = set()  # in flight, response already received
        self._outputs = CallbackOutputs(self._finish)
        self._memory: dict[int, Request] = {}  # requests that could not be serialized
        self._insert_buf: list[tuple[Any, ...]] = []
        self._seen_buf: list[tuple[bytes]] = []
        self._done_buf: list[tuple[int]] = []
        self._ops = 0
        self._last_commit = time.monotonic()
        self._logged_dupe = False
        self._timer: Any = None
        self._broken: sqlite3.Error | None = None
        self._holding = False  # no request is marked done any more (see hold_progress)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        scheduler = cls(
            settings.get("WARCLOOM_FRONTIER") or ":memory:",
            commit_interval=settings.getfloat("WARCLOOM_FRONTIER_COMMIT_INTERVAL", 0.5),
            commit_ops=settings.getint("WARCLOOM_FRONTIER_COMMIT_OPS", 1000),
            fingerprinter=crawler.request_fingerprinter,
            stats=crawler.stats,
            dupefilter_debug=settings.getbool("DUPEFILTER_DEBUG"),
            crawler=crawler,
        )
        scheduler.done_on_response = not middleware_enabled(settings)
        crawler.signals.connect(scheduler._on_response, signal=signals.response_received)
        return scheduler

    # -- BaseScheduler interface -------------------------------------------------------

    def open(self, spider: Spider | None) -> None:
        self.spider = spider
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        self._conn = conn
        self._seen = {fp for (fp,) in conn.execute("SELECT fingerprint FROM seen")}
        conn.execute("BEGIN")
        lost = conn.execute(
            "UPDATE requests SET state = ? WHERE state != ? AND request IS NULL", (DONE, DONE)
        ).rowcount
        requeued = conn.execute(
            "UPDATE requests SET state = 'queued' WHERE state = 'inflight'"
        ).rowcount
        conn.execute("COMMIT")
        (self._queued,) = conn.execute(
            "SELECT COUNT(*) FROM requests WHERE state = 'queued'"
        ).fetchone()
        self._last_commit = time.monotonic()
        if lost:
            logger.warning("resuming: %d unserializable requests of the last run dropped", lost)
            self._inc("warcloom/frontier/unserializable_dropped", lost)
        if self._queued or self._seen:
            logger.info(
                "resuming: %d queued, %d in flight requeued (%d seen)",
                self._queued,
                requeued,
                len(self._seen),
            )
            self._inc("warcloom/frontier/requeued_inflight", requeued)
        if self.done_on_response and self.crawler is not None:
            logger.warning(
                "FrontierSpiderMiddleware is not enabled: requests are marked done on "
                "response_received, so a kill may lose links of the last pages"
            )
        if self.crawler is not None and self.commit_interval > 0:
            self._timer = create_looping_call(self._commit_if_due)
            self._timer.start(self.commit_interval, now=False)

    def close(self, reason: str) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self._conn is None:
            return
        if self._broken is not None:  # the last commit is what the next run starts from
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
            return
        if reason == "finished":
            # The engine drained every in-flight request before closing us: the rows still
            # in flight ended without a usable response.
            if self._inflight:
                self._inc("warcloom/frontier/done_at_close", len(self._inflight))
            for request_id in list(self._inflight):
                self._finish(request_id)
        elif self._inflight:
            # An interrupted crawl (Ctrl-C, a write error) dropped or abandoned some of them:
            # they stay in flight, and the next run fetches them again.
            self._inc("warcloom/frontier/inflight_at_close", len(self._inflight))
        with contextlib.suppress(sqlite3.Error):  # reported by _fail
            self.commit()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def has_pending_requests(self) -> bool:
        return self._queued > 0

    def __len__(self) -> int:
        return self._queued

    def enqueue_request(self, request: Request) -> bool:
        if self._broken is not None:  # stopping: the next run gets it from its parent again
            return False
        try:
            return self._enqueue(request)
        except sqlite3.Error as exc:
            self._fail(exc)
            return False

    def next_request(self) -> Request | None:
        if self._broken is not None:
            return None
        try:
            return self._next()
        except sqlite3.Error as exc:
            self._fail(exc)
            return None

    def _enqueue(self, request: Request) -> bool:
        meta = request.meta
        own = self._outputs.untag(request)
        if own is not None and own in self._inflight and own not in self._received:
            self._finish(own)  # superseded: a redirect or a retry of a request in flight
        fingerprint = self.fingerprinter.fingerprint(request)
        if fingerprint in self._seen:
            if not request.dont_filter:
                self._log_duplicate(request)
                return False
        else:
            self._seen.add(fingerprint)
            self._seen_buf.append((fingerprint,))
        data = self._serialize(request)
        row = (fingerprint, request.priority, QUEUED, meta.get("depth", 0), time.time(), data)
        if data is None:
            self._flush()
            cursor = self._write(_INSERT, row)
            assert cursor.lastrowid is not None
            self._memory[cursor.lastrowid] = request
        else:
            self._insert_buf.append(row)
        self._queued += 1
        self._inc("warcloom/frontier/enqueued")
        self._tick()
        return True

    def _next(self) -> Request | None:
        while self._queued:
            self._flush()
            assert self._conn is not None
            row = self._conn.execute(
                "SELECT id, request FROM requests WHERE state = 'queued' "
                "ORDER BY priority DESC, id LIMIT 1"
            ).fetchone()
            if row is None:  # pragma: no cover - the counter is out of step
                self._queued = 0
                return None
            request_id, data = row
            self._write("UPDATE requests SET state = ? WHERE id = ?", (INFLIGHT, request_id))
            self._queued -= 1
            request = self._memory.pop(request_id, None)
            if request is None:
                try:
                    request = request_from_dict(pickle.loads(data), spider=self.spider)
                except Exception:
                    logger.error("cannot restore request %d, dropped", request_id, exc_info=True)
                    self._done_buf.append((request_id,))
                    continue
            request.meta[ID_KEY] = request_id
            self._inflight.add(request_id)
            self._inc("warcloom/frontier/dequeued")
            self._tick()
            return request
        return None

    # -- done tracking -----------------------------------------------------------------

    def _on_response(self, response: Response, request: Request, spider: Spider) -> None:
        request_id = request.meta.get(ID_KEY)
        if request_id is None or request_id not in self._inflight:
            return
        if self.done_on_response:
            self._finish(request_id)
        else:
            self._received.add(request_id)

    def hold_progress(self) -> None:
        """Mark no request done from now on: what is in flight stays in flight, and the next
        run fetches it again. For a crawl stopping because its pages can no longer be
        archived in full (a WARC write error): a page whose analysis was lost is not done."""
        if not self._holding:
            self._holding = True
            logger.info("frontier: progress held, requests in flight are fetched again")

    def _finish(self, request_id: int) -> None:
        if request_id not in self._inflight or self._holding:
            return
        self._inflight.discard(request_id)
        self._received.discard(request_id)
        self._done_buf.append((request_id,))
        self._inc("warcloom/frontier/done")
        self._tick()

    # -- storage -----------------------------------------------------------------------

    def _serialize(self, request: Request) -> bytes | None:
        try:
            return pickle.dumps(request.to_dict(spider=self.spider), pickle.HIGHEST_PROTOCOL)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError):
            self._inc("warcloom/frontier/unserializable")
            return None

    def _write(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        assert self._conn is not None, "scheduler is not open"
        if self._broken is not None:
            raise self._broken
        try:
            if not self._conn.in_transaction:
                self._conn.execute("BEGIN")
            return self._conn.execute(sql, args)
        except sqlite3.Error as exc:
            self._fail(exc)
            raise

    def _flush(self) -> None:
        """Apply buffered writes to the open transaction (they commit with it)."""
        if not (self._insert_buf or self._seen_buf or self._done_buf):
            return
        if self._broken is not None:
            raise self._broken
        try:
            self._apply_buffers()
        except sqlite3.Error as exc:
            self._fail(exc)
            raise

    def _apply_buffers(self) -> None:
        conn = self._conn
        assert conn is not None, "scheduler is not open"
        if not conn.in_transaction:
            conn.execute("BEGIN")
        if self._seen_buf:
            conn.executemany("INSERT OR IGNORE INTO seen VALUES (?)", self._seen_buf)
            self._seen_buf = []
        if self._insert_buf:
            conn.executemany(_INSERT, self._insert_buf)
            self._insert_buf = []
        if self._done_buf:
            conn.executemany(f"UPDATE requests SET state = '{DONE}' WHERE id = ?", self._done_buf)
            self._done_buf = []

    def commit(self) -> None:
        """Make every change so far durable (raises ``sqlite3.Error`` if it cannot: see
        :meth:`_fail`)."""
        self._flush()
        if self._conn is not None and self._conn.in_transaction:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._fail(exc)
                raise
            self._inc("warcloom/frontier/commits")
        self._ops = 0
        self._last_commit = time.monotonic()

    def _fail(self, exc: sqlite3.Error) -> None:
        """The database cannot be written (disk full, I/O error): stop the crawl, touch it no
        more. What was committed stays; the next run redoes the rest, as after a kill."""
        if self._broken is not None:
            return
        self._broken = exc
        self._inc("warcloom/frontier/write_errors")
        with contextlib.suppress(sqlite3.Error):
            self._conn.rollback()  # type: ignore[union-attr]
        message = f"cannot write the frontier {self.path}: {exc}"
        if self.crawler is not None:
            stop_crawl(self.crawler, "frontier_write_error", message)
        else:
            logger.error(message)

    def _tick(self) -> None:
        self._ops += 1
        if self._ops >= self.commit_ops:
            self._commit_quietly()

    def _commit_quietly(self) -> None:
        """Commit where a failure must not reach Scrapy: it is reported by :meth:`_fail`."""
        if self._broken is None:
            with contextlib.suppress(sqlite3.Error):
                self.commit()

    def _commit_if_due(self) -> None:
        if self._conn is not None and time.monotonic() - self._last_commit >= self.commit_interval:
            self._commit_quietly()

    # -- helpers -----------------------------------------------------------------------

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def _log_duplicate(self, request: Request) -> None:
        self._inc("warcloom/frontier/duplicates")
        if self.dupefilter_debug:
            referer = request.headers.get("Referer")
            logger.debug(
                "Filtered duplicate request: %(request)s (referer: %(referer)s)",
                {"request": request, "referer": referer.decode() if referer else None},
            )
        elif not self._logged_dupe:
            logger.debug(
                "Filtered duplicate request: %(request)s - no more duplicates will be shown"
                " (see DUPEFILTER_DEBUG to show all duplicates)",
                {"request": request},
            )
            self._logged_dupe = True
