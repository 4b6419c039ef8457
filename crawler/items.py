"""The items a crawled page yields: its capture's identity and its analysis, or what it
repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.changes import ChangeKind
from archive.collection import LastCapture
from archive.extraction import PageAnalysis

__all__ = ["CaptureItem", "PageItem", "RevisitItem"]


@dataclass
class CaptureItem:
    """What every item says of its capture: the record, when, how it was reached."""

    url: str
    status: int
    response_id: str
    capture_date: datetime
    depth: int
    via: str | None
    fetch_ms: float


@dataclass
class PageItem(CaptureItem):
    """One analysed HTML page, tied to its archived response record."""

    analysis: PageAnalysis
    previous: LastCapture | None = None  # the URL's newest 2xx capture before this crawl
    rendered: dict[str, Any] | None = None  # the browser rendering the analysis is of


@dataclass
class RevisitItem(CaptureItem):
    """A capture whose change was decided at download (``not-modified``, ``identical``,
    ``gone``): not analysed again; ``response_id`` is its revisit or response record."""

    change: ChangeKind
    previous: LastCapture
