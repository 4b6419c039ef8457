"""Crawl benchmark: warcloom against a bare Scrapy CrawlSpider, on one local site, in one run.

    python bench/crawl.py [--pages 2000] [--out bench/out] [--variants a,b,c,d]
                          [--site light|realistic] [--repeat N]

Generates >= 2,000 seed-style pages (~50 KB, 20 related-reading links each plus site
navigation), serves them from nginx on 127.0.0.1 (a Python server when nginx is missing:
it costs CPU, so figures are then lower and noted), and runs, each in a fresh process:

  (a) bare Scrapy CrawlSpider following every link, nothing else (the baseline)
  (b) warcloom, capture only (extraction off: links only, in the worker pool)
  (c) warcloom, full pipeline (capture + extraction + language tags in worker processes)
  (d) warcloom, extraction inline on the reactor thread
  (e) warcloom, full pipeline following every link like (a) (not in the default run)
  (f) warcloom, full pipeline on the same pages with requisites: a shared stylesheet and
      logo, and one picture per page (not in the default run; pages/s counts HTML pages)
  (r) warcloom, full pipeline with every page also rendered in Chromium (``--render
      always``, 2 browser contexts; not in the default run: ``--variants c,r``, with fewer
      ``--pages``, as a browser renders a few pages a second)

(b), (c) and (d) follow the related-reading links (warcloom's default), which reach every
page of the generated site; (e) shows the cost of following everything as (a) does.

``--site realistic`` serves the pages of ``bench/realistic_site.py`` instead (~64 KB
pages like real news sites': big inline styles and scripts, JSON-LD, CMS markup, ~180
links, 19% Chinese in UTF-8, GBK or Big5, every response gzip through nginx's
``gzip_static``). On this shared 2-core machine compare the CPU per page; wall-clock
ratios follow the other processes' load (see the README's Benchmarks).

It prints pages/s, CPU ms per page of the crawl's main (reactor) process and of its
worker processes (and of the server), and peak RSS (process tree) for each, and
(c)/(a), (b)/(a), (d)/(a). ``--repeat N`` runs the variants N times in turn.
Every variant uses the same concurrency (16, no delay) and obeys robots.txt.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

import psutil

ROOT = Path(__file__).resolve().parent.parent
SPEED = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS=16",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "LOG_LEVEL=WARNING",
]
WORDS = [
    *"textile exporters in Zhejiang reported steady orders for cotton yarn and polyester".split(),
    *"fabric while dyeing mills upgraded wastewater plants and e-commerce platforms".split(),
    *"helped small garment makers reach buyers in Southeast Asia Latin America and".split(),
    *"Europe as freight costs eased and wages rose across the Yangtze River Delta".split(),
]
CHINESE = ["纺织", "服装", "出口", "订单", "面料", "相关", "市场", "企业", "電商", "產業"]


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _page(i: int, n: int, rng: random.Random, section: str = "news") -> str:
    """Page ``i`` of ``n``; in the ``media`` section it loads a stylesheet, a logo and a
    picture of its own."""
    title = _sentence(rng, 8).rstrip(".").title()
    related = [(i + k * 37) % n for k in range(1, 21)]  # 20 related links, graph connected
    latest = [(i + k) % n for k in range(1, 121)]  # site navigation: 120 article links
    nav = "".join(f'<li><a href="/news/p{j:05d}.html">Story {j}</a></li>' for j in latest)
    menu = "".join(
        f'<li><a href="/news/p{(i * 7 + k) % n:05d}.html">Sec {k}</a></li>' for k in range(30)
    )
    footer = "".join(
        f'<a href="/news/p{(i * 13 + k) % n:05d}.html">Info {k}</a> ' for k in range(30)
    )
    rel = "".join(
        f'<li><a href="/news/p{j:05d}.html">{_sentence(rng, 6)} {rng.choice(CHINESE)}</a></li>'
        for j in related
    )
    body = "".join(f"<p>{_sentence(rng, 40)} {_sentence(rng, 30)}</p>" for _ in range(10))
    script = "var cfg = {" + ",".join(f'"k{k}": "{"x" * 40}"' for k in range(600)) + "};"
    media = section == "media"
    head = '<link rel="stylesheet" href="/static/site.css">' if media else ""
    logo = '<img src="/static/logo.png" alt="Sample Textile News">' if media else ""
    picture = f'<figure><img src="/img/p{i:05d}.png" alt="{title}"></figure>' if media else ""
    html = textwrap.dedent(f"""\
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
        <script>{script}</script><style>{"body{margin:0}" * 300}</style>{head}</head><body>
        <header>{logo}<nav class="menu"><ul>{menu}</ul></nav></header>
        <div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/news/p00000.html">News</a></div>
        <div id="main"><article><h1>{title}</h1>{picture}
        <p class="byline">By Staff, 2015-0{i % 9 + 1}-1{i % 9}</p>
        {body}
        <div class="related"><h3>Related reading</h3><ul>{rel}</ul></div></article>
        <aside class="sidebar"><h3>Latest</h3><ul>{nav}</ul></aside></div>
        <footer>{footer}<p>Copyright 2015 Sample Textile News</p></footer>
        </body></html>""")
    return html.replace("/news/", "/media/") if media else html


def generate_site(directory: Path, pages: int, section: str = "news") -> int:
    """The pages of ``section`` (``news``, or ``media`` with requisites) and robots.txt;
    returns their average size."""
    rng = random.Random(20141229)
    pages_dir = directory / section
    pages_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(pages):
        html = _page(i, pages, rng, section).encode()
        (pages_dir / f"p{i:05d}.html").write_bytes(html)
        total += len(html)
    if section == "media":
        (directory / "static").mkdir(exist_ok=True)
        (directory / "static" / "site.css").write_text("body{font-family:serif}\n" * 200)
        (directory / "static" / "logo.png").write_bytes(bytes(range(256)) * 8)
        (directory / "img").mkdir(exist_ok=True)
        for i in range(pages):
            (directory / "img" / f"p{i:05d}.png").write_bytes(rng.randbytes(20_000))
    (directory / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return total // pages


def start_server(
    site: Path, work: Path, gzip_static: bool = False
) -> tuple[subprocess.Popen, int, str]:
    port = _free_port()
    nginx = shutil.which("nginx")
    if nginx:
        conf = work / "nginx.conf"
        conf.write_text(
            f"daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; client_body_temp_path {work}/tmp; "
            f"proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp; "
            f"uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp; "
            "default_type text/html; types { text/html html; text/plain txt; } "
            + ("gzip_static on; " if gzip_static else "")
            + f"server {{ listen 127.0.0.1:{port}; root {site}; }} }}\n"
        )
        (work / "tmp").mkdir(exist_ok=True)
        process = subprocess.Popen([nginx, "-c", str(conf)])
        kind = "nginx" + (" (gzip_static: every page gzip)" if gzip_static else "")
    else:
        process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "-b", "127.0.0.1", "-d", str(site)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        kind = "python http.server (costs CPU: figures are lower than with nginx)"
    _wait_port(port)
    return process, port, kind


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int) -> None:
    import socket

    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


class Measured(NamedTuple):
    """A run: wall seconds, peak RSS of the process tree, CPU seconds of the main process
    (the reactor) and of its descendants (the extraction workers)."""

    elapsed: float
    peak: int
    cpu_main: float
    cpu_workers: float


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def run_measured(cmd: list[str]) -> Measured:
    """Run ``cmd``; returns wall seconds, peak RSS (bytes) of its whole process tree and
    the CPU seconds of the main process and of its descendants: the whole tree's CPU is
    the rusage of the waited-for command (it waits for its workers); each descendant's is
    polled every 0.1 s (its last figure, at most 0.1 s old, counts), the rest is the main
    process's."""
    started = time.monotonic()
    process = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    workers: dict[int, float] = {}
    rusage = None
    while rusage is None:
        try:
            children = process.children(recursive=True)
            tree = [process, *children]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            for child in children:
                workers[child.pid] = max(workers.get(child.pid, 0.0), _cpu(child))
        except psutil.Error:
            pass
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid == 0:
            rusage = None
            time.sleep(0.1)
    elapsed = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {process.stderr.read().decode()[-3000:]}")
    total = rusage.ru_utime + rusage.ru_stime
    cpu_workers = sum(workers.values())
    return Measured(elapsed, peak, total - cpu_workers, cpu_workers)


BASELINE = """
import json, sys
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

class Baseline(CrawlSpider):
    name = "baseline"
    allowed_domains = ["127.0.0.1"]
    start_urls = [sys.argv[1]]
    rules = (Rule(LinkExtractor(), follow=True),)
    def parse_start_url(self, response):
        return []

settings = dict(item.split("=", 1) for item in sys.argv[3:])
settings.update(ROBOTSTXT_OBEY=True, TELNETCONSOLE_ENABLED=False)
process = CrawlerProcess(settings)
crawler = process.create_crawler(Baseline)
process.crawl(crawler)
process.start()
with open(sys.argv[2], "w") as fh:
    json.dump(crawler.stats.get_stats(), fh, default=str)
"""


def variant_commands(seed: str, work: Path) -> dict[str, tuple[str, list[str], str]]:
    """Each variant's label, command and stats file (``seed``: a page of /news/; variant f
    crawls the same page of /media/)."""
    baseline = work / "baseline.py"
    baseline.write_text(BASELINE)

    def warcloom(name: str, *settings: str, start: str = seed) -> list[str]:
        out = work / f"out-{name}"
        shutil.rmtree(out, ignore_errors=True)
        flags = [x for s in (*SPEED, "WARCLOOM_PROGRESS=off", *settings) for x in ("-s", s)]
        return [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            start,
            "--out",
            str(out),
            "--stats-json",
            str(work / f"stats-{name}.json"),
            *flags,
        ]

    stats = {k: str(work / f"stats-{k}.json") for k in "abcdefr"}
    return {
        "a": (
            "bare Scrapy CrawlSpider, follow all",
            [sys.executable, str(baseline), seed, stats["a"], *SPEED],
            stats["a"],
        ),
        "b": ("warcloom capture only", warcloom("b", "WARCLOOM_EXTRACT=False"), stats["b"]),
        "c": ("warcloom full pipeline", warcloom("c"), stats["c"]),
        "d": (
            "warcloom extraction inline",
            warcloom("d", "WARCLOOM_EXTRACT_INLINE=True"),
            stats["d"],
        ),
        "e": (
            "warcloom full pipeline, follow all",
            warcloom("e", "WARCLOOM_FOLLOW=all"),
            stats["e"],
        ),
        "f": (
            "warcloom full pipeline, with requisites",
            warcloom("f", start=seed.replace("/news/", "/media/")),
            stats["f"],
        ),
        "r": (
            "warcloom full pipeline, render always",
            warcloom("r", "WARCLOOM_RENDER=always", "WARCLOOM_RENDER_CONTEXTS=2"),
            stats["r"],
        ),
    }


def pages_fetched(stats: dict) -> int:
    """HTML pages fetched (requisites not counted)."""
    if stats.get("warcloom/requisites"):
        return stats.get("warcloom/pages", 0)
    return stats.get("warcloom/captures/status/200") or stats.get(
        "downloader/response_status_count/200", 0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "crawl")
    parser.add_argument("--variants", default="a,b,c,d")
    parser.add_argument("--site", choices=("light", "realistic"), default="light")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    work = args.out.resolve()
    work.mkdir(parents=True, exist_ok=True)
    site = work / "site"
    shutil.rmtree(site, ignore_errors=True)
    realistic = args.site == "realistic"
    if realistic:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from realistic_site import generate_realistic_site

        average = generate_realistic_site(site, args.pages)
    else:
        average = generate_site(site, args.pages)
    if "f" in args.variants.split(","):
        generate_site(site, args.pages, "media")
    server, port, kind = start_server(site, work, gzip_static=realistic)
    seed = f"http://127.0.0.1:{port}/news/p00000.html"
    print(f"site: {args.site}, {args.pages} pages, {average / 1000:.1f} KB average, by {kind}")
    print(f"cpu: {psutil.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print(
        f"{'':45s} {'pages':>5s} {'wall s':>6s} {'pages/s':>7s} {'CPU ms/page: main':>17s}"
        f" {'workers':>7s} {'server':>6s} {'peak RSS':>8s}"
    )
    results: dict[str, list[float]] = {}
    nginx = psutil.Process(server.pid)
    try:
        commands = variant_commands(seed, work)
        for _ in range(args.repeat):
            for key in args.variants.split(","):
                label, cmd, stats_path = commands[key]
                shutil.rmtree(work / f"out-{key}", ignore_errors=True)
                server_before = _tree_cpu(nginx)
                run = run_measured(cmd)
                server_cpu = _tree_cpu(nginx) - server_before
                stats = json.loads(Path(stats_path).read_text())
                pages = pages_fetched(stats)
                requisites = stats.get("warcloom/requisites", 0)
                results.setdefault(key, []).append(pages / run.elapsed)
                print(
                    f"({key}) {label:41s} {pages:5d} {run.elapsed:6.1f} "
                    f"{pages / run.elapsed:7.1f} {1000 * run.cpu_main / pages:17.1f}"
                    f" {1000 * run.cpu_workers / pages:7.1f} {1000 * server_cpu / pages:6.1f}"
                    f" {run.peak / 2**20:5.0f} MiB"
                    + (f"  (+{requisites} requisites)" if requisites else ""),
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()
    if "a" in results:
        print()
        for key in "cbdefr":
            if key in results:
                ratios = [x / a for x, a in zip(results[key], results["a"], strict=False)]
                print(f"({key})/(a) = " + ", ".join(f"{r:.2f}" for r in ratios))
        print("targets: (c)/(a) >= 1.2 (realistic site), >= 2 (light site)")
    return 0


def _tree_cpu(process: psutil.Process) -> float:
    """CPU seconds of ``process`` and its children (nginx's workers)."""
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += _cpu(p)
    return total


if __name__ == "__main__":
    sys.exit(main())
