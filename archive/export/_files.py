"""What the writers share: atomic output files (written under a temporary name, renamed
on commit, removed on discard), ``-`` for stdout, and times in ISO 8601 UTC."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

__all__ = ["STDOUT", "AtomicFile", "iso"]

STDOUT = "-"


class AtomicFile:
    """``path`` written as ``.path.tmp`` beside it, renamed on commit."""

    def __init__(self, path: str | os.PathLike[str], mode: str = "wb") -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise OSError(f"{self.path} is a directory")
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
        self.fh: IO[Any] = open(self.tmp, mode, **kwargs)  # noqa: SIM115 - closed by commit

    def commit(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
