"""The newest 2xx capture of every URL and the links of its analysis, kept for recrawls.

A recrawl asks, for each URL it is about to fetch, for its last capture (validators, payload
digest, the record holding the payload) and, when the page comes back unchanged, for the
links its stored analysis lists. Read from the WARC files (:meth:`Collection.last_capture`,
:meth:`Collection.analysis`) that is two to four record reads per URL on the reactor. This
table (SQLite, in the state directory) remembers both, written as the crawl stores records,
as Heritrix's URI history and browsertrix's dedup index do.

It is a cache of what the collection says, nothing more. It is trusted only while the index
and the archive files are the ones it was sealed with (sizes and modification times,
recorded after a run indexed exactly the files it wrote); otherwise it is emptied when
opened. A URL without a row is looked up in the collection and the answer kept. A revisit
whose original is not the row's payload drops the row. So a row says what
:meth:`Collection.last_capture` would say.

Shared table
============
Crawls that share a frontier (a cluster: ``warcloom crawl --redis``) each write their own
collection, and a host moves between workers from run to run. :meth:`LastCaptures.share`
adds a :class:`SharedTable` the workers share (:mod:`crawler.cluster` keeps it in Redis):
every capture this table records (a 2xx response, a revisit that confirms one) and every
analysis (links, requisites, clean text) is published to it, and a look-up asks it too;
the newer of the two answers wins. A row of the shared table is never copied into the
local one (which says what *this* collection holds): it is kept in memory for the page's
links and text, and its records are named by revisits as they are, in another worker's
files (resolvable once the collections are indexed together). The shared rows are encoded
here (:func:`encode_capture`, :func:`encode_analysis`); an analysis names the payload it
belongs to, and one that is not the capture's is ignored.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, fields, replace
from datetime import datetime
from typing import Any, NamedTuple, Protocol, cast

from warcio.recordloader import ArcWarcRecord

from archive.analysis import EPOCH, parse_warc_date, text_hash
from archive.index import IndexEntry
from archive.index import url_key as _url_key
from archive.links import Link, Region
from archive.writer import RecordLocation

from ._capture import CaptureError, bare_digest
from ._collection import Collection, LastCapture

__all__ = [
    "LastCaptures",
    "Outlinks",
    "SharedTable",
    "decode_capture",
    "encode_analysis",
    "encode_capture",
]

logger = logging.getLogger(__name__)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS captures (key TEXT PRIMARY KEY, url TEXT, record_id TEXT, "
    "date TEXT, status INTEGER, digest TEXT, etag TEXT, last_modified TEXT, text_hash BLOB, "
    "payload_id TEXT, payload_date TEXT, links BLOB, text_at TEXT)",
    "CREATE TABLE IF NOT EXISTS seal (id INTEGER PRIMARY KEY CHECK (id = 0), index_state TEXT)",
)
# a page's key is asked for several times within moments (look-up, records, analysis)
url_key = functools.lru_cache(maxsize=256)(_url_key)
_FIELDS = [f.name for f in fields(LastCapture)]  # a row holds a LastCapture, field by field
_COLUMNS = ", ".join(_FIELDS)
_ASSIGNMENTS = ", ".join(f"{column} = ?" for column in _FIELDS)
_PLACES = ", ".join("?" * (1 + len(_FIELDS)))
_REMOTE_KEPT = 1024  # shared rows kept in memory: a page's look-up, links and text are close


class Outlinks(NamedTuple):
    """What the analysis of a page lists: its links, and its requisites (images, CSS...)."""

    links: list[Link]
    requisites: list[str]


class SharedTable(Protocol):
    """Last captures several crawls share, by URL key (:func:`~archive.index.url_key`), in
    this module's encoding. An implementation answers ``(None, None)`` when it cannot be
    reached (the crawl then compares with its own collection only) and keeps what it could
    not publish for a later :meth:`flush`."""

    def fetch(self, key: str) -> tuple[bytes | None, bytes | None]:
        """The capture and the analysis stored under ``key``, read together."""
        ...

    def publish(self, key: str, capture: bytes | None, analysis: bytes | None) -> None:
        """Store the capture and/or the analysis of ``key`` (None: leave it)."""
        ...

    def flush(self) -> None:
        """Send what :meth:`publish` buffered."""
        ...


class _Remote(NamedTuple):
    """A shared row: its capture, and its analysis when it is the capture's payload's."""

    capture: LastCapture
    analysis: dict[str, Any] | None


class LastCaptures:
    """Per-URL last captures and their links; see the module docstring. Open it only under
    the collection's lock, :meth:`seal` it after the run's files are indexed. A table that
    cannot be read or written is given up for the run (logged): the collection answers."""

    def __init__(self, coll: Collection) -> None:
        self.coll = coll
        self.db: sqlite3.Connection | None = None
        self.shared: SharedTable | None = None
        self._remote: OrderedDict[str, _Remote] = OrderedDict()
        self._unshared: set[str] = set()  # keys whose local capture the shared table lacks
        path = coll.last_captures_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.db = _connect(path)
            except sqlite3.DatabaseError:  # a cache: a damaged one is dropped
                path.unlink(missing_ok=True)
                self.db = _connect(path)
            row = self.db.execute("SELECT index_state FROM seal").fetchone()
            if row is None or row[0] != _index_state(coll):
                self.db.execute("DELETE FROM captures")
            # unsealed until this run's files are indexed: a run that dies leaves no seal
            self.db.execute("DELETE FROM seal")
            self.db.commit()
        except (OSError, sqlite3.Error) as exc:
            self._give_up(exc)

    def share(self, table: SharedTable) -> None:
        """Publish to ``table`` and look captures up in it too (see the module docstring)."""
        self.shared = table

    def get(self, url: str) -> LastCapture | None:
        """The newest 2xx capture of ``url`` (as :meth:`Collection.last_capture` without
        its text hash), or the shared table's when that one is newer."""
        key = url_key(url)
        row = self._row(f"SELECT {_COLUMNS} FROM captures WHERE key = ?", key)
        if row is not None:
            found: LastCapture | None = _capture(row)
        else:
            found = self.coll.last_capture(url, with_text=False)
            if found is not None:
                self._put(key, found)
        remote = self._fetch(key)
        if remote is not None and (found is None or remote.capture.date > found.date):
            return remote.capture
        if found is not None and self.shared is not None:
            if remote is None or remote.capture.payload_id != found.payload_id:
                self._unshared.add(key)  # e.g. captured before the crawls shared a table
            else:
                self._unshared.discard(key)
        return found

    def _fetch(self, key: str) -> _Remote | None:
        """The shared table's row of ``key`` (kept in memory for a while)."""
        if self.shared is None:
            return None
        capture, analysis = self.shared.fetch(key)
        if capture is None:
            self._remote.pop(key, None)
            return None
        remote = _remote_row(capture, analysis)
        if remote is None:
            self._remote.pop(key, None)
            return None
        self._remote[key] = remote
        self._remote.move_to_end(key)
        while len(self._remote) > _REMOTE_KEPT:
            self._remote.popitem(last=False)
        return remote

    def _remote_analysis(self, capture: LastCapture) -> dict[str, Any] | None:
        """The shared analysis of ``capture``'s payload, if the shared table has it."""
        if self.shared is None:
            return None
        key = url_key(capture.url)
        remote = self._remote.get(key)
        if remote is None or remote.capture.payload_id != capture.payload_id:
            remote = self._fetch(key)
        if remote is None or remote.capture.payload_id != capture.payload_id:
            return None
        return remote.analysis

    def outlinks(self, capture: LastCapture) -> Outlinks:
        """The links and requisites the stored analysis of ``capture``'s payload lists."""
        key = url_key(capture.url)
        sql = "SELECT links FROM captures WHERE key = ? AND payload_id = ?"
        row = self._row(sql, key, capture.payload_id)
        if row is not None and row[0] is not None:
            return _outlinks_of(json.loads(zlib.decompress(row[0])))
        shared = self._remote_analysis(capture) if row is None else None
        if shared is not None:
            return _outlinks_of(shared)
        metadata = self.coll.analysis(capture.url, capture.payload_id).metadata
        value, requisites = metadata.get("links"), metadata.get("requisites")
        links = []
        for item in value if isinstance(value, list) else []:
            try:
                links.append(Link.from_json(item))
            except (KeyError, TypeError, ValueError):
                continue
        found = Outlinks(links, [str(u) for u in requisites or () if isinstance(u, str)])
        self._links(capture.url, capture.payload_id, found, None, None)
        return found

    def analysed(
        self,
        url: str,
        payload_id: str,
        outlinks: Outlinks,
        text: str | None = None,
        text_at: RecordLocation | None = None,
    ) -> None:
        """The links and requisites and (unless None) the text of the analysis of the
        response ``payload_id`` of ``url``, and where its conversion record was written.
        With a text, the analysis is published to the shared table too."""
        self._links(url, payload_id, outlinks, text, text_at)
        if self.shared is not None and text is not None:
            blob = encode_analysis(payload_id, outlinks, text)
            self.shared.publish(url_key(url), None, blob)

    def _links(
        self,
        url: str,
        payload_id: str,
        outlinks: Outlinks,
        text: str | None,
        text_at: RecordLocation | None,
    ) -> None:
        blob = zlib.compress(json.dumps(_outlinks_json(outlinks)).encode())
        digest = None if text is None else text_hash(text)
        where = None if text_at is None else json.dumps(asdict(text_at))
        sql = (
            "UPDATE captures SET links = ?, text_hash = COALESCE(?, text_hash), text_at = ? "
            "WHERE key = ? AND payload_id = ?"
        )
        self._execute(sql, blob, digest, where, url_key(url), payload_id)

    def text(self, capture: LastCapture) -> str:
        """The text of the analysis of ``capture``'s payload ("" if it has none)."""
        sql = "SELECT text_at FROM captures WHERE key = ? AND payload_id = ?"
        row = self._row(sql, url_key(capture.url), capture.payload_id)
        if row is not None and row[0] is not None:
            with contextlib.suppress(CaptureError):
                entry = IndexEntry(url_key(capture.url), "", json.loads(row[0]))
                return self.coll.conversion(entry)[1]
        shared = self._remote_analysis(capture) if row is None else None
        if shared is not None:
            return str(shared.get("text") or "")
        return self.coll.analysis(capture.url, capture.payload_id).text or ""

    def recorded(self, records: Iterable[ArcWarcRecord]) -> None:
        """Records were written: a 2xx response becomes its URL's last capture, a revisit
        of the row's payload moves the row to it."""
        for record in records:
            if record.rec_type == "response" and record.http_headers is not None:
                self._response(record)
            elif record.rec_type == "revisit":
                self._revisit(record)

    def _response(self, record: ArcWarcRecord) -> None:
        status = _status(record)
        if not 200 <= status < 300:
            return
        url, record_id, date = _identity(record)
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        capture = LastCapture(
            url=url,
            record_id=record_id,
            date=parse_warc_date(date, EPOCH),
            status=status,
            digest=bare_digest(digest),
            etag=record.http_headers.get_header("ETag"),
            last_modified=record.http_headers.get_header("Last-Modified"),
            text_hash=None,
            payload_id=record_id,
            payload_date=date,
        )
        key = url_key(url)
        self._put(key, capture)
        self._publish(key, capture)

    def _revisit(self, record: ArcWarcRecord) -> None:
        url, record_id, date = _identity(record)
        key = url_key(url)
        row = self._row(f"SELECT {_COLUMNS} FROM captures WHERE key = ?", key)
        base = None if row is None else _capture(row)
        status = _status(record) if record.http_headers is not None else 304
        refers_to = record.rec_headers.get_header("WARC-Refers-To")
        usable = 200 <= status < 300 or status == 304
        remote = None
        if usable and (base is None or base.payload_id != refers_to):
            remote = self._remote.get(key)
            if remote is None or remote.capture.payload_id != refers_to:
                remote = self._fetch(key)
        if remote is not None and remote.capture.payload_id == refers_to:
            # confirms another crawl's capture: shared, not local (its payload is elsewhere)
            if base is not None:
                self._execute("DELETE FROM captures WHERE key = ?", key)
            moved = _moved(remote.capture, record, url, record_id, date, status)
            self._remote[key] = remote._replace(capture=moved)
            self._publish(key, moved)
            return
        if base is None or base.payload_id != refers_to or not usable:
            self._execute("DELETE FROM captures WHERE key = ?", key)
            return
        moved = _moved(base, record, url, record_id, date, status)
        self._execute(f"UPDATE captures SET {_ASSIGNMENTS} WHERE key = ?", *_values(moved), key)
        self._publish(key, moved)
        if self.shared is not None and key in self._unshared:
            # a capture the shared table never had: its analysis goes with it, once
            self._unshared.discard(key)
            analysis = encode_analysis(moved.payload_id, self.outlinks(moved), self.text(moved))
            self.shared.publish(key, None, analysis)

    def _publish(self, key: str, capture: LastCapture) -> None:
        if self.shared is not None:
            self.shared.publish(key, encode_capture(capture), None)

    def _put(self, key: str, capture: LastCapture) -> None:
        sql = f"INSERT OR REPLACE INTO captures (key, {_COLUMNS}) VALUES ({_PLACES})"
        self._execute(sql, key, *_values(capture))

    def seal(self) -> None:
        """The index now holds every capture the rows were written from: trust them."""
        self._execute("INSERT OR REPLACE INTO seal VALUES (0, ?)", _index_state(self.coll))
        self.close()

    def close(self) -> None:
        if self.shared is not None:
            self.shared.flush()
        if self.db is not None:
            try:
                self.db.commit()
                self.db.close()
            except sqlite3.Error as exc:
                self._give_up(exc)
            self.db = None

    def _row(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        if self.db is not None:
            try:
                return self.db.execute(sql, args).fetchone()
            except sqlite3.Error as exc:
                self._give_up(exc)
        return None

    def _execute(self, sql: str, *args: Any) -> None:
        if self.db is not None:
            try:
                self.db.execute(sql, args)
            except sqlite3.Error as exc:
                self._give_up(exc)

    def _give_up(self, exc: Exception) -> None:
        """Left unsealed: the next run starts the table afresh."""
        logger.warning(
            "Last-captures table %s given up (%s): captures are read from the collection",
            self.coll.last_captures_path,
            exc,
        )
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = None


def _connect(path: Any) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")  # a cache, checked by its seal
    for statement in _SCHEMA:
        db.execute(statement)
    return db


def _index_state(coll: Collection) -> str:
    """The index's and every archive file's size and modification time."""
    state = []
    for path in (coll.index_path, *coll.files()):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        state.append([str(path), stat.st_size, stat.st_mtime_ns])
    return json.dumps(state)


def _identity(record: ArcWarcRecord) -> tuple[str, str, str]:
    headers = record.rec_headers
    url = (headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    return url, headers.get_header("WARC-Record-ID") or "", headers.get_header("WARC-Date") or ""


def _status(record: ArcWarcRecord) -> int:
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return 0


def _capture(row: tuple[Any, ...]) -> LastCapture:
    values = dict(zip(_FIELDS, row, strict=True))
    return LastCapture(**{**values, "date": datetime.fromisoformat(values["date"])})


def _values(capture: LastCapture) -> tuple[Any, ...]:
    values = {name: getattr(capture, name) for name in _FIELDS}
    return tuple({**values, "date": capture.date.isoformat()}.values())


def _moved(
    base: LastCapture, record: ArcWarcRecord, url: str, record_id: str, date: str, status: int
) -> LastCapture:
    """``base`` moved to the revisit ``record`` that confirms it."""
    moved = replace(base, url=url, record_id=record_id, date=parse_warc_date(date, EPOCH))
    if status != 304:  # its own status line and headers (the loader's rule)
        headers = record.http_headers
        etag, last_modified = headers.get_header("ETag"), headers.get_header("Last-Modified")
        moved = replace(moved, status=status, etag=etag, last_modified=last_modified)
    return moved


def _outlinks_json(outlinks: Outlinks) -> dict[str, Any]:
    pairs = [[link.url, link.region] for link in outlinks.links]
    return {"links": pairs, "requisites": list(outlinks.requisites)}


def _outlinks_of(document: dict[str, Any]) -> Outlinks:
    links = [Link(url, cast(Region, region), "") for url, region in document["links"]]
    return Outlinks(links, list(document["requisites"]))


# -- the shared table's encoding ----------------------------------------------------------


def encode_capture(capture: LastCapture) -> bytes:
    """A capture as the shared table stores it (compact JSON, field by field)."""
    values = {name: getattr(capture, name) for name in _FIELDS}
    values["date"] = capture.date.isoformat()
    values["text_hash"] = None if capture.text_hash is None else capture.text_hash.hex()
    return json.dumps(list(values.values()), separators=(",", ":")).encode()


def decode_capture(blob: bytes) -> LastCapture:
    """Raises ValueError (or KeyError, TypeError) for a value not made by :func:`encode_capture`."""
    values = dict(zip(_FIELDS, json.loads(blob), strict=True))
    values["date"] = parse_warc_date(values["date"], EPOCH)  # compared with local ones: UTC
    if values["text_hash"] is not None:
        values["text_hash"] = bytes.fromhex(values["text_hash"])
    return LastCapture(**values)


def encode_analysis(payload_id: str, outlinks: Outlinks, text: str) -> bytes:
    """An analysis as the shared table stores it (zlib-compressed JSON): the payload it is
    of, its links and requisites, its clean text and that text's hash."""
    document = {
        "payload_id": payload_id,
        **_outlinks_json(outlinks),
        "text": text,
        "text_hash": text_hash(text).hex(),
    }
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode())


def _remote_row(capture: bytes, analysis: bytes | None) -> _Remote | None:
    try:
        found = decode_capture(capture)
    except (KeyError, TypeError, ValueError):
        logger.warning("A shared last capture could not be read: ignored")
        return None
    document: dict[str, Any] | None = None
    if analysis is not None:
        try:
            document = json.loads(zlib.decompress(analysis))
        except (ValueError, zlib.error):
            document = None
    if document is None or document.get("payload_id") != found.payload_id:
        return _Remote(found, None)  # another capture's analysis (or none): not this one's
    if found.text_hash is None and document.get("text_hash"):
        found = replace(found, text_hash=bytes.fromhex(document["text_hash"]))
    return _Remote(found, document)
