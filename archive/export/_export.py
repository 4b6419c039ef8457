"""``export()``: archive files in, one data set out.

1. The inputs (collections, directories, files) become scan tasks: one per file, or per
   range of records for a large gzip file of a collection (cut at offsets from its index).
   A task of a collection file also carries the file's indexed records, so that the scan
   can step over response bodies it does not need.
2. The tasks run in worker processes (or on Dask) and leave documents in shards, each
   judged there (has it text, which filter rule it fails, its URL and capture time).
3. Here, in task order: the verdicts are counted and the survivors' places noted; only a
   document that records of another task are joined to (the newest wins) is loaded, joined
   and judged again.
4. The latest capture of each URL is chosen (unless all captures are wanted); only the
   chosen documents are loaded, duplicates are removed in output order, and the writers
   get the rest.

Memory holds one task's worth of documents per worker, and per document a few small keys
here (URL, time, place); text only streams through.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sys
import tempfile
import time
from bisect import bisect_left
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
from ._scan import Part, ScanMode, ScanResult, ScanTask, ShardReader, Verdict
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

#: Where a document lies: (task index, number in its shard), or (-1, position) in the
#: scratch file of documents joined with records of other tasks.
Location = tuple[int, int]


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
    # files whose index did not fit them: read in full from the offset given
    index_mismatches: list[ReadError] = field(default_factory=list)
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
            "index_mismatches": [
                {"file": e.path, "offset": e.offset, "message": e.message}
                for e in self.index_mismatches
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
        if self.index_mismatches:
            lines.append(
                f"files not as their index says (read in full): {len(self.index_mismatches)}"
            )
            lines.extend(
                f"  {e.path}: offset {e.offset}: {e.message}" for e in self.index_mismatches[:50]
            )
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


def _indexed_members(index_path: Path) -> dict[str, dict[int, tuple[int, str]]]:
    """Per file name, offset -> (length, URL) of its indexed records (a collection's CDXJ)."""
    members: dict[str, dict[int, tuple[int, str]]] = {}
    with open(index_path, encoding="utf-8") as fh:
        for line in fh:
            try:
                data = json.loads(line.split(" ", 2)[2])
                entry = (int(data["length"]), data["url"])
                members.setdefault(data["filename"], {})[int(data["offset"])] = entry
            except (IndexError, KeyError, TypeError, ValueError):
                continue
    return members


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
    filters: Filters | None = None,
) -> list[ScanTask]:
    """One task per file; large gzip files of a collection are cut at indexed offsets.

    In ``archive`` mode the tasks of a collection's gzip files carry their indexed members,
    so that the scan can leave response bodies uninflated (see :mod:`._scan`).
    """
    tasks: list[ScanTask] = []
    index_cache: dict[Path, dict[str, dict[int, tuple[int, str]]]] = {}
    for f in files:
        size = f.path.stat().st_size
        cuts = [0]
        members: dict[int, tuple[int, str]] = {}
        gzip_in_collection = f.index_path is not None and f.path.name.endswith(".gz")
        if gzip_in_collection and (size > range_size or mode == "archive"):
            assert f.index_path is not None
            if f.index_path not in index_cache:
                index_cache[f.index_path] = _indexed_members(f.index_path)
            members = index_cache[f.index_path].get(f.display_name, {})
        offsets = sorted(members)
        if size > range_size:
            for offset in offsets:
                if offset - cuts[-1] >= range_size and size - offset >= range_size // 4:
                    cuts.append(offset)
        bounds = [*cuts[1:], None]
        for start, end in zip(cuts, bounds, strict=True):
            in_range = None
            if mode == "archive" and members:
                lo = bisect_left(offsets, start)
                hi = len(offsets) if end is None else bisect_left(offsets, end)
                in_range = {o: members[o] for o in offsets[lo:hi]}
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
                    members=in_range,
                    filters=filters,
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
        filters: Filters | None = None,
    ) -> None:
        self.keep_empty = keep_empty
        self.filters = filters
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
            filters=filters,
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
            if result.index_mismatch is not None:
                self.summary.index_mismatches.append(result.index_mismatch)
        self._best = self._best_parts()
        self._readers: OrderedDict[int, ShardReader] = OrderedDict()
        self._spilled: Any = None

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
                        self._fingerprint(item)
                        self.summary.documents += 1
                        yield item
            finally:
                own.close()

    def judged(self) -> Iterator[tuple[Verdict, Location]]:
        """What ``__iter__`` yields, filtered by the stream's ``filters``, as verdicts and
        where each document lies (for :meth:`load`), counting rejects in
        ``summary.filtered``. The workers judged the documents; only one that records of
        another task are joined to is loaded here (and judged again, joined)."""
        assert self.filters is not None and not self.keep_empty
        joined = {key[0] for key in self._best}
        spill = None
        try:
            for result in self.results:
                for verdict in result.verdicts:
                    location: Location = (result.task.index, verdict.number)
                    if verdict.response_id in joined:
                        doc = self._reader(result.task.index).get(verdict.number)
                        verdict, doc = self._rejudge(verdict, doc)
                        if verdict.has_text and verdict.rule is None:
                            if spill is None:
                                spill = open(self.scratch / "joined.pkl", "wb")  # noqa: SIM115
                            location = (-1, spill.tell())
                            pickle.dump(doc, spill, protocol=pickle.HIGHEST_PROTOCOL)
                    if not verdict.has_text:
                        if verdict.referred:
                            self.summary.no_text += 1
                        continue
                    self.summary.documents += 1
                    if verdict.rule is not None:
                        self.summary.filtered[verdict.rule] += 1
                        continue
                    yield verdict, location
        finally:
            if spill is not None:
                spill.close()

    def _rejudge(self, verdict: Verdict, doc: Document) -> tuple[Verdict, Document]:
        assert self.filters is not None
        self._join(doc)
        has_text = bool(doc.text.strip())
        if has_text:
            self._fingerprint(doc)
        rule = self.filters.rejects(doc) if has_text else None
        referred = bool(doc.meta_rank or doc.conv_rank)
        return verdict._replace(has_text=has_text, referred=referred, rule=rule), doc

    def load(self, location: Location) -> Document:
        """A document :meth:`judged` gave the location of (fingerprinted)."""
        task_index, number = location
        if task_index < 0:
            if self._spilled is None:
                self._spilled = open(self.scratch / "joined.pkl", "rb")  # noqa: SIM115
            self._spilled.seek(number)
            return pickle.load(self._spilled)
        doc = self._reader(task_index).get(number)
        self._fingerprint(doc)
        return doc

    def _fingerprint(self, doc: Document) -> None:
        if self.fingerprint != "none" and not doc.text_hash:
            doc.text_hash = text_hash(doc.text)
        if self.fingerprint == "near" and doc.minhash is None:
            doc.minhash = minhash_values(doc.text)

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
        if self._spilled is not None:
            self._spilled.close()
            self._spilled = None
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
            filters=options.filters,
        ) as stream:
            summary = stream.summary
            summary.dedup = options.dedup
            latest: dict[str, tuple[float, int]] = {}
            locations: list[Location] = []
            for verdict, location in stream.judged():
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
