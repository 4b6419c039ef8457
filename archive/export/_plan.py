"""From inputs to scan tasks: collections, directories and files resolved to archive files
in a stable order (:func:`resolve_inputs`); each file one :class:`ScanTask`, or (a large gzip
file of a collection) several, cut at offsets from the collection's index, with the indexed
records each range holds (:func:`plan_tasks`)."""

from __future__ import annotations

import contextlib
import json
import os
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from archive.extraction import ExtractionOptions, LinksWanted

from ._dedup import DedupMode
from ._filters import Filters

__all__ = [
    "DEFAULT_RANGE_SIZE",
    "InputFile",
    "ScanMode",
    "ScanTask",
    "plan_tasks",
    "resolve_inputs",
]

DEFAULT_RANGE_SIZE = 64 << 20

ScanMode = Literal["archive", "extract"]


@dataclass(frozen=True)
class InputFile:
    path: Path
    display_name: str  # relative to the collection's archive/ (as in its index), or the name
    index_path: Path | None = None


def resolve_inputs(inputs: Sequence[str | os.PathLike[str]]) -> list[InputFile]:
    """Collections (``.../collections/NAME``, or an output directory holding one),
    directories and files, in a stable order."""
    # here, not at the top: archive.collection imports archive.index, which imports
    # cdxj-indexer (~0.1 s), which a worker process that imports this package to run a
    # scan does not need
    from archive.collection import Collection, CollectionNotFound
    from archive.index import archive_files

    files: list[InputFile] = []
    seen: set[Path] = set()
    for item in inputs:
        path = Path(item)
        coll = None
        if path.is_dir():
            with contextlib.suppress(CollectionNotFound):
                coll = Collection.open(path)
        if coll is not None:
            index = coll.index_path if coll.index_path.exists() else None
            found = [InputFile(p, coll.relative_name(p), index) for p in coll.files()]
        elif path.is_dir():
            found = [InputFile(p, p.relative_to(path).as_posix()) for p in archive_files(path)]
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


@dataclass(frozen=True)
class ScanTask:
    """One unit of work: a file, or the records starting in ``[start, end)`` of it."""

    index: int
    path: str
    display_name: str
    size: int
    start: int = 0
    end: int | None = None
    mode: ScanMode = "archive"
    options: ExtractionOptions = field(default_factory=ExtractionOptions)
    fingerprint: DedupMode = "exact"
    since: datetime | None = None  # extract mode: only responses captured at or after
    shard_dir: str | None = None
    links: LinksWanted = "all"  # which links documents carry (and metadata records parse)
    keep_metadata: bool = True  # Document.metadata of analysed pages (re-extraction writes it)
    # offset -> (length, URL) of the indexed records in the range, from the collection's
    # index: lets an archive-mode scan leave response bodies it does not need uninflated
    members: Mapping[int, tuple[int, str]] | None = None
    # an export's filters: each document's verdict comes back in ScanResult.verdicts
    filters: Filters | None = None


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
    # pages analysed for documents only find the links the documents carry
    analysis_options = options if keep_metadata else replace(options, links=links)
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
                    options=analysis_options,
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
