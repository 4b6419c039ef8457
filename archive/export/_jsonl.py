"""JSON Lines output: one object per document, the export schema's fields in order."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from ._documents import Document
from ._files import STDOUT, AtomicFile, iso

__all__ = ["JsonlWriter", "json_row"]


def json_row(doc: Document) -> dict[str, Any]:
    row = doc.export_row()
    row["timestamp"] = iso(row["timestamp"])
    row["published"] = row["published"].isoformat() if row["published"] else None
    return row


# -- JSONL -----------------------------------------------------------------------------------


class JsonlWriter:
    def __init__(self, out: str) -> None:
        self._file = None if out == STDOUT else AtomicFile(out, "w")
        self.fh: IO[str] = sys.stdout if self._file is None else self._file.fh

    def write(self, doc: Document) -> None:
        self.fh.write(json.dumps(json_row(doc), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.commit()
        else:
            self.fh.flush()

    def abort(self) -> None:
        if self._file is not None:
            self._file.discard()
