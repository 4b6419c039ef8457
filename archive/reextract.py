"""Re-extraction: analyse a collection's archived responses again, append the results.

The responses are read and analysed in worker processes (the same scan as
``archive.export`` with ``--reextract``), and for each HTML response a new ``metadata``
record (the new analysis's fields, the capture's own fields from its newest metadata record:
how it was reached, its change kind and previous capture; the extractor's name, version and
options, and ``extracted-at``: when this ran) and, when there is text, a ``conversion`` record are
written to new WARC files in the collection's ``archive/``. Both refer to the response
(``WARC-Refers-To``) and carry its ``WARC-Date``, so replay tools see them at the capture's
time. Nothing is rewritten: older records stay. The collection index is then updated; it
joins the newest metadata per response (equal dates: the later file), which is the new one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from archive.analysis import CAPTURE_FIELDS, build_analysis_records
from archive.collection import Collection
from archive.export import DocumentStream, resolve_inputs
from archive.extraction import ExtractionOptions, extractor_info
from archive.reader import ReadError
from archive.records import warc_date
from archive.writer import WarcWriter

__all__ = ["ReextractSummary", "reextract", "reextract_prefix"]

logger = logging.getLogger(__name__)

PREFIX = "warcloom-reextract"


@dataclass
class ReextractSummary:
    records_read: int = 0
    analysed: int = 0  # responses: each gets a metadata record
    with_text: int = 0  # of them: each gets a conversion record too
    files: list[Path] = field(default_factory=list)
    index_rebuilt: bool = False
    errors: list[ReadError] = field(default_factory=list)
    seconds: float = 0.0

    def format(self) -> str:
        lines = [
            f"read: {self.records_read} records in {self.seconds:.1f} s",
            f"analysed: {self.analysed} responses ({self.with_text} with text)",
            f"written: {self.analysed} metadata + {self.with_text} "
            f"conversion records in {len(self.files)} file(s)",
            *(f"  {p}" for p in self.files),
            f"index: {'rebuilt' if self.index_rebuilt else 'updated'}",
            f"errors: {len(self.errors)}",
            *(f"  {e.path}: offset {e.offset}: {e.message}" for e in self.errors[:50]),
        ]
        return "\n".join(lines)


def reextract_prefix(existing: list[Path]) -> str:
    """A file prefix that sorts after every existing file name.

    The index breaks ties between records of equal WARC-Date by file order (names sorted),
    and re-extraction records carry their response's date: their files must come last.
    """
    names = sorted(p.name for p in existing)
    if not names or names[-1] < PREFIX:
        return PREFIX
    return names[-1].split("-", 1)[0].split(".", 1)[0] + "~reextract"


def _software() -> str:
    try:
        return f"warcloom/{version('warcloom')} (reextract)"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "warcloom (reextract)"


def reextract(
    coll: Collection,
    *,
    since: datetime | None = None,
    options: ExtractionOptions | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: bool | None = None,
    update_index: bool = True,
) -> ReextractSummary:
    """Analyse the collection's HTML responses again (captured at or after ``since``),
    holding the collection's lock (:class:`archive.collection.CollectionBusy` if another
    run holds it)."""
    options = options or ExtractionOptions()
    with coll.lock() as lock:
        lock.acquire("warcloom reextract")
        started = time.monotonic()
        files = resolve_inputs([coll.root])
        info = extractor_info(options)
        extracted_at = warc_date(datetime.now(UTC))
        summary = ReextractSummary()
        writer = WarcWriter(
            coll.archive_dir,
            prefix=reextract_prefix(coll.files()),
            info={
                "software": _software(),
                "isPartOf": coll.name,
                "description": "Re-extraction of archived responses: metadata and conversion "
                "records referring to responses in other files of this collection",
                "extracted-at": extracted_at,
            },
        )
        try:
            with DocumentStream(
                files,
                mode="extract",
                options=options,
                workers=workers,
                dask_address=dask_address,
                since=since,
                progress=progress,
                keep_empty=True,
            ) as stream:
                for doc in stream:
                    summary.analysed += 1
                    date = doc.timestamp or datetime.now(UTC)
                    fields = {
                        **(doc.metadata or {}),
                        **_capture_facts(coll, doc.url, doc.response_id),
                        "extractor": info,
                        "extracted-at": extracted_at,
                    }
                    records = build_analysis_records(
                        doc.url, doc.response_id, date, fields, doc.title, doc.text
                    )
                    summary.with_text += len(records) - 1
                    writer.write(records)
                summary.records_read = stream.summary.records_read
                summary.errors = stream.summary.errors
        finally:
            summary.files = writer.close()
        if update_index and summary.files:
            result = coll.update_index(summary.files)
            summary.index_rebuilt = result.rebuilt
        summary.seconds = time.monotonic() - started
        return summary


def _capture_facts(coll: Collection, url: str, response_id: str) -> dict[str, Any]:
    """The capture's own fields (:data:`archive.analysis.CAPTURE_FIELDS`: how it was reached,
    its change kind and previous capture) from its newest metadata record, so that a
    re-extraction keeps the page's version chain."""
    metadata = coll.analysis(url, response_id).metadata
    return {name: metadata[name] for name in CAPTURE_FIELDS if name in metadata}
