"""``export()``: archive files in, one data set out.

1. The inputs (collections, directories, files) become scan tasks: one per file, or per
   range of records for a large gzip file of a collection (cut at offsets from its index).
   A task of a collection file also carries the file's indexed records, so that the scan
   can step over response bodies it does not need.
2. The tasks run in worker processes (or on Dask) and leave documents in shards, each
   judged there (has it text, which filter rule it fails, its URL and capture time).
3. In this process, in task order: the verdicts are counted and the survivors' places noted; only a
   document that records of another task are joined to (the newest wins) is loaded, joined
   and judged again.
4. The latest capture of each URL is chosen; or, with all captures wanted, every version
   of its text (a capture whose change kind is ``unchanged-text`` repeats the version
   before it and is left out). Only the chosen documents are loaded, duplicates are
   removed in output order, and the writers get the rest.

Memory holds one task's worth of documents per worker, and per document a few small keys
here (URL, time, place); text only streams through.

The inputs are planned in :mod:`._plan`, scanned in :mod:`._scan`, judged and joined in
:mod:`._stream`; the latest captures are chosen and written here (:mod:`._writers`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from archive.extraction import ExtractionOptions

from ._dedup import DEFAULT_THRESHOLD, Deduplicator, DedupMode
from ._filters import Filters
from ._plan import DEFAULT_RANGE_SIZE, resolve_inputs
from ._stream import DocumentStream, Location
from ._summary import ExportSummary
from ._writers import FORMATS, LinkWriter, open_writer, preload_pyarrow

__all__ = ["ExportOptions", "export"]


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how; built once, checked on construction."""

    format: str = "jsonl"
    filters: Filters = field(default_factory=Filters)
    dedup: DedupMode = "none"
    near_threshold: float = DEFAULT_THRESHOLD
    latest_only: bool = True
    reextract: bool = False
    extraction: ExtractionOptions = field(default_factory=ExtractionOptions)
    workers: int | None = None  # None: all cores
    dask_address: str | None = None
    range_size: int = DEFAULT_RANGE_SIZE
    links_path: str | None = None
    progress: bool | None = None  # None: on a terminal only

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}: use one of {', '.join(FORMATS)}")
        if self.dedup not in ("none", "exact", "near"):
            raise ValueError(f"unknown dedup mode {self.dedup!r}")
        if not 0.0 < self.near_threshold <= 1.0:
            raise ValueError("the near-duplicate threshold must be in (0, 1]")
        if self.range_size <= 0:
            raise ValueError("range_size must be positive")
        if self.reextract and self.filters.changed_since is not None:
            raise ValueError(
                "--changed-since reads the change kinds of the archive's metadata records: "
                "not with --reextract"
            )


def export(
    inputs: Sequence[str | os.PathLike[str]],
    out: str,
    options: ExportOptions | None = None,
) -> ExportSummary:
    """Export the clean text of ``inputs`` to ``out`` (``-`` for stdout: jsonl and txt)."""
    options = options or ExportOptions()
    started = time.monotonic()
    files = resolve_inputs(inputs)
    writer = open_writer(options.format, out)  # fails here on an unwritable path
    links = None
    preload: list[threading.Thread] = []

    def workers_started() -> None:
        # pyarrow is imported while the workers scan, not after them (it starts threads,
        # so not before the workers are forked either)
        if options.format == "parquet":
            preload.append(threading.Thread(target=preload_pyarrow, daemon=True))
            preload[0].start()

    try:
        links = LinkWriter(options.links_path) if options.links_path else None
        with DocumentStream(
            files,
            mode="extract" if options.reextract else "archive",
            options=options.extraction,
            fingerprint=options.dedup,
            workers=options.workers,
            dask_address=options.dask_address,
            range_size=options.range_size,
            progress=options.progress,
            links="all" if links is not None else "related",
            keep_metadata=False,
            filters=options.filters,
            on_started=workers_started,
        ) as stream:
            summary = stream.summary
            summary.dedup = options.dedup
            latest: dict[str, tuple[float, int]] = {}
            locations: list[Location] = []
            for verdict, location in stream.judged():
                if not options.latest_only and verdict.change == "unchanged-text":
                    summary.repeated_versions += 1  # the version before it has this text
                    continue
                seq = len(locations)
                if options.latest_only:
                    key = (verdict.time, seq)
                    prev = latest.get(verdict.url)
                    if prev is None or key >= prev:
                        latest[verdict.url] = key
                locations.append(location)
            winners = {seq for _, seq in latest.values()} if options.latest_only else None
            dedup = Deduplicator(options.dedup, options.near_threshold)
            for seq, location in enumerate(locations):
                if winners is not None and seq not in winners:
                    summary.superseded += 1
                    continue
                doc = stream.load(location)
                if dedup.is_duplicate(seq, doc.text_hash, doc.minhash):
                    summary.duplicates += 1
                    continue
                writer.write(doc)
                if links is not None:
                    links.write(doc)
                summary.exported += 1
    except BaseException:
        for thread in preload:
            thread.join()
        writer.abort()
        if links is not None:
            links.abort()
        raise
    for thread in preload:
        thread.join()
    writer.close()
    if links is not None:
        links.close()
        summary.links = links.count
    summary.seconds = time.monotonic() - started
    return summary
