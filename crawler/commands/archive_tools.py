"""``warcloom index`` and ``warcloom check``: archive tools for any WARC/ARC files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crawler.commands import UsageError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    index = subparsers.add_parser("index", help="write a sorted CDXJ index of WARC/ARC files")
    index.add_argument("inputs", nargs="+", help="WARC/ARC files or directories")
    index.add_argument("-o", "--output", help="output file (default: stdout)")
    index.set_defaults(func=cmd_index)

    check = subparsers.add_parser(
        "check", help="verify WARC structure and digests, and that revisits' originals are there"
    )
    check.add_argument("inputs", nargs="+", help="WARC/ARC files or directories")
    check.set_defaults(func=cmd_check)


def _warc_paths(inputs: Sequence[str]) -> list[Path]:
    from archive.index import archive_files

    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = archive_files(path)
            if not found:
                raise UsageError(f"no WARC or ARC files in {item}")
            paths.extend(found)
        elif path.exists():
            paths.append(path)
        else:
            raise UsageError(f"no such file or directory: {item}")
    return paths


def cmd_index(args: argparse.Namespace) -> int:
    from archive.index import index_files, write_index
    from archive.reader import ReadError

    paths = _warc_paths(args.inputs)
    errors: list[ReadError] = []
    lines = index_files(paths, errors=errors)
    if args.output:
        try:
            write_index(lines, Path(args.output))
        except OSError as exc:
            raise UsageError(f"index -o {args.output}: cannot write: {exc.strerror}") from None
    else:
        sys.stdout.writelines(line + "\n" for line in lines)
    for error in errors:
        print(f"{error.path}:{error.offset}: {error.message}", file=sys.stderr)
    if errors:
        print(
            f"warcloom index: {len(errors)} damaged part(s) skipped; {len(lines)} records indexed",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from archive.check import check_files

    damaged = 0
    for report in check_files(_warc_paths(args.inputs)):
        path = report.path
        status = "ok" if report.ok else "DAMAGED"
        print(f"{status}  {path}  records={report.records}  errors={len(report.errors)}")
        for error in report.errors:
            print(f"    {path}:{error.offset}: {error.message}")
        damaged += not report.ok
    return 1 if damaged else 0
