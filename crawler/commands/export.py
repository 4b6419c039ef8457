"""``warcloom export``: clean text of collections or WARC files to JSONL, Parquet, WET, text."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from crawler.commands import check_output_file, output_error, positive_int, write_output_file

__all__ = ["register"]

FORMATS = ("jsonl", "parquet", "wet", "txt")
# the format an output file's name tells, longest suffix first
_SUFFIXES = (
    (".warc.gz", "wet"),
    (".wet.gz", "wet"),
    (".parquet", "parquet"),
    (".jsonl", "jsonl"),
    (".json", "jsonl"),
    (".wet", "wet"),
)


def add_extraction_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("extraction (when analysing responses)")
    group.add_argument("--fast", action="store_true", help="trafilatura's fast mode")
    group.add_argument("--favor-precision", action="store_true")
    group.add_argument("--favor-recall", action="store_true")
    group.add_argument("--no-tables", action="store_true", help="leave table text out")
    group.add_argument("--comments", action="store_true", help="keep comment sections")


def extraction_options(args: argparse.Namespace):
    from archive.extraction import ExtractionOptions

    return ExtractionOptions(
        fast=args.fast,
        favor_precision=args.favor_precision,
        favor_recall=args.favor_recall,
        include_tables=not args.no_tables,
        include_comments=args.comments,
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export clean text: JSONL, Parquet, WET or plain text",
        description="Export the clean text of collections, WARC/ARC files or directories.",
    )
    parser.add_argument("inputs", nargs="+", help="collection directories, WARC/ARC files, dirs")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="default: told by --out (.jsonl/.json, .parquet, .wet/.wet.gz/.warc.gz, a "
        "directory or a name ending in / for txt; - is jsonl)",
    )
    parser.add_argument("--out", required=True, help="output file (txt: a directory); - = stdout")
    filters = parser.add_argument_group("filters")
    filters.add_argument("--lang", default="", help="BCP 47 tags, comma-separated")
    filters.add_argument("--lang-mode", choices=("any", "all", "primary"), default="any")
    filters.add_argument("--since", help="captured at or after (2024, 2024-05-01, ISO time)")
    filters.add_argument("--until", help="captured at or before (a date counts whole)")
    filters.add_argument("--domain", action="append", default=[], help="host or parent domain")
    filters.add_argument("--url-regex", help="keep URLs matching this regex (re.search)")
    filters.add_argument("--min-words", type=int, default=0)
    filters.add_argument("--status", action="append", default=[], help="200, 2xx; repeatable")
    filters.add_argument("--mime", action="append", default=[], help="text/html, text/*")
    filters.add_argument(
        "--changed-since",
        metavar="TIME",
        help="captured at or after TIME (as --since) with new or changed text (a recrawl's "
        "change kind)",
    )
    filters.add_argument(
        "--all-captures",
        action="store_true",
        help="every version of each URL's text, not only the latest capture",
    )
    parser.add_argument("--dedup", choices=("none", "exact", "near"), default="none")
    parser.add_argument(
        "--near-threshold", type=float, default=0.8, help="MinHash Jaccard threshold (0.8)"
    )
    parser.add_argument("--links", metavar="PATH", help="also write the link graph (.csv/.parquet)")
    parser.add_argument("--reextract", action="store_true", help="analyse the HTML again")
    parser.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: all cores)"
    )
    parser.add_argument("--dask", metavar="ADDRESS", help="run on a Dask distributed scheduler")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--summary-json", metavar="PATH", help="write the summary as JSON")
    add_extraction_options(parser)
    parser.set_defaults(func=run)


def output_format(given: str | None, out: str) -> str:
    """The format to write ``out`` in: ``given``, or the one its name tells; raises
    ValueError when it cannot be told or the two disagree."""
    if out == "-":
        return given or "jsonl"
    if out.endswith(("/", os.sep)) or Path(out).is_dir():
        told: str | None = "txt"
    else:
        name = Path(out).name.lower()
        told = next((fmt for suffix, fmt in _SUFFIXES if name.endswith(suffix)), None)
    if given is not None:
        if told is not None and told != given:
            raise ValueError(f"--format {given} contradicts --out {out}, a {told} output")
        return given
    if told is None:
        raise ValueError(
            f"--out {out}: cannot tell the format from the name: give --format "
            f"({', '.join(FORMATS)}) or end it in .jsonl, .parquet, .wet.gz or /"
        )
    return told


def run(args: argparse.Namespace) -> int:
    from archive.export import ExportOptions, Filters, export

    check_output_file("--summary-json", args.summary_json)
    try:
        options = ExportOptions(
            format=output_format(args.format, args.out),
            filters=Filters.build(
                languages=[args.lang],
                lang_mode=args.lang_mode,
                since=args.since,
                until=args.until,
                domains=args.domain,
                url_regex=args.url_regex,
                min_words=args.min_words,
                statuses=args.status,
                mimes=args.mime,
                changed_since=args.changed_since,
            ),
            dedup=args.dedup,
            near_threshold=args.near_threshold,
            latest_only=not args.all_captures,
            reextract=args.reextract,
            extraction=extraction_options(args),
            workers=args.workers,
            dask_address=args.dask,
            links_path=args.links,
            progress={"auto": None, "on": True, "off": False}[args.progress],
        )
        summary = export(args.inputs, args.out, options)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): crawler.cli ends quietly
    except ValueError as exc:
        print(f"warcloom export: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        message = output_error(exc, {"--out": args.out, "--links": args.links})
        print(f"warcloom export: {message}", file=sys.stderr)
        return 2
    print(summary.format(), file=sys.stderr)
    if args.summary_json:
        write_output_file(args.summary_json, json.dumps(summary.to_json(), indent=1))
    return 1 if summary.errors else 0
