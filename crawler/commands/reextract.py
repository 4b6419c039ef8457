"""``warcloom reextract``: analyse a collection's responses again, append the new records."""

from __future__ import annotations

import argparse
import sys

from crawler.commands import positive_int
from crawler.commands.export import add_extraction_options, extraction_options

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reextract",
        help="run extraction and language tagging again over a collection",
        description="Analyse the archived HTML responses of a collection again and write new "
        "metadata and conversion records to new WARC files of the collection; the index then "
        "points to the newest.",
    )
    parser.add_argument("collection", help="collection directory (.../collections/NAME)")
    parser.add_argument("--since", help="only captures at or after (2024, 2024-05-01, ISO time)")
    parser.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: all cores)"
    )
    parser.add_argument("--dask", metavar="ADDRESS", help="run on a Dask distributed scheduler")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    add_extraction_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.collection import Collection, CollectionBusy
    from archive.export import parse_time_bound
    from archive.reextract import reextract

    try:
        summary = reextract(
            Collection.open(args.collection),
            since=parse_time_bound(args.since) if args.since else None,
            options=extraction_options(args),
            workers=args.workers,
            dask_address=args.dask,
            progress={"auto": None, "on": True, "off": False}[args.progress],
        )
    except CollectionBusy as exc:
        print(f"warcloom reextract: {exc}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:
        print(f"warcloom reextract: {exc}", file=sys.stderr)
        return 2
    print(summary.format())
    return 1 if summary.errors else 0
