"""``warcloom crawl`` and ``warcloom demo``: run the articles spider to the end."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from archive.collection import Collection, CollectionBusy
from crawler.commands import (
    UsageError,
    check_directory,
    check_output_file,
    redis_client,
    write_output_file,
)
from crawler.durations import parse_duration

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
    crawl.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("WARCLOOM_REDIS_URL"),
        help="join the crawl of --collection shared in this Redis (redis://host:6379/0; "
        "default: $WARCLOOM_REDIS_URL)",
    )
    crawl.add_argument(
        "--enqueue-only",
        action="store_true",
        help="with --redis: put the start requests (seeds, sitemaps, feeds) into the shared "
        "crawl and return; the workers fetch them",
    )
    crawl.add_argument(
        "--stay",
        action="store_true",
        help="with --redis: a standing worker; when the shared crawl is finished, wait for "
        "requests to be queued again and crawl them, until Ctrl-C or SIGTERM",
    )
    _add_crawl_options(crawl, out="warcloom-data")
    crawl.set_defaults(func=cmd_crawl)

    demo = subparsers.add_parser("demo", help="serve the bundled sample site and crawl it")
    _add_crawl_options(demo, out="warcloom-demo")
    demo.set_defaults(
        func=cmd_demo,
        seeds_file=None,
        sitemap=[],
        feed=[],
        from_archive=None,
        redis=None,
        enqueue_only=False,
        stay=False,
    )


def _add_crawl_options(parser: argparse.ArgumentParser, *, out: str) -> None:
    parser.add_argument(
        "--out",
        help=f"output directory (default: {out}; with --from-archive, the archive's own)",
    )
    parser.add_argument("--collection", help="collection name (default: default)")
    parser.set_defaults(default_out=out)
    parser.add_argument("--follow", choices=("related", "content", "all"), default="related")
    parser.add_argument("--depth", type=int, default=0, help="max hops from a seed (0: no limit)")
    parser.add_argument("--domains", nargs="*", default=[], help="allowed hosts (default: seeds')")
    parser.add_argument("--include", action="append", default=[], help="URL regex to keep")
    parser.add_argument("--exclude", action="append", default=[], help="URL regex to drop")
    parser.add_argument("--allow-private", action="store_true", help="allow private addresses")
    parser.add_argument("--contact", help="contact URL put in the User-Agent")
    parser.add_argument(
        "--requisites",
        choices=("none", "same-site", "all"),
        help="the images, stylesheets, fonts and scripts of captured pages to fetch "
        "(default: same-site: those on the page's registrable domain)",
    )
    parser.add_argument(
        "--requisites-hosts",
        metavar="HOST,...",
        help="with --requisites all: only these other hosts (and their subdomains)",
    )
    parser.add_argument(
        "--render",
        choices=("never", "auto", "always"),
        help="load pages in Chromium too: always, or auto (too little text in the raw HTML, "
        "or a URL matching WARCLOOM_RENDER_URLS); default: never",
    )
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--stats-json", metavar="PATH", help="write the final crawl stats here")
    revisit = parser.add_argument_group(
        "recrawls", "a crawl into a collection that has captures asks only for what changed"
    )
    revisit.add_argument(
        "--revisit-after",
        type=_duration,
        metavar="DURATION",
        help="do not request pages captured more recently than this (30m, 6h, 7d)",
    )
    revisit.add_argument(
        "--revisit",
        choices=("always", "adaptive"),
        default="always",
        help="adaptive: each URL's interval doubles while it does not change (default: "
        "every page reached is requested again, conditionally)",
    )
    revisit.add_argument(
        "--revisit-min", type=_duration, metavar="DURATION", help="adaptive: shortest (1h)"
    )
    revisit.add_argument(
        "--revisit-max", type=_duration, metavar="DURATION", help="adaptive: longest (30d)"
    )
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
    if args.requisites:
        values["WARCLOOM_REQUISITES"] = args.requisites
    if args.requisites_hosts:
        if args.requisites != "all":
            raise UsageError("--requisites-hosts needs --requisites all")
        values["WARCLOOM_REQUISITES_HOSTS"] = args.requisites_hosts
    if args.render:
        values["WARCLOOM_RENDER"] = args.render
    values["WARCLOOM_REVISIT"] = args.revisit
    for name, value in (
        ("WARCLOOM_REVISIT_AFTER", args.revisit_after),
        ("WARCLOOM_REVISIT_MIN", args.revisit_min),
        ("WARCLOOM_REVISIT_MAX", args.revisit_max),
    ):
        if value is not None:
            values[name] = value.total_seconds()
    if args.redis:
        values["WARCLOOM_REDIS_URL"] = args.redis
    if getattr(args, "enqueue_only", False):
        values["WARCLOOM_REDIS_ENQUEUE_ONLY"] = True
    if getattr(args, "from_archive", None):
        values["WARCLOOM_FROM_ARCHIVE"] = args.from_archive
        if args.archive_timestamp:
            values["WARCLOOM_ARCHIVE_TIMESTAMP"] = args.archive_timestamp
    settings.setdict(values, priority="cmdline")
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"-s expects NAME=VALUE, got {item!r}")
        problem = setting_problem(name, value)
        if problem:
            raise UsageError(f"-s {item}: {problem}")
        settings.set(name, value, priority="cmdline")
    return settings


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_KINDS = {bool: "true or false", int: "an integer", float: "a number"}


def setting_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the setting ``name`` (None: it can, or it is not checked).

    A setting read as an int, float or bool (a ``WARCLOOM_*`` one by its getter in the
    crawler, another by the type of its default in crawler/settings.py or Scrapy's
    defaults) must convert; an int default takes any number (Scrapy reads several as
    floats)."""
    from scrapy.settings import BaseSettings, default_settings

    from crawler import settings as project_settings
    from crawler.config import known_settings

    kind = known_settings().get(name)
    if kind is None and not name.startswith("WARCLOOM_"):
        default = getattr(project_settings, name, getattr(default_settings, name, None))
        if isinstance(default, bool):
            kind = bool
        elif isinstance(default, int | float):
            kind = float
    if kind is None:
        return None
    probe = BaseSettings({name: value})
    read = {bool: probe.getbool, int: probe.getint, float: probe.getfloat}[kind]
    try:
        read(name)
    except (TypeError, ValueError):
        return f"{name} expects {_KINDS[kind]}, got {value!r}"
    return None


def unknown_settings(settings: Any) -> list[str]:
    """A line for each ``WARCLOOM_*`` setting the crawler does not read, with the closest
    known name."""
    from crawler.config import known_settings

    known = known_settings()
    prefix = "WARCLOOM_"
    said = []
    for name in sorted(settings):
        if name.startswith(prefix) and name not in known:
            # compared without the prefix they all share, or everything would be close
            rest = [known_name.removeprefix(prefix) for known_name in known]
            close = difflib.get_close_matches(name.removeprefix(prefix), rest, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            said.append(f"unknown setting {name}{hint}")
    return said


def _check_seeds(args: argparse.Namespace) -> None:
    """Every seed, sitemap and feed URL is one a crawl can start from."""
    from crawler.seeds import seed_problem, seeds_file_lines

    given = [("seed", url) for url in args.urls]
    given += [("--sitemap", url) for url in args.sitemap]
    given += [("--feed", url) for url in args.feed]
    for label, url in given:
        problem = seed_problem(url)
        if problem:
            raise UsageError(f"{label} {problem}")
    if args.seeds_file:
        try:
            lines = seeds_file_lines(args.seeds_file)
        except UnicodeDecodeError:
            raise UsageError(f"--seeds-file {args.seeds_file}: not UTF-8 text") from None
        except OSError as exc:
            raise UsageError(f"--seeds-file {args.seeds_file}: {exc.strerror}") from None
        for number, url in lines:
            problem = seed_problem(url)
            if problem:
                raise UsageError(f"--seeds-file {args.seeds_file}:{number}: {problem}")
        if not (lines or given):
            raise UsageError(f"--seeds-file {args.seeds_file}: no URL in it")


def _check_settings(settings: Any, args: argparse.Namespace) -> Any:
    """The crawl's configuration, its output directory and the archive it replays from,
    checked before anything is created; warns of unknown ``WARCLOOM_*`` settings."""
    from archive.collection import CollectionNotFound
    from crawler.config import WarcloomConfig
    from crawler.render import chromium_problem

    if args.depth < 0:
        raise UsageError(f"--depth {args.depth}: must be 0 or more (0 means no limit)")
    check_output_file("--stats-json", args.stats_json)
    try:
        config = WarcloomConfig.from_settings(settings)
        if settings.get("WARCLOOM_REDIS_URL"):
            from crawler.cluster import ClusterConfig

            ClusterConfig.from_settings(settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    option = "--out" if config.out == Path(args.out) else "WARCLOOM_OUT"
    check_directory(config.out, f"{option} {config.out}")
    problem = chromium_problem(config.render, settings)
    if problem:
        raise UsageError(problem)
    if settings.get("WARCLOOM_FROM_ARCHIVE"):
        from crawler.archive_source import ReplayOptions

        option = "--from-archive" if args.from_archive else "WARCLOOM_FROM_ARCHIVE"
        try:
            ReplayOptions.from_settings(settings)
        except CollectionNotFound as exc:
            raise UsageError(f"{option}: {exc}") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    for line in unknown_settings(settings):
        print(f"warcloom: warning: {line}", file=sys.stderr)
    return config


def _run_crawl(settings: Any, spider_args: dict[str, Any], args: argparse.Namespace) -> dict:
    """Run the articles spider to the end, holding the collection; returns its stats."""
    config = _check_settings(settings, args)
    if getattr(args, "note", None):
        print(args.note, file=sys.stderr)
    if getattr(args, "enqueue_only", False):  # writes nothing but its history line
        return _crawl(settings, spider_args, scrapy_logs=args.verbose > 0)
    lock = config.coll.lock()
    try:  # one run at a time: taken before anything of the collection is touched
        lock.acquire("warcloom crawl")
    except CollectionBusy as exc:
        raise SystemExit(f"warcloom: {exc}") from None  # exit 1: not a mistake, a busy one
    try:
        return _crawl(settings, spider_args, scrapy_logs=args.verbose > 0)
    finally:
        lock.release()


def _crawl(settings: Any, spider_args: dict[str, Any], *, scrapy_logs: bool) -> dict[str, Any]:
    import logging

    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.articles import ArticlesSpider

    frontier = Path(settings.get("WARCLOOM_FRONTIER"))
    frontier.parent.mkdir(parents=True, exist_ok=True)
    finished_marker = frontier.with_suffix(".finished")
    if settings.get("WARCLOOM_REDIS_URL"):  # the frontier is the cluster's (it starts afresh
        finished_marker = None  # after a finished crawl itself)
    elif finished_marker.exists():  # the last crawl ended: start afresh, not "all seen"
        for path in frontier.parent.glob(frontier.name + "*"):
            path.unlink()
        finished_marker.unlink()
    process = CrawlerProcess(settings)  # (it sets Scrapy's loggers up)
    if not scrapy_logs:  # Scrapy's own lines only with -v; warcloom's warnings and the
        # summary say what went wrong (a page given up after retries is a fetch error)
        for name in ("scrapy", "twisted", "py.warnings"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    crawler = process.create_crawler(ArticlesSpider)
    failures: list[str] = []  # what stopped the crawl from starting or ending (a full disk)
    crawling = process.crawl(crawler, **{k: v for k, v in spider_args.items() if v})
    crawling.addErrback(lambda f: failures.append(f"{f.type.__name__}: {f.getErrorMessage()}"))
    process.start()  # Ctrl-C, SIGTERM, write errors: see crawler.stopping
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if failures:
        stats["finish_reason"] = "failed"
        print(f"warcloom: the crawl failed: {failures[0]} (frontier {frontier})", file=sys.stderr)
    if stats.get("finish_reason") == "finished":
        if finished_marker is not None:
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
    if stats.get("warcloom/cluster/enqueue_only"):
        print(
            f"enqueued {stats.get('warcloom/cluster/pushed', 0)} request(s) into the shared "
            f"crawl {config.collection} ({stats.get('warcloom/cluster/duplicates', 0)} "
            "already there); nothing fetched here"
        )
        print(f"finish reason: {stats.get('finish_reason', 'unknown')}")
        return
    print(format_summary(stats))
    print(f"WARC files: {config.coll.archive_dir}")
    print(f"CDXJ index: {config.coll.index_path}")
    print(f"finish reason: {stats.get('finish_reason', 'unknown')}")
    if _cluster_worker(stats):
        print(
            f"cluster worker {stats['warcloom/cluster/worker']}: "
            f"{stats.get('warcloom/cluster/acknowledged', 0)} request(s) done here"
        )
    elif not _pages_fetched(stats):
        print("no page could be fetched: see the fetch errors and refusals above")


def _pages_fetched(stats: dict[str, Any]) -> int:
    """Responses received, robots.txt's left out."""
    return stats.get("response_received_count", 0) - stats.get("robotstxt/response_count", 0)


def _cluster_worker(stats: dict[str, Any]) -> bool:
    """A worker of a shared crawl (``--redis``): other workers may have fetched everything."""
    return "warcloom/cluster/worker" in stats


def _exit_code(stats: dict[str, Any]) -> int:
    """0 when the crawl finished and fetched something (a cluster worker: when the shared
    crawl finished), else 1."""
    fetched = _pages_fetched(stats) or _cluster_worker(stats)
    return 0 if stats.get("finish_reason") == "finished" and fetched else 1


def _write_stats(stats: dict[str, Any], path: str | None) -> None:
    if path:
        write_output_file(path, json.dumps(stats, default=str, indent=1, sort_keys=True))


def _where(args: argparse.Namespace) -> None:
    """Fill in ``--out`` and ``--collection``. A crawl from an archive writes its analysis
    next to the archived responses unless told otherwise; told otherwise, it says that the
    new collection refers to responses it does not hold (or copies them, with
    ``-s WARCLOOM_ARCHIVE_CAPTURE=true``)."""
    from archive.collection import CollectionNotFound

    source = None
    if getattr(args, "from_archive", None):
        try:
            source = Collection.open(args.from_archive, need_index=True)
        except CollectionNotFound as exc:
            raise UsageError(f"--from-archive: {exc}") from None
    if args.out is None and source is not None and source.out_dir is not None:
        args.out = str(source.out_dir)
        args.collection = args.collection or source.name
    args.out = args.out or args.default_out
    args.collection = args.collection or "default"
    target = Collection.under(args.out, args.collection)
    copies = any(item.partition("=")[0] == "WARCLOOM_ARCHIVE_CAPTURE" for item in args.set)
    args.note = None  # said once the crawl's arguments are all checked
    if source is not None and target.root.resolve() != source.root and not copies:
        args.note = (
            f"warcloom: note: the analysis records written to {target.root} refer to "
            f"responses in {source.root}: export or replay the two together, or copy the "
            "responses with -s WARCLOOM_ARCHIVE_CAPTURE=true"
        )


def cmd_crawl(args: argparse.Namespace) -> int:
    seeded = args.urls or args.seeds_file or args.sitemap or args.feed
    _check_modes(args, bool(seeded))
    if not (seeded or args.redis):
        raise UsageError("crawl: give seed URLs, --seeds-file, --sitemap or --feed")
    if args.redis:
        _check_redis(args)
    _where(args)
    _check_seeds(args)
    settings = _crawl_settings(args)
    if args.stay:
        _check_settings(settings, args)
        return _stand(args)
    stats = _run_crawl(settings, _spider_args(args), args)
    _write_stats(stats, args.stats_json)
    _print_result(stats, settings)
    return _exit_code(stats)


def _check_modes(args: argparse.Namespace, seeded: bool) -> None:
    """``--enqueue-only`` and ``--stay`` are modes of a cluster worker, and exclusive."""
    for flag, given in (("--enqueue-only", args.enqueue_only), ("--stay", args.stay)):
        if given and not args.redis:
            raise UsageError(f"{flag} needs --redis URL: it is a mode of a shared crawl's worker")
    if args.enqueue_only and args.stay:
        raise UsageError("--enqueue-only and --stay cannot be used together")
    if args.enqueue_only and not seeded:
        raise UsageError("--enqueue-only needs seed URLs, --seeds-file, --sitemap or --feed")
    if args.stay and seeded:
        raise UsageError(
            "--stay takes no seeds: a standing worker crawls what is enqueued "
            "(warcloom crawl --redis URL --collection NAME --enqueue-only SEEDS)"
        )


def _stand(args: argparse.Namespace) -> int:
    """A standing worker: this command line without ``--stay``, each time work is queued."""
    from crawler.cluster import RedisFrontier, StandingWorker, connect

    argv = [a for a in args.argv if not (a.startswith("--st") and "--stay".startswith(a))]
    command = [sys.executable, "-m", "crawler.cli", *argv]
    frontier = RedisFrontier(connect(args.redis), args.collection)

    def say(text: str) -> None:
        print(f"warcloom: standing worker: {text}", file=sys.stderr, flush=True)

    try:
        return StandingWorker(frontier, command, say=say).run()
    finally:
        frontier.client.close()


def _check_redis(args: argparse.Namespace) -> None:
    """``--redis`` names a Redis that answers, and the shared crawl is named."""
    if not args.collection:
        raise UsageError("--redis needs --collection: the name of the crawl the workers share")
    if args.from_archive:
        raise UsageError("--redis and --from-archive cannot be used together")
    with redis_client(args.redis) as client:
        client.ping()


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
        _where(args)
        settings = _crawl_settings(args)
        stats = _run_crawl(settings, _spider_args(args), args)
    _write_stats(stats, args.stats_json)
    _print_result(stats, settings)
    out = Path(args.out)
    coll = Collection.under(out, args.collection)
    collection = coll.root
    print(
        "(The sample site breaks some pages on purpose: a 500 retried then given up, a 404, "
        "a redirect chain, a path robots.txt forbids, a body cut short.)"
    )
    print("\nNext, try:")
    print(f"  warcloom replay {out}                      # browse it on http://127.0.0.1:8080/")
    print(f"  warcloom export {collection} --format jsonl --out - --lang zh-Hant | head -c 600")
    print(f"  warcloom check {coll.archive_dir}")
    print(f"  warcloom wacz {collection} -o demo.wacz")
    return _exit_code(stats)
