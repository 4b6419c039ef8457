"""A collection on disk, as replay sees it: its sorted CDXJ index and its archive files.

Files are only ever opened by the ``filename`` an index line names, and only if that name
resolves (symlinks followed) to a regular file inside the collection's ``archive/``
directory: absolute names, ``..`` components and links that lead elsewhere are refused.
Request paths are never mapped to files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from archive.index import INDEX_NAME, IndexEntry, iter_prefix, lookup, url_key
from archive.reader import RecordRef, read_record_at

__all__ = ["Collection", "CollectionNotFound", "ReplayError", "find_collection"]


class ReplayError(Exception):
    """Something replay cannot serve; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CollectionNotFound(ValueError):
    pass


def find_collection(path: str | os.PathLike[str], name: str | None = None) -> Path:
    """The collection directory meant by ``path``: a collection itself (it has
    ``indexes/index.cdxj``), or an output directory holding ``collections/<name>/``."""
    base = Path(path)
    if name is None and (base / "indexes" / INDEX_NAME).is_file():
        return base
    colls = base / "collections"
    if name is not None:
        cand = colls / name
        if (cand / "indexes" / INDEX_NAME).is_file():
            return cand
        raise CollectionNotFound(f"no collection {name!r} with an index under {colls}")
    found = (
        sorted(p for p in colls.iterdir() if (p / "indexes" / INDEX_NAME).is_file())
        if colls.is_dir()
        else []
    )
    if len(found) == 1:
        return found[0]
    if not found:
        raise CollectionNotFound(
            f"{base}: neither a collection (indexes/{INDEX_NAME}) nor a directory with "
            "collections/<name>/indexes/index.cdxj"
        )
    names = ", ".join(p.name for p in found)
    raise CollectionNotFound(f"{base} holds several collections ({names}): choose one")


class Collection:
    """Read-only access to one collection's index and archive files."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.realpath(root))
        self.archive_dir = self.root / "archive"
        self.index_path = self.root / "indexes" / INDEX_NAME
        if not self.index_path.is_file():
            raise CollectionNotFound(f"{self.root}: no indexes/{INDEX_NAME}")

    @property
    def name(self) -> str:
        return self.root.name

    # -- index ----------------------------------------------------------------

    def lookup(self, url: str, timestamp: str | None = None) -> list[IndexEntry]:
        return lookup(self.index_path, url, timestamp)

    def iter_prefix(self, key_prefix: str, start: str = "") -> Iterator[IndexEntry]:
        """Index entries whose line starts with ``key_prefix`` (a SURT prefix), in index
        order, from the first line at or after ``start`` (a cursor: ``urlkey timestamp``)."""
        return iter_prefix(self.index_path, key_prefix, start)

    # -- archive files ----------------------------------------------------------

    def archive_path(self, filename: str) -> Path:
        """The archive file an index line names, if it is safely inside ``archive/``."""
        if not filename or "\x00" in filename or "\\" in filename:
            raise ReplayError(502, f"index names an invalid archive file: {filename!r}")
        if os.path.isabs(filename) or ".." in filename.split("/"):
            raise ReplayError(502, f"index names a file outside the collection: {filename!r}")
        path = Path(os.path.realpath(self.archive_dir / filename))
        archive = os.path.realpath(self.archive_dir)
        if os.path.commonpath([archive, str(path)]) != archive:
            raise ReplayError(502, f"archive file {filename!r} leads outside the collection")
        if not path.is_file():
            raise ReplayError(502, f"archive file {filename!r} is missing")
        return path

    def read(self, entry: IndexEntry, *, parse_http: bool = True) -> RecordRef:
        """The record an index entry points to; a :class:`ReplayError` (502) if it cannot
        be read. Close the result."""
        try:
            path = self.archive_path(entry.filename)
            offset, length = entry.offset, entry.length
        except (KeyError, ValueError) as exc:
            raise ReplayError(502, f"index line without a usable location: {exc}") from None
        try:
            return read_record_at(path, offset, length, parse_http=parse_http)
        except (ValueError, OSError) as exc:
            raise ReplayError(502, f"unreadable record: {exc}") from None


def key_prefix_for(url_prefix: str) -> str:
    """The SURT prefix that covers URLs starting with ``url_prefix`` (as typed by a user:
    ``example.com``, ``https://example.com/news/``)."""
    text = url_prefix.strip()
    if not text:
        return ""
    if "://" not in text:
        text = "http://" + text
    key = url_key(text)
    host_only = text.split("://", 1)[1].strip("/").count("/") == 0 and "?" not in text
    if host_only and key.endswith(")/"):
        key = key[:-1]  # the whole host
    elif not text.endswith("/") and key.endswith("/") and not host_only:
        key = key[:-1]
    return key
