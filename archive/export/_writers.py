"""Output formats: :func:`open_writer` gives the writer of a format (JSONL, Parquet, WET,
plain text); :class:`LinkWriter` writes the link graph (CSV or Parquet).

Every writer opens its output when it is built, so an unwritable path fails before any
work is done. Files are written under a temporary name and renamed by ``close()``
(:class:`AtomicFile`); ``abort()`` removes the partial file instead. ``-`` is stdout (JSONL
and plain text). Times are written in ISO 8601 UTC.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from archive.records import build_conversion_record, build_warcinfo_record, serialize

from ._documents import Document

__all__ = [
    "FORMATS",
    "DocumentWriter",
    "LinkWriter",
    "export_schema",
    "link_schema",
    "open_writer",
    "preload_pyarrow",
]

FORMATS: tuple[str, ...] = ("jsonl", "parquet", "wet", "txt")


class DocumentWriter(Protocol):
    def write(self, doc: Document) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


def open_writer(fmt: str, out: str) -> DocumentWriter:
    writers = {"jsonl": JsonlWriter, "parquet": ParquetWriter, "wet": WetWriter, "txt": TextWriter}
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return writers[fmt](out)


# -- files ---------------------------------------------------------------------------------


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


# -- JSON Lines ----------------------------------------------------------------------------


class JsonlWriter:
    """One object per document, the export schema's fields in order."""

    def __init__(self, out: str) -> None:
        self._file = None if out == STDOUT else AtomicFile(out, "w")
        self.fh: IO[str] = sys.stdout if self._file is None else self._file.fh

    def write(self, doc: Document) -> None:
        row = doc.export_row()
        row["timestamp"] = iso(row["timestamp"])
        row["published"] = row["published"].isoformat() if row["published"] else None
        row["previous_timestamp"] = iso(row["previous_timestamp"])
        self.fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.commit()
        else:
            self.fh.flush()

    def abort(self) -> None:
        if self._file is not None:
            self._file.discard()


# -- Parquet -------------------------------------------------------------------------------


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
            ("change", pa.string()),
            ("previous_timestamp", pa.timestamp("us", tz="UTC")),
        ]
    )


def preload_pyarrow() -> None:
    """Import pyarrow ahead of its first use (in a thread, once workers are started); a
    failure is left to that first use to report."""
    with contextlib.suppress(Exception):
        import pyarrow.parquet  # noqa: F401


class LazyParquet:
    """A ``pq.ParquetWriter`` on an open file, made (and pyarrow imported) at first use,
    that writes the rows it is given in row groups: one when ``group_rows`` rows (or
    ``group_bytes`` of the sizes given with them) have come.

    Importing pyarrow starts threads; an export opens its output before its worker pool,
    and a process with no other thread can fork its workers (see ``_scan``).
    """

    def __init__(
        self, fh: IO[bytes], schema: Callable[[], Any], group_rows: int, group_bytes: float
    ) -> None:
        self.fh = fh
        self._schema = schema
        self._writer: Any = None
        self._group_rows, self._group_bytes = group_rows, group_bytes
        self._rows: list[dict[str, Any]] = []
        self._bytes = 0

    def add(self, rows: list[dict[str, Any]], size: int = 0) -> None:
        self._rows += rows
        self._bytes += size
        if len(self._rows) >= self._group_rows or self._bytes >= self._group_bytes:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            import pyarrow as pa

            writer = self._open()
            writer.write_table(pa.Table.from_pylist(self._rows, schema=writer.schema))
            self._rows, self._bytes = [], 0

    def _open(self) -> Any:
        if self._writer is None:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self.fh, self._schema(), compression="zstd")
        return self._writer

    def close(self) -> None:
        self._flush()
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
        self._writer = LazyParquet(self._file.fh, export_schema, 1000, 64 << 20)

    def write(self, doc: Document) -> None:
        self._writer.add([doc.export_row()], len(doc.text))

    def close(self) -> None:
        self._writer.close()
        self._file.commit()

    def abort(self) -> None:
        self._writer.abort()
        self._file.discard()


# -- WET -----------------------------------------------------------------------------------


class WetWriter:
    """Common Crawl's WET layout: a warcinfo, then one conversion record per document,
    each gzip-compressed on its own, with WARC-Refers-To (the response) and
    WARC-Identified-Content-Language (up to three ISO 639-3 codes)."""

    def __init__(self, out: str) -> None:
        if out == STDOUT:
            raise ValueError("wet output cannot go to stdout: give a file with --out")
        self._file = AtomicFile(out, "wb")
        fields = {
            "format": "WARC File Format 1.1",
            "software": "warcloom export",
            "description": "Extracted plain text (title, blank line, text) of archived pages, "
            "in conversion records that refer to the response records they come from",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
        }
        self._put(build_warcinfo_record(Path(out).name, fields))

    def _put(self, record: Any) -> None:
        compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self._file.fh.write(compressor.compress(serialize(record)) + compressor.flush())

    def write(self, doc: Document) -> None:
        date = doc.timestamp or datetime.now(UTC)
        self._put(
            build_conversion_record(
                doc.url, doc.response_id, date, doc.title, doc.text, doc.language_codes[:3]
            )
        )

    def close(self) -> None:
        self._file.commit()

    def abort(self) -> None:
        self._file.discard()


# -- plain text ----------------------------------------------------------------------------


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def text_path(doc: Document) -> Path:
    """``host/path/segments/name.TIMESTAMP.txt``: readable, safe, one file per capture."""
    rest = doc.url.partition("://")[2]
    host_port, _, path = rest.partition("/")
    path, _, query = path.partition("?")
    segments = [_safe(s) for s in path.split("/")]
    if not segments or not segments[-1]:
        segments = [*segments[:-1], "index"] if segments else ["index"]
    segments = [s for s in segments if s] or ["index"]
    name = segments[-1]
    if query:
        name += "_" + hashlib.sha1(query.encode()).hexdigest()[:10]
    stamp = doc.timestamp.strftime("%Y%m%d%H%M%S") if doc.timestamp else "00000000000000"
    return Path(_safe(host_port) or "_", *segments[:-1], f"{name}.{stamp}.txt")


def _safe(segment: str) -> str:
    cleaned = _UNSAFE.sub("_", segment).strip("._")
    if len(cleaned) > 120:
        cleaned = cleaned[:100] + "_" + hashlib.sha1(segment.encode()).hexdigest()[:10]
    return cleaned


class TextWriter:
    """One UTF-8 file per document under a directory (title, blank line, text), or to
    stdout with a ``==> URL TIMESTAMP <==`` line before each document."""

    def __init__(self, out: str) -> None:
        self.stdout = out == STDOUT
        self.root = Path(out)
        if not self.stdout:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".warcloom-write-test"
            probe.write_bytes(b"")
            probe.unlink()

    def write(self, doc: Document) -> None:
        body = f"{doc.title}\n\n{doc.text}\n"
        if self.stdout:
            sys.stdout.write(f"==> {doc.url} {iso(doc.timestamp)} <==\n{body}\n")
            return
        path = self.root / text_path(doc)
        if path.exists() and path.read_text(encoding="utf-8") != body:
            digest = hashlib.sha1(doc.response_id.encode()).hexdigest()[:8]
            path = path.with_name(f"{path.stem}.{digest}.txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")

    def close(self) -> None:
        if self.stdout:
            sys.stdout.flush()

    def abort(self) -> None:
        pass


# -- the link graph ------------------------------------------------------------------------


def link_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("source", pa.string()),
            ("source_timestamp", pa.timestamp("us", tz="UTC")),
            ("target", pa.string()),
            ("region", pa.string()),
            ("anchor_text", pa.string()),
        ]
    )


class LinkWriter:
    """Every link of every exported document: CSV, or Parquet for a ``.parquet`` path."""

    COLUMNS = ("source", "source_timestamp", "target", "region", "anchor_text")

    def __init__(self, out: str) -> None:
        self.parquet = str(out).endswith((".parquet", ".pq"))
        self._file = AtomicFile(out, "wb" if self.parquet else "w")
        self.count = 0
        if self.parquet:
            self._writer = LazyParquet(self._file.fh, link_schema, 50_000, float("inf"))
        else:
            self._csv = csv.writer(self._file.fh)
            self._csv.writerow(self.COLUMNS)

    def write(self, doc: Document) -> None:
        rows = []
        for link in doc.links:
            self.count += 1
            if self.parquet:
                row = (doc.url, doc.timestamp, link["url"], link["region"], link["text"])
                rows.append(dict(zip(self.COLUMNS, row, strict=True)))
            else:
                row = (doc.url, iso(doc.timestamp), link["url"], link["region"], link["text"])
                self._csv.writerow(row)
        if self.parquet:
            self._writer.add(rows)

    def close(self) -> None:
        if self.parquet:
            self._writer.close()
        self._file.commit()

    def abort(self) -> None:
        if self.parquet:
            self._writer.abort()
        self._file.discard()
