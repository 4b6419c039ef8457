"""Output formats behind one door: :func:`open_writer` gives the writer of a format
(JSONL, Parquet, WET, plain text); the link graph has its own (:mod:`._links`).

Every writer opens its output when it is built, so an unwritable path fails before any
work is done. Files are written under a temporary name and renamed by ``close()``;
``abort()`` removes the partial file instead.
"""

from __future__ import annotations

from typing import Protocol

from ._documents import Document
from ._jsonl import JsonlWriter
from ._parquet import ParquetWriter
from ._txt import TextWriter
from ._wet import WetWriter

__all__ = ["FORMATS", "DocumentWriter", "open_writer"]

FORMATS: tuple[str, ...] = ("jsonl", "parquet", "wet", "txt")


class DocumentWriter(Protocol):
    def write(self, doc: Document) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


def open_writer(fmt: str, out: str) -> DocumentWriter:
    if fmt == "jsonl":
        return JsonlWriter(out)
    if fmt == "parquet":
        return ParquetWriter(out)
    if fmt == "wet":
        return WetWriter(out)
    if fmt == "txt":
        return TextWriter(out)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
