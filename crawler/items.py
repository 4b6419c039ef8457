"""The items a crawled page yields: its capture's identity and its analysis, or what it
repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archive.changes import ChangeKind
from archive.collection import LastCapture
from archive.extraction import PageAnalysis

__all__ = ["PageItem", "RevisitItem"]


@dataclass
class PageItem:
    """One analysed HTML page, tied to its archived response record."""

    url: str
    status: int
    response_id: str
    capture_date: datetime
    depth: int
    via: str | None
    fetch_ms: float
    analysis: PageAnalysis
    previous: LastCapture | None = None  # the URL's newest 2xx capture before this crawl


@dataclass
class RevisitItem:
    """A capture whose change was decided at download (``not-modified``, ``identical``,
    ``gone``): not analysed again; ``response_id`` is its revisit or response record."""

    url: str
    status: int
    response_id: str
    capture_date: datetime
    depth: int
    via: str | None
    fetch_ms: float
    change: ChangeKind
    previous: LastCapture
