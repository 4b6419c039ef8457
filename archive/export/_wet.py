"""WET output: Common Crawl's layout of WARC conversion records, one gzip member each."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.records import build_conversion_record, build_warcinfo_record, serialize

from ._documents import Document
from ._files import STDOUT, AtomicFile

__all__ = ["WetWriter"]


class WetWriter:
    """Common Crawl's WET layout: a warcinfo, then one conversion record per document,
    each gzip-compressed on its own, with WARC-Refers-To (the response) and
    WARC-Identified-Content-Language (up to three ISO 639-3 codes)."""

    def __init__(self, out: str, info: dict[str, Any] | None = None) -> None:
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
            **(info or {}),
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
