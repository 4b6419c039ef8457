"""``warcloom index`` and ``warcloom check``: archive tools for any WARC/ARC files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["register"]

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def register(subparsers: Any) -> None:
    index = subparsers.add_parser("index", help="write a sorted CDXJ index of WARC/ARC files")
    index.add_argument("inputs", nargs="+", help="WARC/ARC files or directories")
    index.add_argument("-o", "--output", help="output file (default: stdout)")
    index.set_defaults(func=cmd_index)

    check = subparsers.add_parser("check", help="verify WARC structure and digests")
    check.add_argument("inputs", nargs="+", help="WARC/ARC files or directories")
    check.set_defaults(func=cmd_check)


def _warc_paths(inputs: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            paths.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz"))
                )
            )
        elif path.exists():
            paths.append(path)
        else:
            raise SystemExit(f"warcloom: no such file or directory: {item}")
    return paths


def cmd_index(args: argparse.Namespace) -> int:
    from archive.index import index_files, write_index

    lines = index_files(_warc_paths(args.inputs))
    if args.output:
        write_index(lines, Path(args.output))
    else:
        sys.stdout.writelines(line + "\n" for line in lines)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from archive.check import check_file

    damaged = 0
    for path in _warc_paths(args.inputs):
        report = check_file(path)
        status = "ok" if report.ok else "DAMAGED"
        print(f"{status}  {path}  records={report.records}  errors={len(report.errors)}")
        for error in report.errors:
            print(f"    {json.dumps(error if isinstance(error, dict) else str(error))}")
        damaged += not report.ok
    return 1 if damaged else 0
