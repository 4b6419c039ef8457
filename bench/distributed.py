"""Cluster benchmark: 1, 2 and 4 workers sharing one Redis frontier, politeness-bound hosts.

    python bench/distributed.py [--hosts 32] [--pages 25] [--latency 0.1] [--delay 0.5]
                                [--workers 1,2,4] [--fingerprints 1000000] [--redis URL]

Serves ``--hosts`` small news sites on loopback addresses (127.0.0.2, 127.0.0.3, ...), each
``--pages`` article pages linking to each other, every answer after ``--latency`` seconds;
then crawls them with N ``warcloom crawl --redis`` workers (one request at a time per host,
``--delay`` between them, 16 requests per worker) and prints pages/s for each N, the
Redis round trips per page and the memory per URL of the shared last-captures table the
crawl leaves (``MEMORY USAGE`` of its two hashes, every element counted). Then it measures
Redis memory per million fingerprints (the seen set) and per queued request.

Without ``--redis`` it starts a private redis-server on a free loopback port (Debian's
package), so the shared one is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.cluster import RedisFrontier, connect  # noqa: E402
from crawler.cluster._frontier import shared_table_size  # noqa: E402

WORDS = (
    "textile exporters reported steady orders for cotton yarn while dyeing mills upgraded "
    "wastewater plants and small garment makers reached buyers abroad as freight eased"
).split()


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.server.latency)
        page = self.server.pages.get(self.path)
        body = page.encode() if page else b"not found"
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8" if page else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    latency: float
    pages: dict[str, str]


def _pages(count: int, rng: random.Random) -> dict[str, str]:
    pages = {}
    for i in range(count):
        related = "".join(
            f'<li><a href="/news/{(i + k * 7) % count}.html">Story {(i + k * 7) % count}</a></li>'
            for k in range(1, 6)
        )
        text = "".join(
            f"<p>{' '.join(rng.choice(WORDS) for _ in range(40)).capitalize()}.</p>"
            for _ in range(8)
        )
        pages[f"/news/{i}.html"] = (
            f"<html lang='en'><head><title>Story {i}</title></head><body><article>"
            f"<h1>Story {i}</h1>{text}</article><aside><h2>Related reading</h2><ul>{related}"
            "</ul></aside></body></html>"
        )
    return pages


def serve_sites(hosts: int, pages: int, latency: float) -> list[_Server]:
    rng = random.Random(1)
    site = _pages(pages, rng)
    servers = []
    for n in range(hosts):
        server = _Server((f"127.0.0.{2 + n}", 0), _Site)
        server.latency, server.pages = latency, site
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def private_redis(workdir: Path) -> tuple[str, subprocess.Popen]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            connect(url).ping()
            return url, proc
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def crawl(url: str, servers: list[_Server], workers: int, delay: float, out: Path) -> dict:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    seeds = [f"http://{s.server_address[0]}:{s.server_address[1]}/news/0.html" for s in servers]
    seeds_file = out / "seeds.txt"
    seeds_file.write_text("\n".join(seeds) + "\n")
    procs = []
    started = time.monotonic()
    for n in range(workers):
        args = [
            sys.executable, "-m", "crawler.cli", "crawl", "--seeds-file", str(seeds_file),
            "--redis", url, "--collection", name, "--out", str(out / f"w{n}"),
            "--stats-json", str(out / f"w{n}.json"),
            "-s", f"DOWNLOAD_DELAY={delay}", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=16",
            "-s", "WARCLOOM_WORKERS=1", "-s", "WARCLOOM_REDIS_LEASE=6",
        ]  # fmt: skip
        procs.append(subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL))
    codes = [p.wait() for p in procs]
    elapsed = time.monotonic() - started
    stats = [json.loads((out / f"w{n}.json").read_text()) for n in range(workers)]
    table = shared_table_size(connect(url, timeout=60), name)
    RedisFrontier(connect(url), name).delete()
    pages = sum(s.get("warcloom/captures", 0) for s in stats)
    calls = sum(s.get("warcloom/cluster/redis_calls", 0) for s in stats)
    return {
        "workers": workers,
        "exit codes": codes,
        "pages": pages,
        "seconds": round(elapsed, 1),
        "pages/s": round(pages / elapsed, 1),
        "redis calls/page": round(calls / max(pages, 1), 2),
        "pages per worker": [s.get("warcloom/captures", 0) for s in stats],
        "shared last captures": {
            **table.to_json(),
            "GB per million URLs": round(table.bytes_per_url / 1000, 2),
            "GB per 100 million URLs": round(table.bytes_per_url / 10, 1),
        },
    }


def memory(url: str, fingerprints: int) -> dict:
    """Bytes of Redis memory per fingerprint in the seen set and per queued request."""
    from scrapy import Request

    client = connect(url, timeout=60)
    prefix = f"warcloom:bench-mem-{uuid.uuid4().hex[:6]}:"
    before = client.info("memory")["used_memory"]
    rng = random.Random(2)
    for start in range(0, fingerprints, 10_000):
        batch = [rng.randbytes(20) for _ in range(min(10_000, fingerprints - start))]
        client.sadd(prefix + "seen", *batch)
    seen = client.info("memory")["used_memory"] - before
    queued = 100_000
    before = client.info("memory")["used_memory"]
    pipe = client.pipeline(transaction=False)
    sizes = []
    for i in range(queued):
        request = Request(f"https://www.example-news.org/2026/12/04/story-{i}.html")
        request.meta["depth"] = 3
        data = pickle.dumps(request.to_dict(), pickle.HIGHEST_PROTOCOL)
        sizes.append(len(data))
        pipe.rpush(prefix + "q:www.example-news.org", data)
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    queue = client.info("memory")["used_memory"] - before
    client.delete(prefix + "seen", prefix + "q:www.example-news.org")
    return {
        "seen set, bytes per fingerprint (= MB per million)": round(seen / fingerprints, 1),
        "queued request, bytes each (Redis)": round(queue / queued, 1),
        "queued request, pickled bytes": round(sum(sizes) / len(sizes), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=32)
    parser.add_argument("--pages", type=int, default=25, help="pages per host")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--fingerprints", type=int, default=1_000_000)
    parser.add_argument("--redis", help="use this Redis (default: a private redis-server)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="warcloom-bench-"))
    server = None
    url = args.redis
    if url is None:
        url, server = private_redis(workdir)
    try:
        print(f"{os.cpu_count()} cores; {args.hosts} hosts x {args.pages} pages, latency "
              f"{args.latency} s, delay {args.delay} s; Redis {url}")  # fmt: skip
        servers = serve_sites(args.hosts, args.pages, args.latency)
        for count in (int(n) for n in args.workers.split(",")):
            out = workdir / f"run-{count}"
            out.mkdir()
            print(json.dumps(crawl(url, servers, count, args.delay, out)), flush=True)
            shutil.rmtree(out)
        if args.fingerprints:
            print(json.dumps(memory(url, args.fingerprints)))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
