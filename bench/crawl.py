"""Crawl benchmark: warcloom against a bare Scrapy CrawlSpider, on one local site, in one run.

    python bench/crawl.py [--pages 2000] [--out bench/out] [--variants a,b,c,d]

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

It prints pages/s and peak RSS (process tree) for each, and (c)/(a), (b)/(a), (d)/(a).
Every variant uses the same concurrency (16, no delay) and obeys robots.txt.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

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


def start_server(site: Path, work: Path) -> tuple[subprocess.Popen, int, str]:
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
            f"server {{ listen 127.0.0.1:{port}; root {site}; }} }}\n"
        )
        (work / "tmp").mkdir(exist_ok=True)
        process = subprocess.Popen([nginx, "-c", str(conf)])
        kind = "nginx"
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


def run_measured(cmd: list[str]) -> tuple[float, int]:
    """Run ``cmd``; returns wall seconds and peak RSS (bytes) of its whole process tree."""
    started = time.monotonic()
    process = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    if process.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {process.stderr.read().decode()[-3000:]}")
    return elapsed, peak


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
    args = parser.parse_args(argv)
    work = args.out.resolve()
    work.mkdir(parents=True, exist_ok=True)
    site = work / "site"
    shutil.rmtree(site, ignore_errors=True)
    average = generate_site(site, args.pages)
    if "f" in args.variants.split(","):
        generate_site(site, args.pages, "media")
    server, port, kind = start_server(site, work)
    seed = f"http://127.0.0.1:{port}/news/p00000.html"
    print(f"site: {args.pages} pages, {average / 1000:.1f} KB average, served by {kind}")
    print(f"cpu: {psutil.cpu_count()} cores\n")
    results: dict[str, tuple[float, float, int]] = {}
    try:
        commands = variant_commands(seed, work)
        for key in args.variants.split(","):
            label, cmd, stats_path = commands[key]
            elapsed, peak = run_measured(cmd)
            stats = json.loads(Path(stats_path).read_text())
            pages = pages_fetched(stats)
            results[key] = (pages / elapsed, elapsed, peak)
            requisites = stats.get("warcloom/requisites", 0)
            print(
                f"({key}) {label:38s} {pages:5d} pages {elapsed:6.1f} s "
                f"{pages / elapsed:7.1f} pages/s  peak RSS {peak / 2**20:6.0f} MiB"
                + (f"  (+{requisites} requisites)" if requisites else "")
            )
    finally:
        server.terminate()
        server.wait()
    if "a" in results:
        base = results["a"][0]
        print()
        for key in "cbdefr":
            if key in results:
                print(f"({key})/(a) = {results[key][0] / base:.2f}")
        print("targets: (c)/(a) >= 1.0, (b)/(a) >= 0.9")
    return 0


if __name__ == "__main__":
    sys.exit(main())
