"""A real Redis for cluster tests, workers as subprocesses, sites on loopback addresses, and a
TCP proxy in front of Redis that can be cut (the shared server is never stopped)."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawler.cluster import RedisFrontier, connect
from crawler.sample_site import SampleSite, Served

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


def redis_or_skip() -> str:
    """REDIS_URL (default redis://127.0.0.1:6379) if a Redis answers there, else skip."""
    client = connect(REDIS_URL, timeout=2)
    try:
        client.ping()
    except Exception as exc:  # any failure: no Redis to test against
        pytest.skip(f"no Redis answers at {REDIS_URL} ({exc}); set REDIS_URL to one")
    finally:
        client.close()
    return REDIS_URL


@contextlib.contextmanager
def crawl_name() -> Iterator[str]:
    """A collection name no other test uses; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        RedisFrontier(connect(REDIS_URL), name).delete()


@contextlib.contextmanager
def loopback_sites(count: int, stall: float = 1.0) -> Iterator[list[SampleSite]]:
    """The sample site served on 127.0.0.2, 127.0.0.3, ...: one host each."""
    sites = [SampleSite(host=f"127.0.0.{2 + i}", stall_seconds=stall) for i in range(count)]
    try:
        yield [site.start() for site in sites]
    finally:
        for site in sites:
            site.stop()


def seeds(sites: list[SampleSite]) -> list[str]:
    return [site.url(site.manifest.seed_path) for site in sites]


def reachable(sites: list[SampleSite]) -> set[str]:
    return {s.url(a.path) for s in sites for a in s.manifest.articles if a.reachable}


def worker_args(urls: list[str], url: str, name: str, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        *urls,
        "--redis",
        url,
        "--collection",
        name,
        "--out",
        str(out),
        "--stats-json",
        str(out / "stats.json"),
        "-v",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "RANDOMIZE_DOWNLOAD_DELAY=False",
        "-s",
        "DOWNLOAD_TIMEOUT=10",
        "-s",
        "WARCLOOM_WORKERS=1",
        *extra,
    ]


def start_workers(
    count: int, make_args: Callable[[int], list[str]], log_dir: Path, first: int = 0
) -> list:
    """Worker processes ``first`` to ``count - 1``, output in ``log_dir/worker-N.log``."""
    procs = []
    for number in range(first, count):
        log = open(log_dir / f"worker-{number}.log", "w")  # noqa: SIM115 - closed with it
        proc = subprocess.Popen(make_args(number), stdout=log, stderr=subprocess.STDOUT)
        proc.log_path = log_dir / f"worker-{number}.log"  # type: ignore[attr-defined]
        log.close()
        procs.append(proc)
    return procs


def wait_until(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def overlaps(served: list[Served]) -> list[tuple[str, str]]:
    """Pairs of requests one server was serving at the same time."""
    ordered = sorted(served, key=lambda r: r.start)
    return [(a.path, b.path) for a, b in itertools.pairwise(ordered) if b.start < a.end]


def handovers(served: list[Served]) -> list[float]:
    """Seconds from the server beginning to answer one worker's request to the next request
    it read, when that came from another worker (User-Agent). Both times err only towards a
    longer gap whatever the load: the answer cannot have reached its worker (nor the worker
    given the host up) before ``replied``, and ``start`` is taken after the request came."""
    ordered = sorted(served, key=lambda r: r.start)
    return [b.start - a.replied for a, b in itertools.pairwise(ordered) if a.agent != b.agent]


class RedisProxy:
    """Forwards 127.0.0.1:<port> to Redis; ``cut()`` closes every connection and refuses new
    ones (Redis is down, as workers see it), ``restore()`` listens again on the same port."""

    def __init__(self, target: str) -> None:
        client = connect(target)
        kwargs = client.connection_pool.connection_kwargs
        self.target = (kwargs.get("host", "127.0.0.1"), int(kwargs.get("port", 6379)))
        self.db = int(kwargs.get("db", 0))
        client.close()
        self.port = 0
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
