"""The link graph: every link of every exported document, one row each (CSV or Parquet)."""

from __future__ import annotations

import csv
from typing import Any

from ._documents import Document
from ._files import AtomicFile, iso
from ._parquet import LazyParquet

__all__ = ["LinkWriter", "link_schema"]


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
            self._writer = LazyParquet(self._file.fh, link_schema)
            self._rows: list[dict[str, Any]] = []
        else:
            self._csv = csv.writer(self._file.fh)
            self._csv.writerow(self.COLUMNS)

    def write(self, doc: Document) -> None:
        for link in doc.links:
            self.count += 1
            if self.parquet:
                self._rows.append(
                    {
                        "source": doc.url,
                        "source_timestamp": doc.timestamp,
                        "target": link["url"],
                        "region": link["region"],
                        "anchor_text": link["text"],
                    }
                )
            else:
                row = (doc.url, iso(doc.timestamp), link["url"], link["region"], link["text"])
                self._csv.writerow(row)
        if self.parquet and len(self._rows) >= 50_000:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_rows(self._rows)
            self._rows = []

    def close(self) -> None:
        if self.parquet:
            self._flush()
            self._writer.close()
        self._file.commit()

    def abort(self) -> None:
        if self.parquet:
            self._writer.abort()
        self._file.discard()
