"""A collection on disk: pywb's layout, how a path becomes one, and its index and files.

    <out>/collections/<name>/archive/*.warc.gz       WARC files (``.open`` while written)
    <out>/collections/<name>/indexes/index.cdxj      sorted CDXJ index (pywb reads it)
    <out>/collections/<name>/indexes/referring.cdxj-side   metadata/conversion side index
    <out>/collections/<name>/indexes/unindexed.txt   files closed but not indexed yet
    <out>/state/<name>.frontier.sqlite               the crawl frontier
    <out>/state/<name>.lock                          held by the run writing the collection
    <out>/state/<name>.history.jsonl                 one line per run (see ``_history``)
    <out>/state/<name>.revisits.sqlite               adaptive revisit intervals per URL

A collection that is not under a ``collections/`` directory keeps its state in ``state/``
inside it. Files are only ever opened by the ``filename`` an index line names, and only if
that name resolves (symlinks followed) to a regular file inside ``archive/``: absolute
names, ``..`` components and links that lead elsewhere are refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from archive.analysis import text_hash
from archive.index import (
    IndexEntry,
    UpdateResult,
    archive_files,
    iter_prefix,
    lookup,
    rebuild_index,
    update_index,
)
from archive.reader import ReadError, RecordRef, UnreadableRecord, read_record_at
from archive.records import parse_warc_fields

from ._capture import Capture, CaptureError, load_capture
from ._history import Run, append_run, read_runs
from ._lock import CollectionLock
from ._sideindex import SideIndex

__all__ = ["Analysis", "CaptureError", "Collection", "CollectionNotFound", "LastCapture"]

_ARCHIVE = "archive"
_INDEXES = "indexes"
_INDEX = "index.cdxj"
_SIDE_INDEX = "referring.cdxj-side"
_JOURNAL = "unindexed.txt"
_STATE = "state"
_COLLECTIONS = "collections"
_BODY_METHODS = ("POST", "PUT")


class CollectionNotFound(ValueError):
    """A path that is not a collection (or names several): the message says which."""


@dataclass
class Analysis:
    """The newest analysis of a response: its metadata fields, and the title and text of its
    conversion record. ``problems`` says what could not be read."""

    metadata: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    text: str | None = None  # None: no conversion record
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LastCapture:
    """What a recrawl needs of a URL's newest 2xx capture."""

    url: str
    record_id: str  # the response (or the revisit) found
    date: datetime
    status: int
    digest: str  # payload digest, ``sha1:`` dropped
    etag: str | None
    last_modified: str | None
    text_hash: bytes | None  # of the newest conversion text (archive.analysis.text_hash);
    # None: no text, or not asked for
    payload_id: str  # the response record holding the payload (a revisit's original)
    payload_date: str  # its WARC-Date, as stored


@dataclass
class Collection:
    """One collection: where its parts are, and read access to its index and records.

    ``cache_dir`` is where the side index goes when the collection is not writable."""

    root: Path
    cache_dir: Path | None = None
    _side: Any = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        name: str | None = None,
        *,
        need_index: bool = False,
        cache_dir: Path | None = None,
    ) -> Collection:
        """The collection meant by ``path``: a collection directory (it has ``archive/``),
        or an output directory holding ``collections/<name>/`` (``name`` picks one; without
        it there must be exactly one). ``need_index``: refuse one without an index."""
        base = Path(path)
        is_one = name is None and (base / _ARCHIVE).is_dir()
        root = base if is_one else _one_collection(base, name)
        found = cls(Path(os.path.realpath(root)), cache_dir)
        if need_index and not found.index_path.is_file():
            raise CollectionNotFound(
                f"{found.root} has no index {found.index_path}: build it with "
                f"`warcloom index {found.archive_dir} -o {found.index_path}`"
            )
        return found

    @classmethod
    def under(cls, out: str | os.PathLike[str], name: str) -> Collection:
        """The collection ``name`` of the output directory ``out`` (which may not exist yet:
        :meth:`make_dirs` makes it)."""
        return cls(Path(out) / _COLLECTIONS / name)

    def make_dirs(self) -> None:
        for path in (self.archive_dir, self.index_path.parent, self.state_dir):
            path.mkdir(parents=True, exist_ok=True)

    # -- the layout ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def archive_dir(self) -> Path:
        return self.root / _ARCHIVE

    @property
    def index_path(self) -> Path:
        return self.root / _INDEXES / _INDEX

    @property
    def side_index_path(self) -> Path:
        return self.root / _INDEXES / _SIDE_INDEX

    @property
    def journal_path(self) -> Path:
        """Names of closed WARC files not indexed yet, one a line."""
        return self.root / _INDEXES / _JOURNAL

    @property
    def out_dir(self) -> Path | None:
        """The output directory holding the collection (None: it stands alone)."""
        return self.root.parent.parent if self.root.parent.name == _COLLECTIONS else None

    @property
    def state_dir(self) -> Path:
        out = self.out_dir
        return self.root / _STATE if out is None else out / _STATE

    @property
    def frontier_path(self) -> Path:
        return self.state_dir / f"{self.name}.frontier.sqlite"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / f"{self.name}.lock"

    @property
    def last_captures_path(self) -> Path:
        """Every URL's last capture and its links, for recrawls (a cache of the index)."""
        return self.state_dir / f"{self.name}.last-captures.sqlite"

    @property
    def revisit_state_path(self) -> Path:
        """The adaptive revisit policy's per-URL intervals."""
        return self.state_dir / f"{self.name}.revisits.sqlite"

    @property
    def history_path(self) -> Path:
        return self.state_dir / f"{self.name}.history.jsonl"

    def record_run(self, run: Run) -> None:
        """Add a run to the collection's history."""
        append_run(self.history_path, run)

    def runs(self) -> list[Run]:
        """The collection's runs, oldest first."""
        return read_runs(self.history_path)

    def lock(self) -> CollectionLock:
        """The lock a run that writes to the collection holds (see :class:`CollectionLock`)."""
        return CollectionLock(self.lock_path, self.name)

    def files(self) -> list[Path]:
        """The archive files of the collection (recursively), in name order."""
        return archive_files(self.archive_dir)

    def relative_name(self, path: Path) -> str:
        """A file's name as the index gives it: relative to ``archive/``."""
        return path.relative_to(self.archive_dir).as_posix()

    # -- the index -------------------------------------------------------------------------

    def captures(self, url: str, timestamp: str | None = None) -> list[IndexEntry]:
        """Index entries of ``url``: oldest first, or nearest to ``timestamp`` first (none
        before the collection has an index)."""
        if not self.index_path.exists():
            return []
        return lookup(self.index_path, url, timestamp)

    def nearest(self, url: str, timestamp: str | None = None) -> IndexEntry | None:
        """The capture of ``url`` nearest to ``timestamp`` (the newest without one)."""
        found = self.captures(url, timestamp)
        if not found:
            return None
        return found[0] if timestamp else found[-1]

    def request_captures(
        self,
        url: str,
        method: str = "GET",
        body: bytes = b"",
        content_type: str | None = None,
        timestamp: str | None = None,
    ) -> list[IndexEntry]:
        """Captures that answer a request, best first: a POST/PUT looked up with its body
        in the key (as pywb keys them), others among GET/HEAD captures; the URL itself
        before others of its SURT key (http/https, ``www.``, case); newest first, or
        nearest to ``timestamp``."""
        method = method.upper()
        key_url = url
        if method in _BODY_METHODS:
            from cdxj_indexer.postquery import append_method_query  # ~0.2 s: only for POSTs

            _, append = append_method_query(
                method, content_type, str(len(body)), BytesIO(body), url
            )
            key_url = url + append
        entries = self.captures(key_url, timestamp)
        if not timestamp:
            entries.reverse()
        if method not in _BODY_METHODS:
            entries = [e for e in entries if e.fields.get("method") in (None, "GET", "HEAD")]
        return sorted(entries, key=lambda e: e.url != url)

    def iter_prefix(self, key_prefix: str, start: str = "") -> Iterator[IndexEntry]:
        """Index entries whose line starts with ``key_prefix`` (a SURT prefix), in index
        order, from the first line at or after ``start`` (a cursor: ``urlkey timestamp``)."""
        return iter_prefix(self.index_path, key_prefix, start)

    def update_index(
        self, new_files: Sequence[Path], *, errors: list[ReadError] | None = None
    ) -> UpdateResult:
        """Merge the lines of new files of the collection into its index."""
        return update_index(self.index_path, self.archive_dir, new_files, errors=errors)

    def rebuild_index(self, *, errors: list[ReadError] | None = None) -> int:
        """Index every archive file anew; return the number of lines."""
        return rebuild_index(self.index_path, self.archive_dir, errors=errors)

    # -- records ---------------------------------------------------------------------------

    def archive_path(self, filename: str) -> Path:
        """The archive file an index line names, if it is safely inside ``archive/``."""
        if not filename or "\x00" in filename or "\\" in filename:
            raise CaptureError(f"index names an invalid archive file: {filename!r}")
        if os.path.isabs(filename) or ".." in filename.split("/"):
            raise CaptureError(f"index names a file outside the collection: {filename!r}")
        path = Path(os.path.realpath(self.archive_dir / filename))
        archive = os.path.realpath(self.archive_dir)
        if os.path.commonpath([archive, str(path)]) != archive:
            raise CaptureError(f"archive file {filename!r} leads outside the collection")
        if not path.is_file():
            raise CaptureError(f"archive file {filename!r} is missing")
        return path

    def read(self, entry: IndexEntry, *, parse_http: bool = True) -> RecordRef:
        """The record an index entry points to; a :class:`CaptureError` if it cannot be
        read. Close the result."""
        try:
            path = self.archive_path(entry.filename)
            offset, length = entry.offset, entry.length
        except (KeyError, ValueError) as exc:
            raise CaptureError(f"index line without a usable location: {exc}") from None
        where = f"{entry.filename} at offset {offset}"
        try:
            return read_record_at(path, offset, length, parse_http=parse_http)
        except UnreadableRecord as exc:
            raise CaptureError(f"unreadable record in {where}: {exc.message}") from None
        except OSError as exc:
            raise CaptureError(f"cannot read {where}: {exc.strerror}") from None

    def load(self, entry: IndexEntry) -> Capture:
        """Status, headers and payload of a capture, a revisit resolved to its original
        (:func:`load_capture`). Raises :class:`CaptureError`. Close the result."""
        return load_capture(self, entry)

    # -- analyses --------------------------------------------------------------------------

    @property
    def side_index(self) -> SideIndex:
        if self._side is None:
            self._side = SideIndex(self, self.cache_dir)
        return self._side

    def analysis(self, url: str, response_id: str) -> Analysis:
        """The newest metadata and conversion records referring to ``response_id``."""
        found = Analysis()
        referring = self.side_index.referring(url, response_id)
        if "metadata" in referring:
            try:
                with self.read(referring["metadata"], parse_http=False) as ref:
                    found.metadata = parse_warc_fields(ref.record.raw_stream.read())
            except CaptureError as exc:
                found.problems.append(f"metadata record unreadable: {exc.reason}")
        if "conversion" in referring:
            try:
                found.title, found.text = self.conversion(referring["conversion"])
            except CaptureError as exc:
                found.problems.append(f"conversion record unreadable: {exc.reason}")
        return found

    def conversion(self, entry: IndexEntry) -> tuple[str, str]:
        """Title and text of the conversion record at ``entry``. Raises
        :class:`CaptureError`."""
        with self.read(entry, parse_http=False) as ref:
            block = ref.record.raw_stream.read().decode("utf-8", "replace")
        title, _, text = block.partition("\n\n")
        return title.strip(), text.strip()

    def last_capture(self, url: str, *, with_text: bool = True) -> LastCapture | None:
        """The newest capture of ``url`` answered with a 2xx status (a revisit resolved),
        with its validators and (``with_text``: one more record read) its text hash; None
        if there is none."""
        for entry, capture in self._newest_2xx(url):
            with capture:
                payload_id = capture.original_id or capture.record_id
                text = self.analysis(capture.url, payload_id).text if with_text else None
                return LastCapture(
                    url=capture.url,
                    record_id=capture.record_id,
                    date=capture.date,
                    status=capture.status,
                    digest=str(entry.fields.get("digest", "")),
                    etag=capture.header("ETag"),
                    last_modified=capture.header("Last-Modified"),
                    text_hash=None if text is None else text_hash(text),
                    payload_id=payload_id,
                    payload_date=capture.original_date or capture.warc_date,
                )
        return None

    def last_payload(self, url: str) -> bytes | None:
        """The payload of ``url``'s newest 2xx capture, its Content-Encoding undone (None:
        no such capture, or an encoding that cannot be undone)."""
        for _, capture in self._newest_2xx(url):
            with capture:
                try:
                    decoded = capture.decode()
                except CaptureError:
                    return None
                if decoded is not None:
                    return decoded.read()
                return None if capture.content_encoding else capture.read_payload()
        return None

    def _newest_2xx(self, url: str) -> Iterator[tuple[IndexEntry, Capture]]:
        """``url``'s captures answered with a 2xx status, newest first (close them)."""
        for entry in reversed(self.captures(url)):
            status = str(entry.fields.get("status", ""))
            if not status.startswith("2") and entry.fields.get("mime") != "warc/revisit":
                continue
            try:
                capture = self.load(entry)
            except CaptureError:
                continue
            if 200 <= capture.status < 300:
                yield entry, capture
            else:
                capture.close()


def _one_collection(base: Path, name: str | None) -> Path:
    colls = base / _COLLECTIONS
    if name is not None:
        if (colls / name / _ARCHIVE).is_dir():
            return colls / name
        raise CollectionNotFound(f"no collection {name!r} under {colls}")
    if not colls.is_dir():
        raise CollectionNotFound(
            f"{base} is not a collection ({_ARCHIVE}/) nor an output directory "
            f"({_COLLECTIONS}/<name>/{_ARCHIVE}/)"
        )
    found = sorted(c for c in colls.iterdir() if (c / _ARCHIVE).is_dir())
    if len(found) == 1:
        return found[0]
    if not found:
        raise CollectionNotFound(f"{base}: no collection under {colls}")
    names = ", ".join(c.name for c in found)
    raise CollectionNotFound(
        f"{base} holds several collections ({names}): choose one (--collection NAME), "
        f"e.g. {found[0]}"
    )
