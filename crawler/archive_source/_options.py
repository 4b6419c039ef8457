"""Settings of a replayed crawl: where the collection is (``WARCLOOM_FROM_ARCHIVE``) and which
captures to prefer (``WARCLOOM_ARCHIVE_TIMESTAMP``), parsed once into :class:`ReplayOptions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import BaseSettings

__all__ = ["ReplayOptions", "resolve_collection"]

_TIMESTAMP = re.compile(r"\d{1,14}")


def resolve_collection(path: str | Path) -> Path:
    """The collection directory meant by ``path``: a collection (``archive/`` + ``indexes/``)
    or an output directory holding exactly one collection under ``collections/``."""
    root = Path(path)
    if (root / "archive").is_dir():
        return root
    collections = root / "collections"
    if collections.is_dir():
        found = sorted(c for c in collections.iterdir() if (c / "archive").is_dir())
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(c.name for c in found)
            raise ValueError(
                f"{root} holds several collections ({names}): name one, e.g. {found[0]}"
            )
        raise ValueError(f"{root}: no collection under {collections}")
    raise ValueError(
        f"{root} is not a collection (archive/) nor an output directory (collections/)"
    )


@dataclass(frozen=True)
class ReplayOptions:
    """``WARCLOOM_FROM_ARCHIVE`` (collection or output directory) and
    ``WARCLOOM_ARCHIVE_TIMESTAMP`` (1-14 digits: replay the captures nearest to it)."""

    collection: Path
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
        return cls(resolve_collection(archive), timestamp)
