"""Index files: written atomically, merged under a lock, rebuilt from a directory of archive
files. Where a collection keeps them is :mod:`archive.collection`'s business."""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from archive.index._build import _index, index_files
from archive.index._entry import ARCHIVE_EXTENSIONS
from archive.reader import ReadError

logger = logging.getLogger(__name__)


def write_index(lines: Iterable[str], path: str | os.PathLike[str]) -> None:
    """Write lines (no newlines) to ``path`` atomically: a temporary file, then a rename."""
    _atomic_write(Path(path), (line.encode("utf-8") + b"\n" for line in lines))


def _atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(index_path: Path) -> Iterator[None]:
    """Serialize index updates between processes (an advisory lock beside the index)."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    with open(index_path.with_name(index_path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class UpdateResult:
    lines_added: int
    rebuilt: bool


def archive_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The archive files under ``directory`` (recursively), in name order."""
    return sorted(
        p for p in Path(directory).rglob("*") if p.is_file() and p.name.endswith(ARCHIVE_EXTENSIONS)
    )


def rebuild_index(index: Path, archive: Path, *, errors: list[ReadError] | None = None) -> int:
    """Index every archive file under ``archive`` anew into ``index``; return the number of
    lines."""
    with _locked(index):
        lines = index_files(archive_files(archive), root=archive, errors=errors)
        write_index(lines, index)
    return len(lines)


def update_index(
    index: Path,
    archive: Path,
    new_warc_paths: Sequence[str | os.PathLike[str]],
    *,
    errors: list[ReadError] | None = None,
) -> UpdateResult:
    """Add the lines of new files under ``archive`` to the sorted ``index``.

    The new files are indexed together and merged into the existing index in one streaming
    pass. If a metadata or conversion record in them refers to a response that is not in
    them (a response in an older file, or a re-extraction), the existing line of that
    response would have to change: then every file under ``archive`` is indexed anew.
    """
    with _locked(index):
        pending = _index(new_warc_paths, archive, errors)
        orphans = pending.referred_ids() - pending.response_ids
        if orphans and index.exists():
            logger.info(
                "%d referring record(s) point outside the new files: re-indexing %s",
                len(orphans),
                archive,
            )
            lines = index_files(archive_files(archive), root=archive, errors=errors)
            write_index(lines, index)
            return UpdateResult(lines_added=len(lines), rebuilt=True)

        new_lines = pending.lines()
        if not index.exists():
            write_index(new_lines, index)
            return UpdateResult(lines_added=len(new_lines), rebuilt=False)

        with open(index, "rb") as old:
            merged = heapq.merge(old, (line.encode("utf-8") + b"\n" for line in new_lines))
            _atomic_write(index, _dedup(merged))
    return UpdateResult(lines_added=len(new_lines), rebuilt=False)


def _dedup(lines: Iterable[bytes]) -> Iterator[bytes]:
    last = None
    for line in lines:
        if not line.endswith(b"\n"):
            line += b"\n"
        if line != last:
            yield line
        last = line
