"""Benchmark of index lookups: ``archive.index.lookup`` on a 1,000,000-line sorted CDXJ.

    /work/venv/bin/python bench/lookup.py [--lines 1000000] [--lookups 2000]

Builds the index in a temporary directory (lines shaped like warcloom's, ~430 bytes each,
sorted in byte order; about a minute on 2 cores), then times lookups of random captured
URLs (with and without a timestamp) and of URLs that are not in the index, each call
opening the file as replay does. Prints p50/p95/p99 in milliseconds. The index was just
written, so it is in the page cache: the figures are warm-cache ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.index import lookup, url_key, write_index


def build(path: Path, n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    urls = []
    lines = []
    for i in range(n):
        host = f"news{i % 997}.example{(i // 997) % 13}.com"
        url = f"https://{host}/{2010 + i % 15}/{i % 12 + 1:02d}/article-{i}.html?ref=r{i % 7}"
        ts = f"{2014 + i % 11}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 24:02d}{i % 60:02d}{i % 59:02d}"
        data = {
            "url": url,
            "mime": "text/html",
            "status": "200",
            "digest": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32)),
            "length": str(rng.randint(2000, 90000)),
            "offset": str(rng.randint(0, 10**9)),
            "filename": f"warcloom-2024050110000000{i % 100:01d}-{i % 500:05d}-host-1.warc.gz",
            "charset": "utf-8",
            "languages": "eng,zho" if i % 3 else "zho",
            "title": f"Article number {i} about textiles",
        }
        lines.append(f"{url_key(url)} {ts} {json.dumps(data, ensure_ascii=False)}")
        urls.append(url)
    lines.sort()
    write_index(lines, path)
    return urls


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49]:.3f} ms  p95 {q[94]:.3f} ms  p99 {q[98]:.3f} ms  max {max(samples):.3f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.cdxj"
        started = time.perf_counter()
        urls = build(path, args.lines)
        size = os.path.getsize(path)
        print(
            f"built {args.lines:,} lines, {size / 1e6:.0f} MB, "
            f"in {time.perf_counter() - started:.1f} s"
        )
        rng = random.Random(7)
        cases = {
            "captured URL": [(rng.choice(urls), None) for _ in range(args.lookups)],
            "captured URL, nearest to a timestamp": [
                (rng.choice(urls), "20190601") for _ in range(args.lookups)
            ],
            "URL not in the index": [
                (f"https://absent{i}.example.org/x", None) for i in range(args.lookups)
            ],
        }
        for name, queries in cases.items():
            samples = []
            for url, ts in queries:
                t0 = time.perf_counter()
                found = lookup(path, url, ts)
                samples.append((time.perf_counter() - t0) * 1000)
                if name.startswith("captured") and not found:
                    raise SystemExit(f"lookup missed {url}")
            print(f"{name:40s} {percentiles(samples)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
