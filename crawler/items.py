"""The item a crawled page yields: its capture's identity and its analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archive.extraction import PageAnalysis

__all__ = ["PageItem"]


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
