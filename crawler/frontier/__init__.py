"""A crash-safe crawl frontier: a Scrapy scheduler whose state lives in SQLite.

Scrapy's ``JOBDIR`` disk queues write their state on a clean close only, so a crawl killed
with SIGKILL loses or corrupts them. :class:`SqliteScheduler` keeps the queue, the in-flight
requests and the seen set in one SQLite file, so a killed crawl resumes where it was.

Wiring, in one line (preferred)::

    ADDONS = {"crawler.frontier.FrontierAddon": 0}
    WARCLOOM_FRONTIER = "state/frontier.sqlite"

or by hand::

    SCHEDULER = "crawler.frontier.SqliteScheduler"
    SPIDER_MIDDLEWARES = {"crawler.frontier.FrontierSpiderMiddleware": 10}

Settings: ``WARCLOOM_FRONTIER`` (str, path of the database; unset means ``:memory:``, a
one-off crawl that cannot resume), ``WARCLOOM_FRONTIER_COMMIT_INTERVAL`` (float seconds,
default 0.5) and ``WARCLOOM_FRONTIER_COMMIT_OPS`` (int, default 1000): a batch is committed
when either is reached. ``DUPEFILTER_DEBUG`` is honoured as by Scrapy's dupefilter.

Row states
==========
``queued`` -> ``inflight`` (handed to the engine by :meth:`SqliteScheduler.next_request`)
-> ``done``. A request is *done* when nothing it can produce is missing from the frontier:

* its response went through the spider callback and every request the callback yielded
  reached :meth:`~SqliteScheduler.enqueue_request` (tracked by
  :class:`FrontierSpiderMiddleware`, which tags each yielded request with its parent's id and
  counts them back in); the end of the callback output is not enough on its own, because
  Scrapy's scraper buffers up to ``2 * CONCURRENT_ITEMS`` outputs before it schedules them.
  A callback that raises, or a response the spider refuses (``HttpError``), is done at once;
* or a downloader middleware replaced it by another request (redirect, retry): the
  replacement carries the id in ``request.meta`` and the old row is marked done in the same
  batch that inserts the replacement;
* or the spider closed as ``finished``: Scrapy's engine waits for every in-flight request to
  finish before it closes the scheduler, so rows still in flight then ended without a
  response (download error after retries, ``IgnoreRequest`` from a downloader middleware such
  as offsite or robots.txt: Scrapy sends no signal for these) and are marked done. A crawl
  closed for another reason (Ctrl-C, a write error: see :mod:`crawler.stopping`) may have
  dropped requests that were in flight: their rows stay in flight and are fetched again.

Without the spider middleware the scheduler falls back to marking a request done on
``response_received``, before the callback runs; it logs a warning, because a commit landing
between the two makes the page's links unrecoverable after a kill (the page is done, its
links were never stored).

Durability
==========
Every change runs at once on one connection inside an open transaction, and the transaction
is committed every ``COMMIT_OPS`` changes or ``COMMIT_INTERVAL`` seconds (a timer, so an idle
crawl commits too), on close, and before the resume bookkeeping. Because a transaction commits
as a whole and changes are applied in the order they happen, a committed state is always a
prefix of the crawl's history, and a request's done-mark always comes after the inserts of the
requests it produced. So after a SIGKILL:

* requests committed as done are not fetched again;
* requests committed as queued or in flight are fetched (again) on resume: in-flight rows go
  back to the queue, which may re-fetch pages already written to the archive;
* requests of the last, uncommitted batch are lost from the database together with the
  done-mark of whatever produced them, so their parent is fetched again and yields them again;
  start requests are yielded again by the resumed spider.

Nothing is lost for good; at most the last ``COMMIT_INTERVAL`` seconds of work are redone.
A database that cannot be written (disk full) stops the crawl (reason
``frontier_write_error``) and is not touched again: the next run starts from its last commit,
as after a kill.
SQLite runs in WAL mode with ``synchronous=NORMAL``: safe against a killed process, while a
power failure or OS crash may roll back the last few commits too (same consequence: redone).

As with ``JOBDIR``, the seen set survives a resume: start requests already seen are filtered
as duplicates unless they have ``dont_filter=True`` (Scrapy's ``start_urls`` requests do, so
they are fetched again).
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from crawler.frontier._scheduler import DONE, INFLIGHT, SqliteScheduler
from crawler.frontier._tracking import (
    ID_KEY,
    PARENT_KEY,
    CallbackOutputs,
    ChildTracker,
    FrontierSpiderMiddleware,
)

__all__ = [
    "DONE",
    "ID_KEY",
    "INFLIGHT",
    "PARENT_KEY",
    "CallbackOutputs",
    "ChildTracker",
    "FrontierAddon",
    "FrontierSpiderMiddleware",
    "SqliteScheduler",
]


class FrontierAddon:
    """``ADDONS = {"crawler.frontier.FrontierAddon": 0}``: scheduler and spider middleware."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("SCHEDULER", SqliteScheduler, "addon")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", FrontierSpiderMiddleware, 10)
