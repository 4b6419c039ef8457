"""``export()``: archive files in, one data set out.

1. The inputs (collections, directories, files) become scan tasks: one per file, or per
   range of records for a large gzip file of a collection (cut at offsets from its index).
2. The tasks run in worker processes (or on Dask) and leave documents in shards.
3. Here, in task order: records that refer to a response seen by another task are joined
   (the newest wins), documents without text are dropped, the filters run, and the
   survivors are noted in a scratch file.
4. The latest capture of each URL is chosen (unless all captures are wanted), duplicates
   are removed in output order, and the writers get the rest.

Memory holds one task's worth of documents per worker, and per document a few small keys
here (URL, time, fingerprint); text only streams through.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sys
import tempfile
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.extraction import ExtractionOptions
from archive.reader import ReadError

from ._dedup import DEFAULT_THRESHOLD, Deduplicator, DedupMode, minhash_values, text_hash
from ._documents import Document, LinksWanted, apply_conversion, apply_metadata
from ._filters import FILTER_RULES, Filters
from ._parallel import run_tasks
from ._scan import Part, ScanMode, ScanResult, ScanTask, ShardReader
from ._writers import FORMATS, LinkWriter, open_writer

__all__ = [
    "DocumentStream",
    "ExportOptions",
    "ExportSummary",
    "InputFile",
    "export",
    "plan_tasks",
    "resolve_inputs",
]

logger = logging.getLogger(__name__)

DEFAULT_RANGE_SIZE = 64 << 20


@dataclass(frozen=True)
class InputFile:
    path: Path
    display_name: str  # relative to the collection's archive/ (as in its index), or the name
    index_path: Path | None = None


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


@dataclass
class ExportSummary:
    files: int = 0
    tasks: int = 0
    records_read: int = 0
    bytes_read: int = 0
    documents: int = 0
    extracted: int = 0
    no_text: int = 0
    filtered: Counter[str] = field(default_factory=Counter)
    superseded: int = 0
    duplicates: int = 0
    exported: int = 0
    links: int = 0
    errors: list[ReadError] = field(default_factory=list)
    seconds: float = 0.0
    dedup: str = "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "tasks": self.tasks,
            "records_read": self.records_read,
            "bytes_read": self.bytes_read,
            "documents": self.documents,
            "extracted_on_the_fly": self.extracted,
            "no_text": self.no_text,
            "filtered": {rule: self.filtered.get(rule, 0) for rule in FILTER_RULES},
            "older_captures": self.superseded,
            "duplicates": self.duplicates,
            "dedup": self.dedup,
            "exported": self.exported,
            "links": self.links,
            "errors": [
                {"file": e.path, "offset": e.offset, "message": e.message} for e in self.errors
            ],
            "seconds": round(self.seconds, 3),
        }

    def format(self) -> str:
        rate = self.bytes_read / 1e6 / self.seconds if self.seconds else 0.0
        filtered = ", ".join(f"{r}: {n}" for r, n in sorted(self.filtered.items()) if n)
        lines = [
            f"read: {self.files} file(s), {self.records_read} records, "
            f"{self.bytes_read / 1e6:.1f} MB in {self.seconds:.1f} s ({rate:.1f} MB/s)",
            f"documents: {self.documents} ({self.extracted} extracted on the fly), "
            f"without text: {self.no_text}",
            f"filtered: {sum(self.filtered.values())}" + (f" ({filtered})" if filtered else ""),
            f"older captures of the same URL: {self.superseded}",
            f"duplicates removed ({self.dedup}): {self.duplicates}",
            f"exported: {self.exported}" + (f", links: {self.links}" if self.links else ""),
            f"errors: {len(self.errors)}",
        ]
        lines.extend(f"  {e.path}: offset {e.offset}: {e.message}" for e in self.errors[:50])
        if len(self.errors) > 50:
            lines.append(f"  ... and {len(self.errors) - 50} more")
        return "\n".join(lines)


# -- inputs and tasks ------------------------------------------------------------------------


def _is_collection(path: Path) -> bool:
    return path.is_dir() and (path / "archive").is_dir()


def resolve_inputs(inputs: Sequence[str | os.PathLike[str]]) -> list[InputFile]:
    """Collections (``.../collections/NAME``), directories and files, in a stable order."""
    # here, not at the top: archive.index imports cdxj-indexer (~0.1 s), which a worker
    # process that imports this package to run a scan does not need
    from archive.index import ARCHIVE_EXTENSIONS, INDEX_NAME, collection_files

    files: list[InputFile] = []
    seen: set[Path] = set()
    for item in inputs:
        path = Path(item)
        if _is_collection(path):
            index = path / "indexes" / INDEX_NAME
            archive = path / "archive"
            found = [
                InputFile(
                    p,
                    p.relative_to(archive).as_posix(),
                    index if index.exists() else None,
                )
                for p in collection_files(path)
            ]
        elif path.is_dir():
            found = [
                InputFile(p, p.relative_to(path).as_posix())
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.name.endswith(ARCHIVE_EXTENSIONS)
            ]
        elif path.is_file():
            found = [InputFile(path, path.name)]
        else:
            raise FileNotFoundError(f"no such file, directory or collection: {item}")
        for f in found:
            key = f.path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files


def _index_offsets(index_path: Path) -> dict[str, list[int]]:
    """Record offsets per file name, from a collection's CDXJ index (range cut points)."""
    offsets: dict[str, list[int]] = {}
    with open(index_path, encoding="utf-8") as fh:
        for line in fh:
            try:
                data = json.loads(line.split(" ", 2)[2])
                offsets.setdefault(data["filename"], []).append(int(data["offset"]))
            except (IndexError, KeyError, ValueError):
                continue
    return offsets


def plan_tasks(
    files: Sequence[InputFile],
    *,
    mode: ScanMode,
    options: ExtractionOptions,
    fingerprint: str,
    shard_dir: str | None,
    range_size: int = DEFAULT_RANGE_SIZE,
    since: Any = None,
    links: LinksWanted = "all",
    keep_metadata: bool = True,
) -> list[ScanTask]:
    """One task per file; large gzip files of a collection are cut at indexed offsets."""
    tasks: list[ScanTask] = []
    offsets_cache: dict[Path, dict[str, list[int]]] = {}
    for f in files:
        size = f.path.stat().st_size
        cuts = [0]
        if f.index_path is not None and size > range_size and f.path.name.endswith(".gz"):
            if f.index_path not in offsets_cache:
                offsets_cache[f.index_path] = _index_offsets(f.index_path)
            for offset in sorted(set(offsets_cache[f.index_path].get(f.display_name, ()))):
                if offset - cuts[-1] >= range_size and size - offset >= range_size // 4:
                    cuts.append(offset)
        bounds = [*cuts[1:], None]
        for start, end in zip(cuts, bounds, strict=True):
            tasks.append(
                ScanTask(
                    index=len(tasks),
                    path=str(f.path),
                    display_name=f.display_name,
                    size=size,
                    start=start,
                    end=end,
                    mode=mode,
                    options=options,
                    fingerprint=fingerprint,  # type: ignore[arg-type]
                    since=since,
                    shard_dir=shard_dir,
                    links=links,
                    keep_metadata=keep_metadata,
                )
            )
    return tasks


# -- progress --------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar over the input bytes (records in its postfix), on a terminal only."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.bar = None
        self.records = 0
        if enabled is False or (enabled is None and not sys.stderr.isatty()):
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            desc="export",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def done(self, result: ScanResult) -> None:
        self.records += result.records
        if self.bar is not None:
            self.bar.set_postfix(records=self.records, refresh=False)
            self.bar.update(result.bytes_read)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- the shared "read responses -> analyse in a pool" step -----------------------------------


class DocumentStream:
    """The shared "read responses -> analyse in a pool" step of export and re-extraction.

    Building it runs the scan tasks; iterating it yields every response that has text, in
    archive order, with records from other tasks joined (the newest wins). ``summary``
    counts as it goes.
    """

    def __init__(
        self,
        files: Sequence[InputFile],
        *,
        mode: ScanMode,
        options: ExtractionOptions,
        fingerprint: str = "none",
        workers: int | None = None,
        dask_address: str | None = None,
        range_size: int = DEFAULT_RANGE_SIZE,
        since: Any = None,
        progress: bool | None = None,
        keep_empty: bool = False,
        links: LinksWanted = "all",
        keep_metadata: bool = True,
    ) -> None:
        self.keep_empty = keep_empty
        self.summary = ExportSummary(files=len(files), dedup="none")
        self.fingerprint = fingerprint
        self._scratch = tempfile.TemporaryDirectory(prefix="warcloom-export-")
        self.scratch = Path(self._scratch.name)
        shard_dir = None if dask_address else self._scratch.name
        tasks = plan_tasks(
            files,
            mode=mode,
            options=options,
            fingerprint=fingerprint,
            shard_dir=shard_dir,
            range_size=range_size,
            since=since,
            links=links,
            keep_metadata=keep_metadata,
        )
        self.summary.tasks = len(tasks)
        bar = _Progress(sum((t.end or t.size) - t.start for t in tasks), progress)
        try:
            self.results = run_tasks(
                tasks, workers=workers, dask_address=dask_address, on_done=bar.done
            )
        finally:
            bar.close()
        for result in self.results:
            self.summary.records_read += result.records
            self.summary.bytes_read += result.bytes_read
            self.summary.extracted += result.extracted
            self.summary.errors.extend(result.errors)
        self._best = self._best_parts()
        self._readers: OrderedDict[int, ShardReader] = OrderedDict()

    def _best_parts(self) -> dict[tuple[str, str], tuple[Any, int, int]]:
        """Newest part per (response, kind) among the records joined outside their task."""
        best: dict[tuple[str, str], tuple[Any, int, int]] = {}
        for result in self.results:
            for kind, refers_to, rank, number in result.parts:
                key = (refers_to, kind)
                if key not in best or rank > best[key][0]:
                    best[key] = (rank, result.task.index, number)
        return best

    def _reader(self, task_index: int) -> ShardReader:
        reader = self._readers.get(task_index)
        if reader is None:
            reader = ShardReader(self.results[task_index])
            self._readers[task_index] = reader
            if len(self._readers) > 32:
                _, old = self._readers.popitem(last=False)
                old.close()
        else:
            self._readers.move_to_end(task_index)
        return reader

    def __iter__(self) -> Iterator[Document]:
        for result in self.results:
            own = ShardReader(result)
            try:
                for item in own:
                    if isinstance(item, Document):
                        self._join(item)
                        if not item.text.strip():
                            if item.meta_rank or item.conv_rank:
                                self.summary.no_text += 1
                            if not (self.keep_empty and item.source == "extracted"):
                                continue
                        if self.fingerprint != "none" and not item.text_hash:
                            item.text_hash = text_hash(item.text)
                        if self.fingerprint == "near" and item.minhash is None:
                            item.minhash = minhash_values(item.text)
                        self.summary.documents += 1
                        yield item
            finally:
                own.close()

    def _join(self, doc: Document) -> None:
        meta = self._best.get((doc.response_id, "metadata"))
        if meta is not None and (doc.meta_rank is None or meta[0] > doc.meta_rank):
            part: Part = self._reader(meta[1]).get(meta[2])
            apply_metadata(doc, part.fields or {}, part.rank)
        conv = self._best.get((doc.response_id, "conversion"))
        if conv is not None and (doc.conv_rank is None or conv[0] > doc.conv_rank):
            part = self._reader(conv[1]).get(conv[2])
            apply_conversion(doc, part.title, part.text, part.rank)
            doc.text_hash, doc.minhash = part.text_hash, part.minhash

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        self._scratch.cleanup()

    def __enter__(self) -> DocumentStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- export ----------------------------------------------------------------------------------


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
    try:
        links = LinkWriter(options.links_path) if options.links_path else None
        fingerprint = options.dedup
        with DocumentStream(
            files,
            mode="extract" if options.reextract else "archive",
            options=options.extraction,
            fingerprint=fingerprint,
            workers=options.workers,
            dask_address=options.dask_address,
            range_size=options.range_size,
            progress=options.progress,
            links="all" if links is not None else "related",
            keep_metadata=False,
        ) as stream:
            summary = stream.summary
            summary.dedup = options.dedup
            kept = stream.scratch / "kept.pkl"
            latest: dict[str, tuple[Any, int]] = {}
            count = 0
            with open(kept, "wb") as fh:
                for doc in stream:
                    rule = options.filters.rejects(doc)
                    if rule is not None:
                        summary.filtered[rule] += 1
                        continue
                    key = (doc.timestamp.timestamp() if doc.timestamp else float("-inf"), count)
                    if options.latest_only:
                        prev = latest.get(doc.url)
                        if prev is None or key >= prev:
                            latest[doc.url] = key
                    pickle.dump(doc, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    count += 1
            winners = {seq for _, seq in latest.values()} if options.latest_only else None
            dedup = Deduplicator(options.dedup, options.near_threshold)
            with open(kept, "rb") as fh:
                for seq in range(count):
                    doc = pickle.load(fh)
                    if winners is not None and seq not in winners:
                        summary.superseded += 1
                        continue
                    if dedup.is_duplicate(seq, doc.text_hash, doc.minhash):
                        summary.duplicates += 1
                        continue
                    writer.write(doc)
                    if links is not None:
                        links.write(doc)
                    summary.exported += 1
    except BaseException:
        writer.abort()
        if links is not None:
            links.abort()
        raise
    writer.close()
    if links is not None:
        links.close()
        summary.links = links.count
    summary.seconds = time.monotonic() - started
    return summary
