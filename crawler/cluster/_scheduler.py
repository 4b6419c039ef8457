"""The Scrapy scheduler of a cluster worker: requests come from and go to the shared frontier."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import socket
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_from_dict

from crawler.cluster._captures import RedisLastCaptures
from crawler.cluster._config import ClusterConfig
from crawler.cluster._frontier import Op, RedisFrontier, connect
from crawler.cluster._guard import OUTAGE_ERRORS, RedisDown, RedisGuard
from crawler.frontier import ID_KEY, CallbackOutputs, ChildTracker
from crawler.stopping import stop_crawl
from crawler.warcstore import WarcStoreExtension

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider

__all__ = ["ClusterScheduler"]

logger = logging.getLogger(__name__)

TICK = 0.25  # seconds between flushes of buffered pushes and acknowledgements
RETRY_EMPTY = 0.5  # seconds before asking again for a shard whose queue was empty
FLUSH_BATCH = 500  # operations per flush script (one round trip)


@dataclass
class _Shard:
    """A host's shard as its owner sees it."""

    inflight: int = 0  # leased to us and not acknowledged
    idle_until: float = 0.0  # monotonic time before which its queue is not asked again
    draining: bool = False  # to be given up once nothing of it is in flight
    unsure: bool = False  # a take failed in an outage: it may have leased what we never got


class ClusterScheduler(ChildTracker, BaseScheduler):
    """Takes requests from the shards this worker holds, pushes every request to its host's
    shard, and acknowledges a request once nothing it produced is missing from the frontier
    (the done rule of :mod:`crawler.frontier`, plus: its items went through the pipelines,
    so its records are written). See :mod:`crawler.cluster` for the whole design.

    With ``enqueue_only`` (``WARCLOOM_REDIS_ENQUEUE_ONLY``) it only pushes: the spider's start
    requests go into the frontier the same way (shared scope first, the ``seen`` set drops
    what is there already), nothing is taken, no shard claimed, no heartbeat sent, and the
    spider closes once they are pushed."""

    def __init__(self, crawler: Crawler, config: ClusterConfig, frontier: RedisFrontier) -> None:
        self.crawler = crawler
        self.config = config
        self.frontier = frontier
        self.stats = crawler.stats
        self.fingerprinter = crawler.request_fingerprinter
        settings = crawler.settings
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.per_shard = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") + 1
        self.concurrency = settings.getint("CONCURRENT_REQUESTS")
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.guard = RedisGuard(config.where, config.give_up, self._give_up)
        # the cluster's last captures, shared by every worker's recrawl
        self.captures = RedisLastCaptures(frontier.client, frontier.prefix, self.guard, self.stats)
        self.spider: Spider | None = None
        self._shards: dict[str, _Shard] = {}
        self._ready: deque[tuple[str, bytes]] = deque()  # leased, not handed out yet
        self._ops: list[Op] = []
        self._inflight: dict[int, tuple[str, bytes]] = {}
        self._received: set[int] = set()
        self._outputs = CallbackOutputs(self._finish)
        self._next_id = 0
        self._next_claim = 0.0
        self._next_beat = 0.0
        self._holding = False
        self._finished = False
        self._timer: Any = None
        self._started = time.time()
        self._done = 0
        self._rate: tuple[float, int] = (time.monotonic(), 0)
        self._pages_per_s = 0.0
        self._queued = 0  # the cluster's, as of the last heartbeat
        self._said_no_nudge = False
        self._scope = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = ClusterConfig.from_settings(crawler.settings)
        if config is None:
            raise ValueError("ClusterScheduler needs WARCLOOM_REDIS_URL")
        frontier = RedisFrontier(connect(config.url, config.timeout), config.collection)
        scheduler = cls(crawler, config, frontier)
        connect_signal = crawler.signals.connect
        connect_signal(scheduler._on_response, signal=signals.response_received)
        connect_signal(scheduler._on_idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            connect_signal(scheduler._on_item, signal=signal)
        return scheduler

    # -- BaseScheduler interface -------------------------------------------------------

    def open(self, spider: Spider | None) -> None:
        self.spider = spider
        store = self.crawler.get_extension(WarcStoreExtension)
        if store is not None:
            store.last_captures.share(self.captures)
        if self.stats is not None:
            self.stats.set_value("warcloom/cluster/worker", self.worker)
        enqueue_only = self.config.enqueue_only
        if enqueue_only and self.stats is not None:
            self.stats.set_value("warcloom/cluster/enqueue_only", 1)
        try:
            # a new run (enqueued) starts afresh after a finished crawl however recent; a
            # worker gives the others' late members a lease to see the end
            grace = 0 if enqueue_only else self.config.lease_ms
            reset = self.guard.call(self.frontier.reset_if_finished, grace)
            if reset > 0:
                logger.info(
                    "cluster: the last crawl of %s had finished: starting afresh",
                    self.config.collection,
                )
            elif reset < 0:  # a worker started for a run the others have just finished
                logger.warning(
                    "cluster: crawl %s finished less than %.0f s ago: nothing to do",
                    self.config.collection,
                    self.config.lease,
                )
                self._finished = True
            self._share_scope()
            if not enqueue_only:
                self._heartbeat()
        except RedisDown:
            pass  # said by the guard; retried at each tick
        if enqueue_only:
            logger.info(
                "cluster: enqueuing the start requests into crawl %s at %s",
                self.config.collection,
                self.guard.where,
            )
        else:
            logger.info(
                "cluster: worker %s joined crawl %s at %s (lease %.0f s)",
                self.worker,
                self.config.collection,
                self.guard.where,
                self.config.lease,
            )
        self._timer = create_looping_call(self._tick)
        self._timer.start(TICK, now=False)

    def close(self, reason: str) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if reason != "finished" and self._inflight:
            self._inc("warcloom/cluster/inflight_at_close", len(self._inflight))
        try:
            self.captures.send()
            if not self._finished:  # (finished: everything was sent before)
                self._flush()
            for host in list(self._shards):
                back = self.guard.call(
                    self.frontier.release, self.worker, host, self._delay_ms(host)
                )
                self._inc("warcloom/cluster/requeued_at_close", max(back, 0))
            if not self.config.enqueue_only:  # (never registered)
                self.guard.call(self.frontier.leave, self.worker)
        except RedisDown:
            logger.warning(
                "cluster: Redis unreachable at close: this worker's shards are taken over "
                "after the lease (%.0f s)",
                self.config.lease,
            )
        self._shards.clear()
        self._inc("warcloom/cluster/redis_calls", self.guard.calls)
        self._inc("warcloom/cluster/redis_outages", self.guard.outages)
        with contextlib.suppress(*OUTAGE_ERRORS):
            self.frontier.client.close()

    def has_pending_requests(self) -> bool:
        return not self._finished and bool(self._ready or self._ops)

    def __len__(self) -> int:
        return self._queued + len(self._ready)

    def enqueue_request(self, request: Request) -> bool:
        own = self._outputs.untag(request)
        if own is not None and own in self._inflight and own not in self._received:
            self._finish(own)  # superseded: a redirect or a retry of a request in flight
        try:
            data = pickle.dumps(request.to_dict(spider=self.spider), pickle.HIGHEST_PROTOCOL)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError):
            logger.error("cluster: cannot share %s (not serializable): dropped", request)
            self._inc("warcloom/cluster/unserializable")
            return False
        fingerprint = self.fingerprinter.fingerprint(request)
        front = "1" if request.priority > 0 else "0"
        dont_filter = "1" if request.dont_filter else "0"
        self._ops.append(("P", _host(request), fingerprint, front, dont_filter, data))
        return True

    def next_request(self) -> Request | None:
        if self._finished:
            return None
        try:
            self._flush()
            if not self._ready and not self.config.enqueue_only:
                self._fill()
        except RedisDown:
            pass
        while self._ready:
            host, data = self._ready.popleft()
            try:
                request = request_from_dict(pickle.loads(data), spider=self.spider)
            except Exception:
                logger.error(
                    "cluster: cannot restore a request of %s: dropped", host, exc_info=True
                )
                self._ops.append(("A", host, data))
                self._shards.get(host, _Shard()).inflight -= 1
                continue
            self._next_id += 1
            request.meta[ID_KEY] = self._next_id
            self._inflight[self._next_id] = (host, data)
            self._inc("warcloom/cluster/taken")
            return request
        return None

    # -- taking work -------------------------------------------------------------------

    def _fill(self) -> None:
        """Lease requests from the shards held, claiming more shards when they give none."""
        for attempt in range(2):
            now = time.monotonic()
            for host, shard in list(self._shards.items()):
                if shard.unsure:
                    self._take_up_lost_leases(host, shard)
                if shard.draining or shard.inflight >= self.per_shard or shard.idle_until > now:
                    continue
                shard.unsure = True  # until the answer is here
                state, data = self.guard.call(
                    self.frontier.take,
                    self.worker,
                    host,
                    self.per_shard - shard.inflight,
                    self._delay_ms(host),
                )
                shard.unsure = False
                if state == "ok":
                    shard.inflight += len(data)
                    self._ready.extend((host, item) for item in data)
                    return
                if state == "empty":
                    shard.idle_until = now + RETRY_EMPTY
                else:
                    self._drop_shard(host, state)
            if attempt or now < self._next_claim:
                return
            self._claim(now)

    def _take_up_lost_leases(self, host: str, shard: _Shard) -> None:
        """Requests a take leased to us before its answer was lost stay leased to us, and
        would keep the crawl from finishing: fetch them as if that take had answered."""
        known = [data for h, data in self._inflight.values() if h == host]
        known += [data for h, data in self._ready if h == host]
        known += [op[2] for op in self._ops if op[0] == "A" and op[1] == host]
        lost = self.guard.call(self.frontier.leased_unknown, self.worker, host, known)
        shard.unsure = False
        if lost:
            logger.warning(
                "cluster: %d request(s) of %s leased by a take whose answer was lost: fetched now",
                len(lost),
                host,
            )
            self._inc("warcloom/cluster/lost_leases_taken_up", len(lost))
            shard.inflight += len(lost)
            self._ready.extend((host, data) for data in lost)

    def _claim(self, now: float) -> None:
        room = max(1, self.concurrency - sum(s.inflight for s in self._shards.values()))
        claimed, taken = self.guard.call(
            self.frontier.claim, self.worker, self.config.lease_ms, math.ceil(room / self.per_shard)
        )
        for host, old, back in taken:
            logger.warning(
                "cluster: shard %s taken over from worker %s (no heartbeat for %.0f s): "
                "%d leased request(s) queued again",
                host,
                old or "?",
                self.config.lease,
                back,
            )
            self._inc("warcloom/cluster/takeovers")
        if claimed:
            self._hold(claimed)
            logger.info("cluster: shard(s) claimed: %s", ", ".join(claimed))
        else:
            self._next_claim = now + RETRY_EMPTY

    def _hold(self, hosts: list[str], unsure: bool = False) -> None:
        for host in hosts:
            self._shards.setdefault(host, _Shard(unsure=unsure))
            self._inc("warcloom/cluster/shards_claimed")
        # their hosts are in the crawl's scope by now (a worker shares its scope before it
        # pushes): know it before fetching, or they would be refused as offsite or private,
        # and those refusals are final
        self._share_scope()

    def _drop_shard(self, host: str, why: str) -> None:
        self._shards.pop(host, None)
        if why == "lost":
            logger.warning("cluster: shard %s was taken over by another worker", host)
            self._inc("warcloom/cluster/shards_lost")
            self._ready = deque(item for item in self._ready if item[0] != host)
        else:
            self._inc("warcloom/cluster/shards_released")

    def _delay_ms(self, host: str) -> int:
        """How long the next owner of ``host`` waits: the download delay, or AutoThrottle's
        current one for the host when longer."""
        engine = self.crawler.engine
        slot = getattr(engine.downloader, "slots", {}).get(host) if engine else None
        return int(1000 * max(self.delay, getattr(slot, "delay", 0.0)))

    # -- done tracking -----------------------------------------------------------------

    def request_failed(self, request: Request) -> None:
        """A request ended without a response (download error, refused by a middleware)."""
        request_id = request.meta.get(ID_KEY)
        if request_id is not None and request_id not in self._received:
            self._finish(request_id)

    def hold_progress(self) -> None:
        """Acknowledge nothing from now on (the WARC store cannot write: see
        :func:`crawler.stopping.stop_crawl`); what is leased is fetched again by others."""
        self._holding = True

    def _on_response(self, response: Response, request: Request, spider: Spider) -> None:
        request_id = request.meta.get(ID_KEY)
        if request_id in self._inflight:
            self._received.add(request_id)

    def _on_item(self, item: Any, response: Response | None = None, **_: Any) -> None:
        request_id = response.meta.get(ID_KEY) if response is not None else None
        if request_id is not None:
            self._outputs.arrived(request_id)

    def _finish(self, request_id: int) -> None:
        if self._holding or request_id not in self._inflight:
            return
        host, data = self._inflight.pop(request_id)
        self._received.discard(request_id)
        self._ops.append(("A", host, data))
        shard = self._shards.get(host)
        if shard is not None:
            shard.inflight -= 1
            shard.idle_until = 0.0
        self._done += 1

    # -- Redis -------------------------------------------------------------------------

    def _flush(self) -> None:
        """Send buffered pushes and acknowledgements (in order), then give up the draining
        shards that have nothing in flight any more. Raises RedisDown (nothing lost: the
        buffer is kept and sent again, which the scripts make harmless). The captures
        published go first: a page is acknowledged once its capture is shared."""
        self.captures.send()
        while self._ops:
            batch = self._ops[:FLUSH_BATCH]
            added, dups, acked = self.guard.call(self.frontier.flush, self.worker, batch)
            del self._ops[: len(batch)]
            self._inc("warcloom/cluster/pushed", added)
            self._inc("warcloom/cluster/duplicates", dups)
            self._inc("warcloom/cluster/acknowledged", acked)
        for host, shard in list(self._shards.items()):
            if shard.draining and shard.inflight <= 0:
                self.guard.call(self.frontier.release, self.worker, host, self._delay_ms(host))
                self._drop_shard(host, "released")
                logger.info("cluster: shard %s given up (more than a fair share held)", host)

    def _heartbeat(self) -> None:
        now = time.monotonic()
        since, done = self._rate
        if now - since >= 5:
            self._pages_per_s = (self._done - done) / (now - since)
            self._rate = (now, self._done)
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self._started,
            "pages": self._done,
            "pages_per_s": round(self._pages_per_s, 2),
            "shards": len(self._shards),
            "out": self.crawler.settings.get("WARCLOOM_OUT"),
        }
        beat = self.guard.call(
            self.frontier.renew, self.worker, self.config.lease_ms, info, list(self._shards)
        )
        self._next_beat = now + self.config.lease / 3
        self._queued = beat.queued
        if beat.scope != self._scope:
            self._share_scope()
        for host in beat.lost:
            self._drop_shard(host, "lost")
        if beat.unknown:
            logger.warning(
                "cluster: shard(s) %s held in Redis by this worker, which never had the "
                "answer of their claim: taken up",
                ", ".join(beat.unknown),
            )
            self._inc("warcloom/cluster/lost_claims_taken_up", len(beat.unknown))
            self._hold(beat.unknown, unsure=True)  # (and what a take of them leased, if any)
        share = math.ceil(beat.active_shards / max(beat.workers, 1))
        keep = [h for h, s in self._shards.items() if not s.draining]
        if beat.workers > 1 and len(keep) > share:
            # others joined: hand the surplus over once it has nothing in flight
            for host in sorted(keep, key=lambda h: self._shards[h].inflight)[share:]:
                self._shards[host].draining = True

    def _share_scope(self) -> None:
        """The crawl's scope is the union of its workers': allowed domains (their seeds'
        hosts or ``--domains``) and seed hosts (exempt from the private address guard).
        Scrapy's offsite middleware and the guard read the spider's attributes each time."""
        spider = self.spider
        domains = list(getattr(spider, "allowed_domains", None) or [])
        seed_hosts = list(getattr(spider, "seed_hosts", None) or [])
        if self._scope:  # ours went in the first time
            domains = seed_hosts = []
        shared_domains, shared_hosts = self.guard.call(
            self.frontier.share_scope, domains, seed_hosts
        )
        self._scope = len(shared_domains) + len(shared_hosts)
        if spider is not None and shared_domains:
            spider.allowed_domains = shared_domains
        if spider is not None and shared_hosts:
            spider.seed_hosts = frozenset(shared_hosts)

    def _tick(self) -> None:
        try:
            if time.monotonic() >= self._next_beat and not self.config.enqueue_only:
                self._heartbeat()
            self._flush()
        except RedisDown:
            self.guard.check_give_up()
            return
        self._nudge()

    def _nudge(self) -> None:
        """Ask the engine for requests now rather than at its 5 s heartbeat: claiming a
        shard, or the end of another worker's delay, is not an event it hears of."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()
        elif not self._said_no_nudge:
            self._said_no_nudge = True
            logger.info("cluster: Scrapy's engine has no _slot.nextcall: polling every 5 s")
            self._inc("warcloom/cluster/no_nudge")

    def _on_idle(self, spider: Spider) -> None:
        """Keep the spider open until the whole crawl is finished."""
        if self._finished:
            return
        try:
            self._flush()
            seeded = any(getattr(spider, name, None) for name in ("seed_urls", "sitemaps", "feeds"))
            # enqueue only: done once everything is pushed (the flush above)
            finished = self.config.enqueue_only or self.guard.call(self.frontier.finish, seeded)
        except RedisDown:
            raise DontCloseSpider from None
        if not finished:
            raise DontCloseSpider
        self._finished = True
        if self.config.enqueue_only:
            stats = self.stats.get_stats() if self.stats is not None else {}
            logger.info(
                "cluster: %d request(s) enqueued into crawl %s (%d already there)",
                stats.get("warcloom/cluster/pushed", 0),
                self.config.collection,
                stats.get("warcloom/cluster/duplicates", 0),
            )
            return
        logger.info(
            "cluster: crawl %s finished: nothing queued or in flight anywhere",
            self.config.collection,
        )

    def _give_up(self, message: str) -> None:
        self._inc("warcloom/cluster/gave_up")
        stop_crawl(self.crawler, "redis_unavailable", message)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)


def _host(request: Request) -> str:
    """The shard of a request: its download slot (the host, as Scrapy's politeness is)."""
    slot = request.meta.get("download_slot")
    return str(slot) if slot else (urlparse_cached(request).hostname or "").lower()
