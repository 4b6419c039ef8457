"""Several worker processes crawl one site set through a real Redis: shared, polite, complete
when a worker is killed or Redis goes away for a while."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from cluster_helpers import (
    RedisProxy,
    crawl_name,
    handovers,
    loopback_sites,
    overlaps,
    reachable,
    redis_or_skip,
    seeds,
    start_workers,
    wait_until,
    worker_args,
)
from crawl_helpers import ArchiveView, warcloom

from archive.writer import recover_open_files
from crawler.cluster import RedisFrontier, connect

WORKER_TIMEOUT = 240  # seconds: generous, nothing here depends on the machine's speed


def archive_dirs(tmp_path: Path, name: str, count: int) -> list[Path]:
    return [tmp_path / f"w{n}" / "collections" / name / "archive" for n in range(count)]


def captured_200(dirs: list[Path]) -> Counter[str]:
    """Pages (robots.txt left out: each worker that takes a host reads it) with status 200,
    per URL, over every worker's archive."""
    found: Counter[str] = Counter()
    for directory in dirs:
        for record in ArchiveView.load(directory).of_type("response"):
            if record.http_status == 200 and not record.url.endswith("/robots.txt"):
                found[record.url] += 1
    return found


def check_files(dirs: list[Path]) -> None:
    """Every WARC file passes ``warcio check`` and ``warcloom check``; none is left open."""
    files = [p for d in dirs if d.exists() for p in sorted(d.iterdir())]
    assert files and not [p for p in files if p.name.endswith(".open")], files
    warcio = str(Path(sys.executable).parent / "warcio")
    for path in files:
        assert subprocess.run([warcio, "check", str(path)], capture_output=True).returncode == 0
    # (a worker that captured nothing, having joined after the others took every host,
    # has an empty directory: not one to check)
    warcloom("check", *sorted({str(path.parent) for path in files}))


def wait_all(procs: list[subprocess.Popen]) -> list[int]:
    return [proc.wait(timeout=WORKER_TIMEOUT) for proc in procs]


def logs(procs: list[subprocess.Popen]) -> str:
    return "\n".join(Path(p.log_path).read_text() for p in procs)  # type: ignore[attr-defined]


def test_three_workers_crawl_every_page_once_politely(tmp_path: Path) -> None:
    url = redis_or_skip()
    delay = 0.25
    with crawl_name() as name, loopback_sites(3) as sites:

        def args(n: int) -> list[str]:
            return worker_args(
                seeds(sites) if n < 2 else [],  # the third joins without seeds
                url,
                name,
                tmp_path / f"w{n}",
                "-s",
                f"DOWNLOAD_DELAY={delay}",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                "-s",
                "WARCLOOM_REDIS_LEASE=6",
                "-s",
                f"USER_AGENT=worker-{n}",  # the sites' logs tell the workers apart
            )

        frontier = RedisFrontier(connect(url), name)
        # the first worker takes every host; the two that join get some handed over
        procs = start_workers(1, args, tmp_path)
        wait_until(
            lambda: [len(w.shards) for w in frontier.snapshot().workers] == [3],
            60,
            "the first worker holding the three hosts",
        )
        procs += start_workers(3, args, tmp_path, first=1)
        wait_until(lambda: len(frontier.snapshot().workers) == 3, 60, "three workers registered")
        status = warcloom("status", "--redis", url, "--collection", name)
        codes = wait_all(procs)
        served = {site.host: list(site.served) for site in sites}
        finished = frontier.snapshot().finished  # the next crawl of it starts afresh
    output = logs(procs)
    assert codes == [0, 0, 0], output[-3000:]
    assert f"crawl {name}: running" in status and status.count(" pid ") == 3, status
    assert output.count("given up (more than a fair share held)") >= 2
    dirs = archive_dirs(tmp_path, name, 3)
    counts = captured_200(dirs)
    expected = reachable(sites)
    assert expected <= set(counts)
    assert {u: n for u, n in counts.items() if n > 1} == {}
    # one request at a time per host, whichever worker sends it; when a host changes
    # hands, the next worker's first request comes at least the delay after the last
    # one was answered (measured so that a starved server thread errs only towards a
    # longer gap; Redis counts whole milliseconds). Within one worker, the delay is
    # Scrapy's, counted when a request is sent: a CPU-starved worker may send one late,
    # so the server's gaps say nothing there
    changes = 0
    for host, log in served.items():
        assert overlaps(log) == [], host
        gaps = handovers(log)
        assert all(gap >= delay - 0.001 for gap in gaps), (host, gaps)
        changes += len(gaps)
    assert changes >= 2
    stats = [json.loads((tmp_path / f"w{n}" / "stats.json").read_text()) for n in range(3)]
    assert all(s["finish_reason"] == "finished" for s in stats)
    assert sum(s.get("warcloom/cluster/duplicates", 0) for s in stats) >= 3  # the seeds
    assert all(s.get("warcloom/cluster/acknowledged") for s in stats)  # all three worked
    check_files(dirs)
    assert finished
    # one sorted CDXJ over every worker's files
    index = warcloom("index", *[str(d) for d in dirs])
    lines = index.splitlines()
    assert lines == sorted(lines)
    assert all(f'"url": "{url}"' in index for url in expected)


def test_a_killed_workers_hosts_are_taken_over_and_the_crawl_completes(tmp_path: Path) -> None:
    url = redis_or_skip()
    with crawl_name() as name, loopback_sites(3) as sites:
        procs = start_workers(
            3,
            lambda n: worker_args(
                seeds(sites),
                url,
                name,
                tmp_path / f"w{n}",
                "-s",
                "DOWNLOAD_DELAY=0.2",
                "-s",
                "WARCLOOM_REDIS_LEASE=3",
                "-s",
                "WARCLOOM_WARC_MAX_SIZE=100000",
            ),
            tmp_path,
        )
        frontier = RedisFrontier(connect(url), name)
        pids = {proc.pid: proc for proc in procs}

        def holder() -> tuple[int, list[str]] | None:
            if sum(len(site.served) for site in sites) < 40:
                return None
            for worker in frontier.snapshot().workers:
                if worker.shards and worker.details.get("pid") in pids:
                    return worker.details["pid"], worker.shards
            return None

        pid, held = wait_until(holder, 120, "a worker holding a shard mid-crawl")  # type: ignore[misc]
        os.kill(pid, signal.SIGKILL)
        victim = pids[pid]
        victim.wait(timeout=30)
        survivors = [proc for proc in procs if proc is not victim]
        codes = wait_all(survivors)
    output = logs(survivors)
    assert codes == [0, 0], output[-3000:]
    assert "taken over from worker" in output
    dirs = archive_dirs(tmp_path, name, 3)
    victim_dir = dirs[procs.index(victim)]
    recover_open_files(victim_dir)  # what the killed worker's next start does
    counts = captured_200(dirs)
    assert reachable(sites) <= set(counts)
    # a page is fetched twice only if the killed worker held it
    twice = {u for u, n in counts.items() if n > 1}
    assert all(any(f"//{host}:" in u for host in held) for u in twice), (twice, held)
    check_files(dirs)


def test_a_worker_stopped_with_ctrl_c_hands_its_hosts_over_at_once(tmp_path: Path) -> None:
    url = redis_or_skip()
    with crawl_name() as name, loopback_sites(2) as sites:
        procs = start_workers(
            2,
            lambda n: worker_args(
                seeds(sites), url, name, tmp_path / f"w{n}", "-s", "DOWNLOAD_DELAY=0.2"
            ),
            tmp_path,
        )
        frontier = RedisFrontier(connect(url), name)

        def holder() -> subprocess.Popen | None:
            if sum(len(site.served) for site in sites) < 20:
                return None
            pids = {w.details.get("pid") for w in frontier.snapshot().workers if w.shards}
            return next((p for p in procs if p.pid in pids), None)

        stopped = wait_until(holder, 120, "a worker holding a shard mid-crawl")
        stopped.send_signal(signal.SIGINT)  # type: ignore[union-attr]
        codes = wait_all(procs)
    output = logs(procs)
    assert codes[procs.index(stopped)] == 1 and sorted(codes) == [0, 1], output[-3000:]
    assert "taken over from worker" not in output  # given up, not waited for (lease 30 s)
    dirs = archive_dirs(tmp_path, name, 2)
    assert reachable(sites) <= set(captured_200(dirs))
    check_files(dirs)


def test_redis_away_for_ten_seconds_pauses_the_workers_and_the_crawl_completes(
    tmp_path: Path,
) -> None:
    url = redis_or_skip()
    proxy = RedisProxy(url)
    try:
        with crawl_name() as name, loopback_sites(2) as sites:
            procs = start_workers(
                2,
                lambda n: worker_args(
                    seeds(sites), proxy.url, name, tmp_path / f"w{n}", "-s", "DOWNLOAD_DELAY=0.1"
                ),
                tmp_path,
            )
            wait_until(lambda: sum(len(s.served) for s in sites) >= 30, 120, "30 requests")
            proxy.cut()
            time.sleep(10)
            proxy.restore()
            codes = wait_all(procs)
    finally:
        proxy.close()
    output = logs(procs)
    assert codes == [0, 0], output[-3000:]
    assert "unreachable" in output and "the crawl pauses" in output
    assert "answers again" in output
    dirs = archive_dirs(tmp_path, name, 2)
    assert reachable(sites) <= set(captured_200(dirs))
    check_files(dirs)


def test_redis_gone_for_good_closes_the_warc_files_and_exits_1(tmp_path: Path) -> None:
    url = redis_or_skip()
    proxy = RedisProxy(url)
    try:
        with crawl_name() as name, loopback_sites(1) as sites:
            procs = start_workers(
                1,
                lambda n: worker_args(
                    seeds(sites),
                    proxy.url,
                    name,
                    tmp_path / f"w{n}",
                    "-s",
                    "DOWNLOAD_DELAY=0.1",
                    "-s",
                    "WARCLOOM_REDIS_GIVE_UP=3",
                ),
                tmp_path,
            )
            wait_until(lambda: len(sites[0].served) >= 10, 120, "10 requests")
            proxy.cut()
            codes = wait_all(procs)
    finally:
        proxy.close()
    output = logs(procs)
    assert codes == [1], output[-3000:]
    assert "unreachable for" in output
    check_files(archive_dirs(tmp_path, name, 1))


def test_cluster_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "crawler.cli", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k != "WARCLOOM_REDIS_URL"},
        )

    seed = "http://127.0.0.2/"
    out = str(tmp_path / "out")
    cases = {
        ("crawl", seed, "--redis", "http://x", "--collection", "c", "--out", out): "redis://",
        ("crawl", seed, "--redis", "redis://127.0.0.1:6379", "--out", out): "--collection",
        ("crawl", seed, "--redis", "redis://127.0.0.1:1", "--collection", "c"): "cannot connect",
        ("status",): "--redis",
        ("status", "--redis", "redis://127.0.0.1:1"): "cannot connect",
    }
    for args, said in cases.items():
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert said in result.stderr and result.stderr.count("\n") == 1, (args, result.stderr)
    assert not (tmp_path / "out").exists()
