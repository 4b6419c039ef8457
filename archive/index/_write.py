"""Index files: written atomically, merged under a lock, rebuilt from a directory of archive
files, all as streams (the runs waiting to be merged go to a temporary directory beside the
index). Where a collection keeps them is :mod:`archive.collection`'s business."""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import itertools
import logging
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from archive.index._build import _indexed
from archive.index._entry import ARCHIVE_EXTENSIONS
from archive.reader import ReadError

logger = logging.getLogger(__name__)


def write_index(lines: Iterable[str], path: str | os.PathLike[str]) -> None:
    """Write lines (no newlines) to ``path`` atomically: a temporary file, then a rename."""
    _atomic_write(Path(path), (line.encode("utf-8") + b"\n" for line in lines))


def _atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # made with mode 0666 less the umask, like the WARC files (mkstemp's 0600 would keep a
    # pywb run as another user out)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
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
        return _rebuild(index, archive, errors)


def _rebuild(index: Path, archive: Path, errors: list[ReadError] | None) -> int:
    with _indexed(archive_files(archive), archive, errors, index.parent) as build:
        lines = _Counted(build.lines())
        write_index(lines, index)
    return lines.count


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
    with _locked(index), _indexed(new_warc_paths, archive, errors, index.parent) as build:
        if build.orphans and index.exists():
            logger.info(
                "%d referring record(s) point outside the new files: re-indexing %s",
                build.orphans,
                archive,
            )
            return UpdateResult(lines_added=_rebuild(index, archive, errors), rebuilt=True)

        new_lines = _Counted(build.lines())
        if not index.exists():
            write_index(new_lines, index)
            return UpdateResult(lines_added=new_lines.count, rebuilt=False)

        with open(index, "rb") as old:
            merged = heapq.merge(old, (line.encode("utf-8") + b"\n" for line in new_lines))
            _atomic_write(index, _dedup(merged))
    return UpdateResult(lines_added=new_lines.count, rebuilt=False)


class _Counted:
    """Lines passed through, counted."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = lines
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.count += 1
            yield line


def _dedup(lines: Iterable[bytes]) -> Iterator[bytes]:
    ended = (line if line.endswith(b"\n") else line + b"\n" for line in lines)
    return (line for line, _ in itertools.groupby(ended))
