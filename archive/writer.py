"""Rotating, crash-safe WARC file writer.

Each record is one gzip member, compressed in memory and appended with a single
``write`` call, so a killed process leaves at most one partial member at the end
of the file it was writing. Files are written as ``NAME.warc.gz.open`` and renamed
when closed; :func:`recover_open_files` repairs and renames what a killed crawl left.

A write that fails (disk full, I/O error) is cut back at once to the last whole record
and raised as :class:`WarcWriteError`, naming the file; the writer then refuses further
writes, and :meth:`WarcWriter.close` closes what it holds as a valid file.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from warcio.recordloader import ArcWarcRecord

from archive.records import build_warcinfo_record, serialize

__all__ = [
    "RecordLocation",
    "WarcWriteError",
    "WarcWriter",
    "recover_open_files",
    "warc_filename",
]

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 10**9
_GZIP_LEVEL = 6  # zlib's default trade of size for speed; each record its own member


class WarcWriteError(OSError):
    """A WARC file could not be written: ``errno``, ``strerror`` and ``filename`` say which
    file and why (``[Errno 28] No space left on device: '.../x.warc.gz.open'``)."""


@dataclass(frozen=True)
class RecordLocation:
    """Where a record landed: file name (no directory), offset and compressed length."""

    filename: str
    offset: int
    length: int


def warc_filename(prefix: str, moment: datetime, serial: int, host: str, pid: int) -> str:
    """IIPC-style name: ``{prefix}-{timestamp17}-{serial:05}-{host}-{pid}.warc.gz``."""
    stamp = moment.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
    safe_host = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)
    return f"{prefix}-{stamp}-{serial:05d}-{safe_host}-{pid}.warc.gz"


class WarcWriter:
    """Appends record groups to gzip WARC files, rotating at ``max_size`` bytes.

    ``info`` is written as the warcinfo record at the head of every file. A group of
    records (a request/response pair, metadata + conversion) never straddles two files.
    ``on_open`` is called with the final path of every file before it is created (an
    ``OSError`` it raises fails the write), ``on_close`` with it once the file is closed and
    renamed.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "warcloom",
        max_size: int = DEFAULT_MAX_SIZE,
        info: Mapping[str, Any] | None = None,
        on_open: Callable[[Path], None] | None = None,
        on_close: Callable[[Path], None] | None = None,
    ) -> None:
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.info = dict(info or {})
        self.on_open = on_open
        self.on_close = on_close
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.serial = 0
        self.bytes_written = 0
        self.closed_files: list[Path] = []
        self.failure: WarcWriteError | None = None
        self._file: Any = None
        self._name = ""
        self._size = 0  # bytes of whole records in the current file

    def write(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Write a group of records to one file; returns where each landed.

        Raises :class:`WarcWriteError` if the file cannot be written (then, and after)."""
        if self.failure is not None:
            raise self.failure
        members = [self._compress(record) for record in records]
        size = sum(len(m) for m in members)
        if self._file is not None and self._size + size > self.max_size:
            self._close_current()
        if self._file is None:
            self._open_next()
        locations = []
        offset = self._size
        for member in members:
            locations.append(RecordLocation(self._name, offset, len(member)))
            offset += len(member)
        self._append(b"".join(members))
        self.bytes_written += size
        return locations

    def close(self) -> list[Path]:
        """Close the current file; returns every file closed by this writer."""
        self._close_current()
        return list(self.closed_files)

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _compress(self, record: ArcWarcRecord) -> bytes:
        compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return compressor.compress(serialize(record)) + compressor.flush()

    @property
    def _open_path(self) -> Path:
        return self.directory / (self._name + OPEN_SUFFIX)

    def _open_next(self) -> None:
        self.serial += 1
        self._name = warc_filename(self.prefix, datetime.now(UTC), self.serial, self.host, self.pid)
        path = self._open_path
        try:  # unbuffered: a failed write leaves nothing behind to be flushed later
            if self.on_open is not None:
                self.on_open(self.directory / self._name)
            self._file = open(path, "xb", buffering=0)  # noqa: SIM115 - kept open across calls
        except OSError as exc:
            self._fail(exc)
        self._size = 0
        info = {"format": "WARC File Format 1.1", **self.info}
        header = self._compress(build_warcinfo_record(self._name, info))
        self._append(header)
        self.bytes_written += len(header)
        logger.info("Opened WARC file %s", path)

    def _append(self, data: bytes) -> None:
        """Append whole records; on a failure cut the file back to them and raise."""
        view = memoryview(data)
        try:
            while view:  # a raw write may be short (a disk filling up): go on
                view = view[self._file.write(view) :]
        except OSError as exc:
            self._fail(exc)
        self._size += len(data)

    def _fail(self, exc: OSError) -> NoReturn:
        """Keep the current file's whole records, close it, refuse any further write."""
        path = self._open_path
        self.failure = WarcWriteError(exc.errno, exc.strerror, str(exc.filename or path))
        if self._file is not None:
            try:
                self._file.truncate(self._size)  # frees space: works on a full disk
            except OSError as cut:
                logger.error("Cannot cut %s back to its last whole record: %s", path, cut)
            if self._size == 0:  # not even its warcinfo: nothing worth keeping
                self._file.close()
                self._file = None
                path.unlink(missing_ok=True)
        raise self.failure from exc

    def _close_current(self) -> None:
        if self._file is None:
            return
        open_path = self._open_path
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:  # what was written may not be on disk: leave it to recovery
            self._file.close()
            self._file = None
            raise WarcWriteError(exc.errno, exc.strerror, str(open_path)) from exc
        self._file.close()
        self._file = None
        final = self.directory / self._name
        open_path.rename(final)
        self.closed_files.append(final)
        logger.info("Closed WARC file %s", final)
        if self.on_close is not None:
            self.on_close(final)


def _complete_length(path: Path, chunk_size: int = 1 << 20) -> int:
    """Length of the prefix of ``path`` made of complete gzip members."""
    good = position = 0
    decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            while chunk:
                try:
                    decompressor.decompress(chunk)
                except zlib.error:
                    return good
                if not decompressor.eof:
                    position += len(chunk)
                    break
                position += len(chunk) - len(decompressor.unused_data)
                good = position
                chunk = decompressor.unused_data
                decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    return good


def recover_open_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Repair ``*.open`` files a killed writer left: cut a partial last member, rename.

    Returns the repaired files. Whole members are never dropped.
    """
    repaired = []
    for open_path in sorted(Path(directory).glob("*" + OPEN_SUFFIX)):
        size = open_path.stat().st_size
        good = _complete_length(open_path)
        if good < size:
            logger.warning(
                "Recovered %s: cut %d bytes of a partial record at offset %d",
                open_path.name,
                size - good,
                good,
            )
            with open(open_path, "r+b") as fh:
                fh.truncate(good)
        final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
        if good == 0:
            open_path.unlink()
            continue
        open_path.rename(final)
        repaired.append(final)
    return repaired
