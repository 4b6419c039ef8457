"""A page's analysis in the archive: the ``metadata`` + ``conversion`` records that carry it,
how they are built, and which of them counts.

A response may have several analyses (the crawl's, then each re-extraction's). For each
kind, the newest counts: the latest ``WARC-Date``, and between equal dates the record read
later (file order, then offset). :class:`Newest` keeps that choice for the index, the
export, the WACZ pages and the replay's reader view alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from warcio.recordloader import ArcWarcRecord

from archive.reader import RecordRef
from archive.records import build_conversion_record, build_metadata_record

__all__ = [
    "CAPTURE_FIELDS",
    "EARLIEST",
    "EPOCH",
    "WARC_FIELDS",
    "AnalysisKind",
    "Newest",
    "analysis_target",
    "build_analysis_records",
    "language_codes",
    "normalise",
    "parse_warc_date",
    "text_hash",
]

WARC_FIELDS = "application/warc-fields"
#: Metadata fields about the capture itself (how the crawl reached it, what changed since the
#: capture before it), not about its analysis: a re-extraction carries them over.
CAPTURE_FIELDS = (
    "via",
    "hops-from-seed",
    "fetch-time-ms",
    "change",
    "previous-capture",
    "rendered",
)
AnalysisKind = Literal["metadata", "conversion"]
T = TypeVar("T")
Rank = tuple[Any, ...]  # (WARC-Date as datetime, then the position in the archive)
_WS = re.compile(r"\s+")


def analysis_target(ref: RecordRef) -> tuple[AnalysisKind, str] | None:
    """Kind and response record ID of a record that carries an analysis (a
    ``application/warc-fields`` metadata record or a conversion record, with
    ``WARC-Refers-To``); None for any other record."""
    kind = ref.rec_type
    if kind not in ("metadata", "conversion"):
        return None
    target = (ref.header("WARC-Refers-To") or "").strip()
    if not target:
        return None
    if kind == "metadata":
        ctype = (ref.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != WARC_FIELDS:
            return None
        return "metadata", target
    return "conversion", target


EARLIEST = datetime.min.replace(tzinfo=UTC)
EPOCH = datetime.fromtimestamp(0, UTC)


def parse_warc_date(value: str | None, default: datetime = EARLIEST) -> datetime:
    """A ``WARC-Date`` as a UTC datetime; ``default`` when it is missing or bad."""
    if value:
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default


class Newest(Generic[T]):
    """The newest analysis record of each kind per response, by rank
    (``(parse_warc_date(WARC-Date), position...)``: a later equal rank wins)."""

    def __init__(self) -> None:
        self._best: dict[tuple[str, str], tuple[Rank, T]] = {}

    def offer(self, response_id: str, kind: str, rank: Rank, load: Callable[[], T]) -> bool:
        """Keep ``load()`` if it is the newest so far (``load`` runs only then)."""
        key = (response_id, kind)
        old = self._best.get(key)
        if old is not None and rank < old[0]:
            return False
        self._best[key] = (rank, load())
        return True

    def get(self, response_id: str, kind: str) -> T | None:
        found = self._best.get((response_id, kind))
        return None if found is None else found[1]

    def ranked(self, response_id: str, kind: str) -> tuple[Rank, T] | None:
        """The newest record's rank and value."""
        return self._best.get((response_id, kind))

    def response_ids(self) -> set[str]:
        return {rid for rid, _ in self._best}


def language_codes(value: Any) -> list[str]:
    """ISO 639-3 codes of a metadata record's ``languages`` (``[{"code": "eng", "share":
    0.9}, ...]``), most text first, without repeats."""
    if not isinstance(value, list):
        return []
    items: list[tuple[float, str]] = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            share = item.get("share")
            items.append((float(share) if isinstance(share, int | float) else 0.0, item["code"]))
        elif isinstance(item, str):
            items.append((0.0, item))
    items.sort(key=lambda pair: -pair[0])  # stable: equal shares keep their order
    return list(dict.fromkeys(code for _, code in items if code))


def build_analysis_records(
    url: str,
    response_id: str,
    date: datetime,
    fields: Mapping[str, Any],
    title: str,
    text: str,
) -> list[ArcWarcRecord]:
    """The records of one page's analysis: a metadata record with ``fields`` and, when
    there is text, a conversion record (title, blank line, text) tagged with up to three
    ISO 639-3 codes from ``fields["languages"]``. Both refer to the response and carry its
    ``WARC-Date``."""
    records = [build_metadata_record(url, response_id, date, fields)]
    if text:
        codes = language_codes(fields.get("languages"))[:3]
        records.append(build_conversion_record(url, response_id, date, title, text, codes))
    return records


def normalise(text: str) -> str:
    """A text after Unicode NFKC, case folding and whitespace collapsing."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def text_hash(text: str) -> bytes:
    """BLAKE2b-128 of the text after :func:`normalise`: equal for texts that differ only in
    what normalising takes away (export's exact dedup, a recrawl's ``unchanged-text``)."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).digest()
