"""Crawling on many machines: a shared frontier in Redis, sharded by host.

Every ``warcloom crawl --redis URL --collection NAME`` process is a *worker* of the crawl
``NAME``; the first creates it, the others join, and all stop when nothing is queued or in
flight anywhere. Each writes its own WARC files under its own ``--out``.

* :mod:`._frontier`: the Redis side (keys, :class:`RedisFrontier`, ``status`` snapshots);
* :mod:`._lua`: the scripts that make each multi-key step atomic;
* :mod:`._scheduler`: :class:`ClusterScheduler`, the Scrapy scheduler of a worker;
* :mod:`._middleware`: when a request is done (items written, or no response at all);
* :mod:`._captures`: the last captures every worker's recrawl compares with;
* :mod:`._guard`: Redis outages (pause, backoff, give up);
* :mod:`._standing`: :class:`StandingWorker`, crawls one after another whenever work is
  queued (``--stay``);
* :mod:`._config`, :mod:`._addon`: settings and wiring.

Shards and leases
=================
Every request goes to its host's shard (``q:<host>``). A shard is held by one worker at a
time (``owner``), under a lease (``leases``, renewed by the worker's heartbeat every third
of ``WARCLOOM_REDIS_LEASE``): robots.txt, ``DOWNLOAD_DELAY``,
``CONCURRENT_REQUESTS_PER_DOMAIN`` and AutoThrottle hold for the whole cluster as in one
process. A worker claims free shards up to its fair share (shards with work / live
workers, rounded up), hands its surplus over when workers join, and gives up a shard whose
queue is empty and nothing of it in flight; the next owner of a shard given up waits the
download delay (Redis's clock) before fetching from it.

Requests are leased, not popped: taking one moves it (``LMOVE``) to the shard's
processing list ``p:<host>``; it leaves that list when its worker acknowledges it, which
is when nothing it produced is missing from the frontier (the requests its callback
yielded are pushed, in the same script and before the acknowledgement; its items went
through the pipelines, so its records are written; or it ended without a response). A
worker that stops heartbeating (SIGKILL, machine lost, Redis unreachable longer than the
lease) loses its shards to the first worker that looks after the lease: its leased
requests go back to the head of their queues and are fetched again. Nothing queued is
lost; a request is fetched twice only if its worker died (or lost its lease) holding it.

Seen set and end
================
Fingerprints (Scrapy's request fingerprint) go into one set, ``seen``, checked in the
script that pushes: a seed or link any worker has pushed is not pushed again. The crawl is
finished when no shard has a queued or leased request; the first idle worker to see it sets
``finished``, every worker then closes as ``finished``, and the next crawl of that
collection starts afresh.

Enqueuing and standing workers
==============================
``--enqueue-only`` (``WARCLOOM_REDIS_ENQUEUE_ONLY``): the spider's start requests are
pushed as a worker pushes them (scope shared first, ``seen`` drops what is there already;
a finished crawl is started afresh at once), then the process ends: nothing is fetched,
no shard is claimed, no WARC file opened. A job with ``redis`` runs this way. Its run is
recorded in the history as ``enqueued``. ``--stay`` keeps a worker for good: it waits
until requests are queued, crawls them as a worker, waits again.

Recrawls
========
Each worker writes its own collection, and a host's shard goes to whichever worker claims
it, so the last capture of a URL may be in another worker's files. Every capture a worker
records and every page it analyses is published to the crawl's ``captures`` and
``analyses`` hashes (:mod:`._captures`), sent with the frontier's flushes and before the
acknowledgements of those pages; a worker's :class:`~archive.collection.LastCaptures`
looks a URL up there as well as in its own table, and the newer capture wins. So a recrawl
asks conditionally, writes revisits naming the other worker's record and counts changes
against the other worker's text. The two hashes survive the end of a crawl.
"""

from __future__ import annotations

from crawler.cluster._addon import ClusterAddon
from crawler.cluster._config import ClusterConfig, redacted
from crawler.cluster._frontier import RedisFrontier, Snapshot, connect, crawls
from crawler.cluster._guard import OUTAGE_ERRORS, RedisDown, RedisGuard
from crawler.cluster._middleware import ClusterAckMiddleware, ClusterSpiderMiddleware
from crawler.cluster._scheduler import ClusterScheduler
from crawler.cluster._standing import StandingWorker

__all__ = [
    "OUTAGE_ERRORS",
    "ClusterAckMiddleware",
    "ClusterAddon",
    "ClusterConfig",
    "ClusterScheduler",
    "ClusterSpiderMiddleware",
    "RedisDown",
    "RedisFrontier",
    "RedisGuard",
    "Snapshot",
    "StandingWorker",
    "connect",
    "crawls",
    "redacted",
]
