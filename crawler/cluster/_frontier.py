"""The shared frontier in Redis, without Scrapy: what a worker and ``warcloom status`` call.

Keys, all under ``warcloom:<collection>:`` (one crawl per collection name):

=====================  =========================================================================
``seen``               set of request fingerprints (the cluster's duplicate filter)
``domains``            set: the crawl's allowed domains, the union of every worker's
``seedhosts``          set: the hosts of every worker's seeds (exempt from the private
                       address guard, as a single crawl's seeds are)
``q:<host>``           list: the shard of a host, requests waiting (pickled ``Request.to_dict``)
``p:<host>``           list: requests of the shard leased to its owner, until acknowledged
``hosts``              set of every host with a shard; ``hostq``: zset, host -> queued requests
``free``               zset: shards with work and no owner, scored by when they may be fetched
``owner``              hash: host -> worker holding the shard; ``leases``: zset, host -> expiry
``held:<worker>``      set: the shards a worker holds
``nb``                 hash: host -> no fetch before (ms), set when a shard is given up
``count``              hash: ``queued``, ``inflight``, ``pushed``, ``done``, ``takeovers``
``workers``, ``alive`` hash: worker -> JSON (host, pid, pages, ...); zset: worker -> heartbeat
``finished``           set when nothing is queued or leased anywhere: every worker stops
``captures``           hash: URL key -> the URL's last capture, whichever worker made it
``analyses``           hash: URL key -> that capture's links, requisites and clean text
                       (both: :mod:`crawler.cluster._captures`; they outlive the crawl, the
                       next one compares with them, and ``RESET`` leaves them)
=====================  =========================================================================
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from crawler.cluster import _lua
from crawler.cluster._captures import ANALYSES, CAPTURES

__all__ = [
    "Heartbeat",
    "RedisFrontier",
    "SharedTableSize",
    "Snapshot",
    "WorkerInfo",
    "connect",
    "crawls",
    "key_prefix",
    "shared_table_size",
]

#: What a worker buffers: ``("P", host, fingerprint, front, dont_filter, data)`` pushes a
#: request, ``("A", host, data)`` acknowledges a leased one.
Op = tuple[Any, ...]


def connect(url: str, timeout: float = 3.0) -> redis.Redis:
    """A client for ``url`` that never retries on its own (the worker decides), so a dead
    Redis costs at most ``timeout`` seconds per call. Raises ValueError for a bad URL."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


@dataclass(frozen=True)
class Heartbeat:
    """What a renewal tells a worker about itself and the cluster."""

    lost: list[str]
    workers: int
    active_shards: int
    queued: int
    inflight: int
    scope: int  # how many allowed domains and seed hosts the crawl has
    unknown: list[str]  # shards held that the worker did not name (a claim's answer lost)


@dataclass(frozen=True)
class WorkerInfo:
    """A registered worker, as ``warcloom status`` shows it."""

    id: str
    age: float  # seconds since its last heartbeat
    details: dict[str, Any]
    shards: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    """The state of one crawl (``warcloom status``)."""

    collection: str
    workers: list[WorkerInfo]
    counts: dict[str, int]
    free: int
    hosts: int
    top_hosts: list[tuple[str, int]]
    finished: bool
    lease_expiries: dict[str, float]
    shared_captures: int = 0  # URLs in the shared last-captures table (``captures``)


def key_prefix(collection: str) -> str:
    """The prefix of every key of the shared crawl of ``collection``."""
    return f"warcloom:{collection}:"


class RedisFrontier:
    """The Redis side of one crawl: every multi-key step is one Lua script (one round trip)."""

    def __init__(self, client: redis.Redis, collection: str) -> None:
        self.client = client
        self.collection = collection
        self.prefix = key_prefix(collection)
        self._scripts = {
            name: client.register_script(getattr(_lua, name))
            for name in ("FLUSH", "TAKE", "RELEASE", "CLAIM", "RENEW", "FINISH", "RESET")
        }

    def _run(self, name: str, *args: Any) -> Any:
        return self._scripts[name](keys=[self.prefix], args=list(args))

    def flush(self, worker: str, ops: Sequence[Op]) -> tuple[int, int, int]:
        """Apply pushes and acknowledgements in order, atomically: (added, duplicates, acked)."""
        flat = [value for op in ops for value in op]
        added, dups, acked = self._run("FLUSH", worker, *flat)
        return int(added), int(dups), int(acked)

    def take(self, worker: str, host: str, most: int, delay_ms: int) -> tuple[str, list[bytes]]:
        """Lease up to ``most`` requests of ``host``'s shard: ``("ok", data)``, ``("empty",
        [])`` (all leased), ``("released", [])`` (drained, given up) or ``("lost", [])``."""
        state, *data = self._run("TAKE", worker, host, most, delay_ms)
        return state.decode(), data

    def leased_unknown(self, worker: str, host: str, known: Iterable[bytes]) -> list[bytes]:
        """The requests of ``host``'s shard leased to ``worker`` and not in ``known`` (what it
        has in hand): what a take whose answer was lost in an outage leased; none if the
        shard is not the worker's any more (its leases were queued again at the takeover)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(self.prefix + "owner", host)
        pipe.lrange(self.prefix + "p:" + host, 0, -1)
        owner, leased = pipe.execute()
        if owner is None or owner.decode() != worker:
            return []
        unknown = Counter(leased)
        unknown.subtract(known)
        return list(unknown.elements())

    def release(self, worker: str, host: str, delay_ms: int) -> int:
        """Give a held shard up; its leased requests are queued again (their number)."""
        return int(self._run("RELEASE", worker, host, delay_ms))

    def claim(
        self, worker: str, lease_ms: int, most: int
    ) -> tuple[list[str], list[tuple[str, str, int]]]:
        """Take over expired shards and claim up to ``most`` free ones (within a fair share):
        (claimed hosts, [(host, previous owner, requests put back)] taken over)."""
        got, taken = self._run("CLAIM", worker, lease_ms, most)
        return [h.decode() for h in got], [(h.decode(), o.decode(), int(n)) for h, o, n in taken]

    def renew(
        self, worker: str, lease_ms: int, info: dict[str, Any], hosts: Sequence[str]
    ) -> Heartbeat:
        lost, workers, active, queued, inflight, domains, unknown = self._run(
            "RENEW", worker, lease_ms, json.dumps(info), *hosts
        )
        return Heartbeat(
            [h.decode() for h in lost],
            workers,
            active,
            queued,
            inflight,
            domains,
            sorted(h.decode() for h in unknown),
        )

    def share_scope(
        self, domains: Sequence[str], seed_hosts: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """Add a worker's allowed domains and seed hosts to the crawl's; returns them all."""
        pipe = self.client.pipeline(transaction=True)
        for key, values in (("domains", domains), ("seedhosts", seed_hosts)):
            if values:
                pipe.sadd(self.prefix + key, *values)
        pipe.smembers(self.prefix + "domains")
        pipe.smembers(self.prefix + "seedhosts")
        *_, shared_domains, shared_hosts = pipe.execute()
        return sorted(d.decode() for d in shared_domains), sorted(h.decode() for h in shared_hosts)

    def finish(self, seeded: bool = True) -> bool:
        """True when the crawl is finished (and say so to every worker). ``seeded``: the
        asking worker brought seeds (all handled by now); a worker without seeds does not
        finish a crawl that has not begun, it waits for one to join."""
        return bool(self._run("FINISH", "1" if seeded else "0"))

    def has_work(self) -> bool:
        """Whether a standing worker has something to join: requests queued or leased in a
        crawl that has not finished."""
        pipe = self.client.pipeline(transaction=True)
        pipe.exists(self.prefix + "finished")
        pipe.hmget(self.prefix + "count", "queued", "inflight")
        finished, (queued, inflight) = pipe.execute()
        return not finished and (int(queued or 0) > 0 or int(inflight or 0) > 0)

    def reset_if_finished(self, grace_ms: int = 0) -> int:
        """Clear a crawl that finished more than ``grace_ms`` ago, so that this one starts
        afresh: 1 cleared, 0 not finished, -1 finished within the grace."""
        return int(self._run("RESET", grace_ms))

    def leave(self, worker: str) -> None:
        """Unregister a worker that stops (after releasing its shards)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.zrem(self.prefix + "alive", worker)
        pipe.hdel(self.prefix + "workers", worker)
        pipe.delete(self.prefix + "held:" + worker)
        pipe.execute()

    def delete(self) -> int:
        """Delete every key of the crawl (its number)."""
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        return self.client.delete(*keys) if keys else 0

    def snapshot(self, top: int = 10) -> Snapshot:
        p = self.prefix
        pipe = self.client.pipeline(transaction=True)
        pipe.time()
        pipe.zrange(p + "alive", 0, -1, withscores=True)
        pipe.hgetall(p + "workers")
        pipe.hgetall(p + "owner")
        pipe.hgetall(p + "count")
        pipe.zcard(p + "free")
        pipe.scard(p + "hosts")
        pipe.zrevrangebyscore(p + "hostq", "+inf", 1, start=0, num=top, withscores=True)
        pipe.exists(p + "finished")
        pipe.zrange(p + "leases", 0, -1, withscores=True)
        pipe.hlen(p + CAPTURES)
        now_t, alive, workers, owners, counts, free, hosts, top_hosts, done, leases, shared = (
            pipe.execute()
        )
        now_ms = now_t[0] * 1000 + now_t[1] // 1000
        shards: dict[str, list[str]] = {}
        for host, worker in owners.items():
            shards.setdefault(worker.decode(), []).append(host.decode())
        infos = [
            WorkerInfo(
                worker.decode(),
                (now_ms - score) / 1000,
                json.loads(workers.get(worker, b"{}")),
                sorted(shards.get(worker.decode(), [])),
            )
            for worker, score in alive
        ]
        return Snapshot(
            collection=self.collection,
            workers=infos,
            counts={k.decode(): int(v) for k, v in counts.items()},
            free=int(free),
            hosts=int(hosts),
            top_hosts=[(h.decode(), int(n)) for h, n in top_hosts],
            finished=bool(done),
            lease_expiries={h.decode(): (s - now_ms) / 1000 for h, s in leases},
            shared_captures=int(shared),
        )


def crawls(client: redis.Redis) -> list[str]:
    """The collections with a crawl (or a worker) in this Redis."""
    names = set()
    for suffix in ("count", "alive"):
        for key in client.scan_iter(match=f"warcloom:*:{suffix}", count=1000):
            names.add(key.decode().removeprefix("warcloom:").removesuffix(f":{suffix}"))
    return sorted(names)


@dataclass(frozen=True)
class SharedTableSize:
    """The shared table of a crawl: URLs, and Redis memory (``MEMORY USAGE``, every
    element counted) of its two hashes."""

    urls: int
    analyses: int
    captures_bytes: int
    analyses_bytes: int

    @property
    def bytes_per_url(self) -> float:
        return (self.captures_bytes + self.analyses_bytes) / max(self.urls, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "urls": self.urls,
            "analyses": self.analyses,
            "captures bytes": self.captures_bytes,
            "analyses bytes": self.analyses_bytes,
            "bytes per URL": round(self.bytes_per_url, 1),
        }


def shared_table_size(client: redis.Redis, collection: str) -> SharedTableSize:
    """Measure the shared last-captures table of ``collection`` (walks every element: for
    benchmarks, not for a busy production Redis; ``status`` counts URLs only)."""
    prefix = key_prefix(collection)
    pipe = client.pipeline(transaction=False)
    for name in (CAPTURES, ANALYSES):
        pipe.hlen(prefix + name)
        pipe.memory_usage(prefix + name, samples=0)
    urls, captures_bytes, analyses, analyses_bytes = pipe.execute()
    return SharedTableSize(
        int(urls), int(analyses), int(captures_bytes or 0), int(analyses_bytes or 0)
    )
