"""Recrawl benchmark: a crawl, the site changes, the same crawl again; the second run's cost
against the first's.

    python bench/recrawl.py [--pages 2000] [--workdir /tmp/warcloom-recrawl-bench]

Generates the crawl benchmark's site (bench/crawl.py: seed-style pages of ~50 KB, 20
related-reading links each) and serves it from nginx on 127.0.0.1 (which answers
If-None-Match / If-Modified-Since from the files), crawls it into a collection, then edits
~10% of the articles (a paragraph rewritten), changes only the boilerplate of another
~10% (the sidebar), adds ~5% new articles linked from the edited ones, and crawls again.
Prints, for each run: wall time, pages fetched, bytes written, captures by change kind;
and the second run's bytes and time as a share of the first's (targets: <= 25% and
<= 50%).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path

from crawl import SPEED, generate_site, run_measured, start_server

from archive.collection import Collection

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("new", "changed", "unchanged-text", "not-modified", "identical", "gone")


def crawl(seed: str, out: Path, stats: Path) -> tuple[float, dict]:
    flags = [x for s in (*SPEED, "WARCLOOM_PROGRESS=off") for x in ("-s", s)]
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", seed, "--out", str(out)]
    seconds = run_measured([*cmd, "--stats-json", str(stats), *flags]).elapsed
    return seconds, json.loads(stats.read_text())


def warc_bytes(out: Path) -> dict[str, int]:
    archive = Collection.under(out, "default").archive_dir
    return {p.name: p.stat().st_size for p in archive.glob("*.warc.gz")}


def change_site(news: Path, pages: int, rng: random.Random) -> dict[str, int]:
    """Edit ~10%, touch the boilerplate of ~10%, add ~5% linked from the edited."""
    order = rng.sample(range(pages), pages)
    edited, touched = order[: pages // 10], order[pages // 10 : pages // 5]
    new = list(range(pages, pages + pages // 20))
    for n, i in enumerate(edited):
        path = news / f"p{i:05d}.html"
        html = path.read_text()
        html = html.replace("<p>", "<p>Updated: the association revised its figures. ", 1)
        if n < len(new):  # a new article, linked from this one's related reading
            link = f'<li><a href="/news/p{new[n]:05d}.html">A new report {new[n]}</a></li>'
            html = html.replace("</ul></div></article>", link + "</ul></div></article>", 1)
        path.write_text(html)
    for i in touched:
        path = news / f"p{i:05d}.html"
        html = path.read_text()
        path.write_text(re.sub(r"Copyright 2015", "Copyright 2015-2026 (updated)", html, count=1))
    template = (news / f"p{edited[0]:05d}.html").read_text()
    for j in new:
        (news / f"p{j:05d}.html").write_text(template.replace("<h1>", f"<h1>New {j} ", 1))
    return {"edited": len(edited), "boilerplate": len(touched), "new": len(new)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workdir", default="/tmp/warcloom-recrawl-bench")
    args = parser.parse_args(argv)
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    site, out = work / "site", work / "out"
    work.mkdir(parents=True)
    size = generate_site(site, args.pages)
    server, port, kind = start_server(site, work)
    seed = f"http://127.0.0.1:{port}/news/p00000.html"
    try:
        first_s, first = crawl(seed, out, work / "stats-1.json")
        first_files = warc_bytes(out)
        time.sleep(1.1)  # nginx's Last-Modified has one-second resolution
        changes = change_site(site / "news", args.pages, random.Random(7))
        second_s, second = crawl(seed, out, work / "stats-2.json")
        second_files = {k: v for k, v in warc_bytes(out).items() if k not in first_files}
    finally:
        server.terminate()
        server.wait()
    first_b, second_b = sum(first_files.values()), sum(second_files.values())
    print(f"site: {args.pages} pages of ~{size // 1000} KB served by {kind}")
    print(f"changes: {changes}")
    print(
        f"{'run':<8}{'wall s':>9}{'fetched':>9}{'revisits':>10}{'MB written':>12}  by change kind"
    )
    for name, seconds, stats, written in (
        ("first", first_s, first, first_b),
        ("second", second_s, second, second_b),
    ):
        fetched = stats.get("warcloom/captures", 0)
        revisits = stats.get("warcloom/captures/revisit", 0)
        kinds = {k: stats[f"warcloom/change/{k}"] for k in KINDS if f"warcloom/change/{k}" in stats}
        print(f"{name:<8}{seconds:>9.1f}{fetched:>9}{revisits:>10}{written / 1e6:>12.2f}  {kinds}")
    bytes_share, time_share = second_b / first_b, second_s / first_s
    print(
        f"second/first: bytes {bytes_share:.1%} (target <= 25%), time {time_share:.1%} "
        "(target <= 50%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
