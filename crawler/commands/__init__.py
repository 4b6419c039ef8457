"""Subcommands of ``warcloom``: each module here defines ``register(subparsers)``.

``register`` adds one subparser and sets ``func`` to a function taking the parsed
namespace and returning an exit code. Keep imports of heavy modules inside those
functions, so ``warcloom --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
from argparse import ArgumentTypeError
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["UsageError", "check_output_file", "output_error", "positive_int", "redis_client"]


class UsageError(SystemExit):
    """A user's mistake (a bad argument or unusable input): ``warcloom`` prints the message
    as one line and exits 2, before anything is done."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = 2


def positive_int(value: str) -> int:
    """An argparse type: an integer of 1 or more (``--workers``)."""
    number = int(value)
    if number < 1:
        raise ArgumentTypeError(f"must be 1 or more, got {number}")
    return number


def check_output_file(option: str, path: str | None) -> None:
    """A file the command writes at its end (``--stats-json``): its directory must exist
    now, not be found missing after the work is done."""
    if path and path != "-" and not Path(path).absolute().parent.is_dir():
        raise UsageError(f"{option} {path}: no such directory {Path(path).parent}")


def output_error(exc: OSError, outputs: Mapping[str, str | None]) -> str:
    """``exc`` said of the output the user gave (``{option: path}``) when it failed there
    or on the temporary file written beside it (``.NAME.tmp``), not of that file."""
    if exc.filename and exc.strerror:
        failed = Path(os.fsdecode(exc.filename))
        for option, given in outputs.items():
            if given and given != "-":
                path = Path(given)
                if failed in (path, path.with_name(f".{path.name}.tmp")):
                    return f"{option} {given}: {exc.strerror}"
    return str(exc)


@contextlib.contextmanager
def redis_client(url: str) -> Iterator[Any]:
    """A client of the Redis at ``url`` (``--redis``), closed after use; a URL that is not
    one, or a Redis that does not answer, is a :class:`UsageError` naming it (password
    hidden)."""
    from crawler.cluster import OUTAGE_ERRORS, connect, redacted

    where = redacted(url)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--redis {where}: not a redis://, rediss:// or unix:// URL")
    try:
        client = connect(url)
    except ValueError as exc:
        raise UsageError(f"--redis {where}: {exc}") from None
    try:
        yield client
    except OUTAGE_ERRORS as exc:
        raise UsageError(f"--redis {where}: cannot connect: {exc}") from None
    finally:
        client.close()
