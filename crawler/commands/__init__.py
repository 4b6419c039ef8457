"""Subcommands of ``warcloom``: each module here defines ``register(subparsers)``.

``register`` adds one subparser and sets ``func`` to a function taking the parsed
namespace and returning an exit code. Keep imports of heavy modules inside those
functions, so ``warcloom --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from argparse import ArgumentTypeError
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "UsageError",
    "check_directory",
    "check_output_file",
    "output_error",
    "positive_int",
    "redis_client",
    "write_output_file",
]


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


def check_directory(out: Path, what: str) -> None:
    """``out`` is a directory, or one that can be made: its nearest existing ancestor is
    a directory we can write in (tried with a temporary directory, removed at once)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{what}: not a directory")
    existing = next(path for path in (out.absolute(), *out.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise UsageError(f"{what}: {existing} is not a directory")
    try:
        tempfile.TemporaryDirectory(dir=existing, prefix=".warcloom-").cleanup()
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {existing}: {exc.strerror}") from None


def check_output_file(option: str, path: str | None) -> None:
    """A file the command writes at its end (``--stats-json``): its directory must exist or
    be one the command can make (:func:`write_output_file` makes it), checked now, not
    found unwritable after the work is done."""
    if path and path != "-":
        check_directory(Path(path).parent, f"{option} {path}")


def write_output_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (checked by :func:`check_output_file`), making its
    directory if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")


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
