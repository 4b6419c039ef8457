"""A side index of the records that refer to a response: ``metadata`` and ``conversion``.

The collection's CDXJ index has no lines for them (pywb would replay them), and a crawl
writes them well after their response (extraction runs in a pool), possibly in a later
file, so a bounded forward scan from the response does not reliably find them. Instead,
replay keeps a second sorted file in the same ``surt timestamp {json}`` form:

    1,0,0,127:8000)/a.html 20240501100000 {"url": ..., "type": "metadata",
        "refers_to": "<urn:uuid:...>", "date": "2024-05-01T10:00:00Z",
        "filename": ..., "offset": "...", "length": "..."}

and finds a capture's records with the same binary search as the main index (by URL, then
by the response's WARC-Record-ID). Two lines per extracted page, about 300 bytes each.

It is written beside the collection's index (:attr:`Collection.side_index_path`: pywb only
reads ``.cdx``, ``.cdxj``, ``.idx`` and ``.summary`` files there), or to a cache directory
when the collection is read-only. The first line records the size and mtime of every
archive file it covers; when files are added or change only those are scanned again and
merged in.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from warcio.timeutils import iso_date_to_timestamp

from archive.analysis import Newest, analysis_target, parse_warc_date
from archive.index import IndexEntry, lookup, url_key, write_index
from archive.reader import iter_records

if TYPE_CHECKING:
    from ._collection import Collection

__all__ = ["SideIndex"]

logger = logging.getLogger(__name__)

_HEADER = "!files "  # sorts before every SURT key
_RECHECK_SECONDS = 2.0


class SideIndex:
    """Finds the metadata and conversion records of a response, keeping itself current."""

    def __init__(self, collection: Collection, cache_dir: Path | None = None) -> None:
        self.coll = collection
        path = collection.side_index_path
        self._paths = [path]
        if cache_dir is not None:
            key = hashlib.sha1(str(collection.root).encode()).hexdigest()[:16]
            self._paths.append(cache_dir / key / path.name)
        self._lock = threading.Lock()
        self._checked = 0.0
        self._path: Path | None = None

    def referring(self, url: str, response_id: str) -> dict[str, IndexEntry]:
        """The newest ``metadata`` and ``conversion`` records referring to ``response_id``
        (keyed by type)."""
        newest: Newest[IndexEntry] = Newest()
        for entry in lookup(self.ensure(), url):
            fields = entry.fields
            if fields.get("refers_to") == response_id:
                rank = (parse_warc_date(fields.get("date")), entry.filename, entry.offset)
                newest.offer(response_id, fields.get("type", ""), rank, lambda e=entry: e)
        found = {kind: newest.get(response_id, kind) for kind in ("metadata", "conversion")}
        return {kind: entry for kind, entry in found.items() if entry is not None}

    def ensure(self) -> Path:
        """The side index file, (re)built first if archive files were added or changed."""
        with self._lock:
            now = time.monotonic()
            if self._path is not None and now - self._checked < _RECHECK_SECONDS:
                return self._path
            files = {self.coll.relative_name(p): _signature(p) for p in self.coll.files()}
            for path in self._paths:
                if _read_header(path) == files:
                    self._path, self._checked = path, now
                    return path
            self._path = self._refresh(files)
            self._checked = time.monotonic()
            return self._path

    def _refresh(self, files: dict[str, list[int]]) -> Path:
        old_path = next((p for p in self._paths if p.is_file()), None)
        old = (_read_header(old_path) if old_path else None) or {}
        keep = {name for name, sig in files.items() if old.get(name) == sig}
        scan = sorted(set(files) - keep)
        started = time.monotonic()
        new_lines = sorted(
            line for name in scan for line in _scan_file(self.coll.archive_dir / name, name)
        )
        header = _HEADER + json.dumps(files, sort_keys=True)

        def lines() -> Iterator[str]:
            yield header
            kept = _kept_lines(old_path, keep) if old_path and keep else iter(())
            yield from heapq.merge(kept, iter(new_lines))

        for path in self._paths:
            try:
                write_index(lines(), path)
            except OSError as exc:
                logger.info("cannot write the side index at %s: %s", path, exc)
                continue
            logger.info(
                "side index %s: scanned %d file(s) in %.2f s",
                path,
                len(scan),
                time.monotonic() - started,
            )
            return path
        # nowhere to write: a private temporary file for this process
        fd, tmp = tempfile.mkstemp(prefix="warcloom-side-", suffix=".cdxj-side")
        os.close(fd)
        write_index(lines(), tmp)
        return Path(tmp)


def _signature(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _read_header(path: Path) -> dict[str, list[int]] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return None
    if not first.startswith(_HEADER):
        return None
    with contextlib.suppress(ValueError):
        value = json.loads(first[len(_HEADER) :])
        if isinstance(value, dict):
            return value
    return None


def _kept_lines(path: Path, keep: set[str]) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(_HEADER):
                continue
            with contextlib.suppress(ValueError):
                if IndexEntry.from_line(line).fields.get("filename") in keep:
                    yield line.rstrip("\n")


def _scan_file(path: Path, name: str) -> Iterable[str]:
    """Side lines of every metadata/conversion record with a WARC-Refers-To in ``path``."""
    for ref in iter_records(path, parse_http=False):
        target = analysis_target(ref)
        url = ref.header("WARC-Target-URI")
        if target is None or not url or not ref.addressable:
            continue
        date = ref.header("WARC-Date") or ""
        try:
            ts = iso_date_to_timestamp(date)
        except Exception:
            ts = "00000000000000"
        fields = {
            "url": url,
            "type": target[0],
            "refers_to": target[1],
            "date": date,
            "filename": name,
            "offset": str(ref.offset),
            "length": str(ref.length),
        }
        yield f"{url_key(url)} {ts} {json.dumps(fields, ensure_ascii=False)}"
