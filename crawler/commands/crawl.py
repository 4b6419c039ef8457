"""``warcloom crawl`` and ``warcloom demo``: run the articles spider to the end."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from archive.collection import Collection, CollectionBusy

__all__ = ["register"]


def register(subparsers: Any) -> None:
    crawl = subparsers.add_parser("crawl", help="crawl seeds into a WARC collection")
    crawl.add_argument("urls", nargs="*", help="seed URLs")
    crawl.add_argument("--seeds-file", help="file with one seed URL per line")
    crawl.add_argument("--sitemap", action="append", default=[], help="sitemap.xml URL")
    crawl.add_argument("--feed", action="append", default=[], help="RSS/Atom feed URL")
    crawl.add_argument(
        "--from-archive",
        metavar="PATH",
        help="replay from this collection (or output directory) instead of the network",
    )
    crawl.add_argument(
        "--archive-timestamp",
        metavar="YYYYMMDDhhmmss",
        help="with --from-archive: use the captures nearest to this time",
    )
    _add_crawl_options(crawl, out="warcloom-data")
    crawl.set_defaults(func=cmd_crawl)

    demo = subparsers.add_parser("demo", help="serve the bundled sample site and crawl it")
    _add_crawl_options(demo, out="warcloom-demo")
    demo.set_defaults(func=cmd_demo, seeds_file=None, sitemap=[], feed=[], from_archive=None)


def _add_crawl_options(parser: argparse.ArgumentParser, *, out: str) -> None:
    parser.add_argument("--out", default=out, help=f"output directory (default: {out})")
    parser.add_argument("--collection", default="default", help="collection name")
    parser.add_argument("--follow", choices=("related", "content", "all"), default="related")
    parser.add_argument("--depth", type=int, default=0, help="max hops from a seed (0: no limit)")
    parser.add_argument("--domains", nargs="*", default=[], help="allowed hosts (default: seeds')")
    parser.add_argument("--include", action="append", default=[], help="URL regex to keep")
    parser.add_argument("--exclude", action="append", default=[], help="URL regex to drop")
    parser.add_argument("--allow-private", action="store_true", help="allow private addresses")
    parser.add_argument("--contact", help="contact URL put in the User-Agent")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--stats-json", metavar="PATH", help="write the final crawl stats here")
    parser.add_argument("-v", "--verbose", action="count", default=0)


def _crawl_settings(args: argparse.Namespace) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    out = Path(args.out)
    values: dict[str, Any] = {
        "WARCLOOM_OUT": str(out),
        "WARCLOOM_COLLECTION": args.collection,
        "WARCLOOM_FOLLOW": args.follow,
        "WARCLOOM_ALLOW_PRIVATE": args.allow_private,
        "WARCLOOM_INCLUDE": args.include,
        "WARCLOOM_EXCLUDE": args.exclude,
        "WARCLOOM_FRONTIER": str(Collection.under(out, args.collection).frontier_path),
        "LOG_LEVEL": "DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING",
    }
    if args.contact:
        values["WARCLOOM_CONTACT_URL"] = args.contact
    if getattr(args, "from_archive", None):
        values["WARCLOOM_FROM_ARCHIVE"] = args.from_archive
        if args.archive_timestamp:
            values["WARCLOOM_ARCHIVE_TIMESTAMP"] = args.archive_timestamp
    settings.setdict(values, priority="cmdline")
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"warcloom: -s expects NAME=VALUE, got {item!r}")
        settings.set(name, value, priority="cmdline")
    return settings


def _run_crawl(settings: Any, spider_args: dict[str, Any]) -> dict[str, Any]:
    """Run the articles spider to the end, holding the collection; returns its stats."""
    from crawler.config import WarcloomConfig

    try:  # fail on bad settings before anything starts, with the reason and no traceback
        config = WarcloomConfig.from_settings(settings)
    except ValueError as exc:
        raise SystemExit(f"warcloom: {exc}") from None
    lock = config.coll.lock()
    try:  # one run at a time: taken before anything of the collection is touched
        lock.acquire("warcloom crawl")
    except CollectionBusy as exc:
        raise SystemExit(f"warcloom: {exc}") from None
    try:
        return _crawl(settings, spider_args)
    finally:
        lock.release()


def _crawl(settings: Any, spider_args: dict[str, Any]) -> dict[str, Any]:
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.articles import ArticlesSpider

    frontier = Path(settings.get("WARCLOOM_FRONTIER"))
    frontier.parent.mkdir(parents=True, exist_ok=True)
    finished_marker = frontier.with_suffix(".finished")
    if finished_marker.exists():  # the last crawl ended: start afresh, not "all seen"
        for path in frontier.parent.glob(frontier.name + "*"):
            path.unlink()
        finished_marker.unlink()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ArticlesSpider)
    process.crawl(crawler, **{k: v for k, v in spider_args.items() if v})
    process.start()  # Ctrl-C, SIGTERM, write errors: see crawler.stopping
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get("finish_reason") == "finished":
        finished_marker.touch()
    elif "warcloom/stop/message" in stats:  # stopped early: the next run resumes
        message = stats["warcloom/stop/message"]
        lost = stats.get("warcloom/not_archived", 0)
        if lost:
            message += f"; {lost} fetched response(s) not archived"
        print(f"warcloom: {message}; the next run resumes the crawl", file=sys.stderr)
    return stats


def _spider_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "seeds": ",".join(args.urls),
        "seeds_file": args.seeds_file,
        "sitemap": ",".join(args.sitemap),
        "feed": ",".join(args.feed),
        "depth": args.depth,
        "domains": ",".join(args.domains),
    }


def _print_result(stats: dict[str, Any], settings: Any) -> None:
    from crawler.config import WarcloomConfig
    from crawler.progress import format_summary

    config = WarcloomConfig.from_settings(settings)
    print(format_summary(stats))
    print(f"WARC files: {config.coll.archive_dir}")
    print(f"CDXJ index: {config.coll.index_path}")
    print(f"finish reason: {stats.get('finish_reason', 'unknown')}")


def _write_stats(stats: dict[str, Any], path: str | None) -> None:
    if path:
        Path(path).write_text(json.dumps(stats, default=str, indent=1, sort_keys=True))


def cmd_crawl(args: argparse.Namespace) -> int:
    if not (args.urls or args.seeds_file or args.sitemap or args.feed):
        raise SystemExit("warcloom crawl: give seed URLs, --seeds-file, --sitemap or --feed")
    settings = _crawl_settings(args)
    stats = _run_crawl(settings, _spider_args(args))
    _write_stats(stats, args.stats_json)
    _print_result(stats, settings)
    return 0 if stats.get("finish_reason") == "finished" else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.sample_site import SampleSite

    with SampleSite() as site:
        args.urls = [site.url(site.manifest.seed_path)]
        # A local site: be quick rather than polite (the defaults are 1 s and 1 per host).
        args.set = [
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
            "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            "DOWNLOAD_TIMEOUT=5",
            *args.set,
        ]
        print(f"Serving the sample news site on {site.base_url}; crawling {args.urls[0]}")
        settings = _crawl_settings(args)
        stats = _run_crawl(settings, _spider_args(args))
    _write_stats(stats, args.stats_json)
    _print_result(stats, settings)
    out = Path(args.out)
    coll = Collection.under(out, args.collection)
    collection = coll.root
    print("\nNext, try:")
    print(f"  warcloom replay {out}                      # browse it on http://127.0.0.1:8080/")
    print(f"  warcloom export {collection} --format jsonl --out - --lang zh-Hant | head -c 600")
    print(f"  warcloom check {coll.archive_dir}")
    print(f"  warcloom wacz {collection} -o demo.wacz")
    return 0 if stats.get("finish_reason") == "finished" else 1
