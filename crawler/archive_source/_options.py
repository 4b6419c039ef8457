"""Settings of a replayed crawl: which collection (``WARCLOOM_FROM_ARCHIVE``) and which
captures to prefer (``WARCLOOM_ARCHIVE_TIMESTAMP``), parsed once into :class:`ReplayOptions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapy.settings import BaseSettings

from archive.collection import Collection

__all__ = ["ReplayOptions"]

_TIMESTAMP = re.compile(r"\d{1,14}")


@dataclass(frozen=True)
class ReplayOptions:
    """``WARCLOOM_FROM_ARCHIVE`` (collection or output directory, with an index) and
    ``WARCLOOM_ARCHIVE_TIMESTAMP`` (1-14 digits: replay the captures nearest to it)."""

    collection: Collection
    timestamp: str | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ReplayOptions:
        archive = settings.get("WARCLOOM_FROM_ARCHIVE") or ""
        if not archive:
            raise ValueError("ArchiveDownloadHandler needs WARCLOOM_FROM_ARCHIVE")
        timestamp = str(settings.get("WARCLOOM_ARCHIVE_TIMESTAMP") or "") or None
        if timestamp is not None and not _TIMESTAMP.fullmatch(timestamp):
            raise ValueError(
                "WARCLOOM_ARCHIVE_TIMESTAMP must be 1-14 digits (YYYYMMDDhhmmss), "
                f"got {timestamp!r}"
            )
        return cls(Collection.open(archive, need_index=True), timestamp)
