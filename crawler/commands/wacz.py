"""``warcloom wacz``: package a collection as a WACZ file (WARCs, CDXJ index, pages, manifest)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crawler.commands import output_error

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "wacz",
        help="package a collection as a WACZ file",
        description="Package a collection as WACZ 1.1.1: its WARC files, a CDXJ index, "
        "pages/pages.jsonl (url, ts, title, text, languages of every analysed page) and "
        "datapackage.json with the sha256 of each file.",
    )
    parser.add_argument(
        "collection", help="collection directory, or an output directory with one collection"
    )
    parser.add_argument("-o", "--output", help="WACZ file to write (default: <collection>.wacz)")
    parser.add_argument("--title", help="title in datapackage.json (default: collection name)")
    parser.add_argument("--description", help="description in datapackage.json (Markdown)")
    parser.set_defaults(func=cmd_wacz)


def cmd_wacz(args: argparse.Namespace) -> int:
    from archive.collection import Collection
    from archive.wacz import write_wacz

    output = args.output
    try:
        collection = Collection.open(args.collection)
        output = output or f"{collection.name}.wacz"
        if not output.endswith(".wacz"):
            raise ValueError(f"a WACZ file name must end in .wacz, got {output!r}")
        errors: list[Any] = []
        result = write_wacz(
            collection, output, title=args.title, description=args.description, errors=errors
        )
    except ValueError as exc:
        print(f"warcloom wacz: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"warcloom wacz: {output_error(exc, {'-o': output})}", file=sys.stderr)
        return 2
    for error in errors:
        print(f"skipped: {error.path}: offset {error.offset}: {error.message}", file=sys.stderr)
    print(
        f"WACZ: {result.path}  ({result.files} WARC file(s), {result.pages} pages, "
        f"{result.bytes:,} bytes)"
    )
    return 1 if errors else 0
