"""Parquet output (zstd, bounded row groups), and the lazily made Parquet writer the link
graph shares."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import IO, Any

from ._documents import Document
from ._files import STDOUT, AtomicFile

__all__ = ["LazyParquet", "ParquetWriter", "export_schema", "preload_pyarrow"]

_ROW_GROUP = 1000
_ROW_GROUP_BYTES = 64 << 20


def export_schema() -> Any:
    """The Parquet (pyarrow) schema of exported documents."""
    import pyarrow as pa

    return pa.schema(
        [
            ("url", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("status", pa.int32()),
            ("mime", pa.string()),
            ("title", pa.string()),
            ("author", pa.string()),
            ("published", pa.date32()),
            ("sitename", pa.string()),
            ("languages", pa.list_(pa.string())),
            ("language_shares", pa.list_(pa.float64())),
            ("text", pa.large_string()),
            ("word_count", pa.int32()),
            ("content_digest", pa.string()),
            ("warc_filename", pa.string()),
            ("warc_offset", pa.int64()),
            ("warc_length", pa.int64()),
            ("extractor", pa.string()),
            ("extractor_version", pa.string()),
            (
                "related_links",
                pa.list_(pa.struct([("url", pa.string()), ("text", pa.string())])),
            ),
        ]
    )


def preload_pyarrow() -> None:
    """Import pyarrow ahead of its first use (in a thread, once workers are started); a
    failure is left to that first use to report."""
    with contextlib.suppress(Exception):
        import pyarrow.parquet  # noqa: F401


class LazyParquet:
    """A ``pq.ParquetWriter`` on an open file, made (and pyarrow imported) at first use.

    Importing pyarrow starts threads; an export opens its output before its worker pool,
    and a process with no other thread can fork its workers (see ``_parallel``).
    """

    def __init__(self, fh: IO[bytes], schema: Callable[[], Any]) -> None:
        self.fh = fh
        self._schema = schema
        self._writer: Any = None

    def write_rows(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        writer = self._open()
        writer.write_table(pa.Table.from_pylist(rows, schema=writer.schema))

    def _open(self) -> Any:
        if self._writer is None:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self.fh, self._schema(), compression="zstd")
        return self._writer

    def close(self) -> None:
        self._open().close()

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()


class ParquetWriter:
    """Row groups of up to 1,000 documents (or 64 MB of text): memory stays bounded."""

    def __init__(self, out: str) -> None:
        if out == STDOUT:
            raise ValueError("parquet output cannot go to stdout: give a file with --out")
        self._file = AtomicFile(out, "wb")
        self._writer = LazyParquet(self._file.fh, export_schema)
        self._rows: list[dict[str, Any]] = []
        self._bytes = 0

    def write(self, doc: Document) -> None:
        self._rows.append(doc.export_row())
        self._bytes += len(doc.text)
        if len(self._rows) >= _ROW_GROUP or self._bytes >= _ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_rows(self._rows)
            self._rows, self._bytes = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()
        self._file.commit()

    def abort(self) -> None:
        self._writer.abort()
        self._file.discard()
