"""What travels between the exporting process and its workers: a scan task, its result,
the parts (records about a response the task did not see) and the per-document verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from archive.extraction import ExtractionOptions, LinksWanted
from archive.reader import ReadError

from ._documents import Rank
from ._filters import Filters

__all__ = ["Fingerprint", "Part", "ScanMode", "ScanResult", "ScanTask", "Verdict"]

ScanMode = Literal["archive", "extract"]
Fingerprint = Literal["none", "exact", "near"]


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
    fingerprint: Fingerprint = "exact"
    since: datetime | None = None  # extract mode: only responses captured at or after
    shard_dir: str | None = None
    links: LinksWanted = "all"  # which links documents carry (and metadata records parse)
    keep_metadata: bool = True  # Document.metadata of analysed pages (re-extraction writes it)
    # offset -> (length, URL) of the indexed records in the range, from the collection's
    # index: lets an archive-mode scan leave response bodies it does not need uninflated
    members: Mapping[int, tuple[int, str]] | None = None
    # an export's filters: each document's verdict comes back in ScanResult.verdicts
    filters: Filters | None = None


@dataclass
class Part:
    """A metadata or conversion record about a response this task did not see."""

    kind: str  # "metadata" | "conversion"
    refers_to: str
    rank: Rank
    fields: dict[str, Any] | None = None
    title: str = ""
    text: str = ""
    text_hash: bytes = b""
    minhash: Any = None


@dataclass
class ScanResult:
    task: ScanTask
    records: int = 0
    bytes_read: int = 0
    extracted: int = 0
    errors: list[ReadError] = field(default_factory=list)
    shard_path: str | None = None
    items: list[Any] | None = None  # when there is no shard directory
    count: int = 0  # items in the shard
    positions: list[int] = field(default_factory=list)  # of every batch in the shard file
    parts: list[tuple[str, str, Rank, int]] = field(default_factory=list)  # kind, id, rank, item
    blocks_skipped: int = 0  # response blocks left uninflated (headers from the index's offsets)
    # per document in the shard, what deciding its fate needs without loading it (valid
    # unless records of another task are joined to it): see Verdict
    verdicts: list[Verdict] = field(default_factory=list)
    index_mismatch: ReadError | None = None  # where the file stopped agreeing with its index


class Verdict(NamedTuple):
    """A document as the task left it, judged: enough to filter it and to choose the latest
    capture of its URL without unpickling it."""

    number: int  # in the shard
    response_id: str
    url: str
    time: float  # capture time (POSIX seconds), -inf when unknown
    has_text: bool
    referred: bool  # metadata or conversion records were found for it
    rule: str | None  # the first filter rule it fails (ScanTask.filters), or None
