"""The ``warcloom`` command: thin subcommands over the crawler and the archive library.

Each module of :mod:`crawler.commands` registers one or more subcommands.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from crawler import commands
from crawler.commands import UsageError

__all__ = ["build_parser", "main", "run"]

#: What the machine refuses (a full or read-only disk, permissions, an I/O error, no file
#: handles left): said in one line naming the file, exit 1; a traceback would add nothing.
_MACHINE_ERRORS = frozenset(
    [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EMFILE]
)


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake said in one line (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="warcloom",
        description="Archival crawler: crawl news sites into WARC with clean text and "
        "language tags, then replay, export and package the archive.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    modules = pkgutil.iter_modules(commands.__path__)
    for module in sorted(modules, key=lambda m: (m.name != "crawl", m.name)):  # crawl first
        importlib.import_module(f"{commands.__name__}.{module.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # (a command that runs itself again: `crawl --stay`)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except BrokenPipeError:
        # the reader of our output went away (`warcloom export ... | head`): not an error;
        # point stdout at /dev/null so the interpreter's final flush cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run() -> int:
    """The console entry point: :func:`main`, with a user's mistake said in one line
    (exit 2, no traceback), and so is what the machine refused (exit 1)."""
    try:
        return main()
    except UsageError as exc:
        print(f"warcloom: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in _MACHINE_ERRORS:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"warcloom: {where}{exc.strerror}; stopped", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
