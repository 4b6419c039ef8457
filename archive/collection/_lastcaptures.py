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
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import asdict, fields, replace
from datetime import datetime
from typing import Any, NamedTuple, cast

from warcio.recordloader import ArcWarcRecord

from archive.analysis import EPOCH, parse_warc_date, text_hash
from archive.index import IndexEntry
from archive.index import url_key as _url_key
from archive.links import Link, Region
from archive.writer import RecordLocation

from ._capture import CaptureError
from ._collection import Collection, LastCapture

__all__ = ["LastCaptures", "Outlinks"]

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


class Outlinks(NamedTuple):
    """What the analysis of a page lists: its links, and its requisites (images, CSS...)."""

    links: list[Link]
    requisites: list[str]


class LastCaptures:
    """Per-URL last captures and their links; see the module docstring. Open it only under
    the collection's lock, :meth:`seal` it after the run's files are indexed. A table that
    cannot be read or written is given up for the run (logged): the collection answers."""

    def __init__(self, coll: Collection) -> None:
        self.coll = coll
        self.db: sqlite3.Connection | None = None
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

    def get(self, url: str) -> LastCapture | None:
        """The newest 2xx capture of ``url`` (as :meth:`Collection.last_capture` without
        its text hash)."""
        key = url_key(url)
        row = self._row(f"SELECT {_COLUMNS} FROM captures WHERE key = ?", key)
        if row is not None:
            return _capture(row)
        found = self.coll.last_capture(url, with_text=False)
        if found is not None:
            self._put(key, found)
        return found

    def outlinks(self, capture: LastCapture) -> Outlinks:
        """The links and requisites the stored analysis of ``capture``'s payload lists."""
        key = url_key(capture.url)
        sql = "SELECT links FROM captures WHERE key = ? AND payload_id = ?"
        row = self._row(sql, key, capture.payload_id)
        if row is not None and row[0] is not None:
            return _outlinks_from(row[0])
        metadata = self.coll.analysis(capture.url, capture.payload_id).metadata
        value, requisites = metadata.get("links"), metadata.get("requisites")
        links = []
        for item in value if isinstance(value, list) else []:
            try:
                links.append(Link.from_json(item))
            except (KeyError, TypeError, ValueError):
                continue
        found = Outlinks(links, [str(u) for u in requisites or () if isinstance(u, str)])
        self.analysed(capture.url, capture.payload_id, found)
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
        response ``payload_id`` of ``url``, and where its conversion record was written."""
        pairs = [[link.url, link.region] for link in outlinks.links]
        document = {"links": pairs, "requisites": list(outlinks.requisites)}
        blob = zlib.compress(json.dumps(document).encode())
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
            digest=_bare_digest(digest),
            etag=record.http_headers.get_header("ETag"),
            last_modified=record.http_headers.get_header("Last-Modified"),
            text_hash=None,
            payload_id=record_id,
            payload_date=date,
        )
        self._put(url_key(url), capture)

    def _revisit(self, record: ArcWarcRecord) -> None:
        url, record_id, date = _identity(record)
        key = url_key(url)
        row = self._row(f"SELECT {_COLUMNS} FROM captures WHERE key = ?", key)
        base = None if row is None else _capture(row)
        status = _status(record) if record.http_headers is not None else 304
        refers_to = record.rec_headers.get_header("WARC-Refers-To")
        usable = 200 <= status < 300 or status == 304
        if base is None or base.payload_id != refers_to or not usable:
            self._execute("DELETE FROM captures WHERE key = ?", key)
            return
        moved = replace(base, url=url, record_id=record_id, date=parse_warc_date(date, EPOCH))
        if status != 304:  # its own status line and headers (the loader's rule)
            headers = record.http_headers
            etag, last_modified = headers.get_header("ETag"), headers.get_header("Last-Modified")
            moved = replace(moved, status=status, etag=etag, last_modified=last_modified)
        self._execute(f"UPDATE captures SET {_ASSIGNMENTS} WHERE key = ?", *_values(moved), key)

    def _put(self, key: str, capture: LastCapture) -> None:
        sql = f"INSERT OR REPLACE INTO captures (key, {_COLUMNS}) VALUES ({_PLACES})"
        self._execute(sql, key, *_values(capture))

    def seal(self) -> None:
        """The index now holds every capture the rows were written from: trust them."""
        self._execute("INSERT OR REPLACE INTO seal VALUES (0, ?)", _index_state(self.coll))
        self.close()

    def close(self) -> None:
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


def _bare_digest(value: str | None) -> str:
    value = (value or "").strip()
    return value[5:] if value.lower().startswith("sha1:") else value


def _capture(row: tuple[Any, ...]) -> LastCapture:
    values = dict(zip(_FIELDS, row, strict=True))
    return LastCapture(**{**values, "date": datetime.fromisoformat(values["date"])})


def _values(capture: LastCapture) -> tuple[Any, ...]:
    values = {name: getattr(capture, name) for name in _FIELDS}
    return tuple({**values, "date": capture.date.isoformat()}.values())


def _outlinks_from(blob: bytes) -> Outlinks:
    document = json.loads(zlib.decompress(blob))
    links = [Link(url, cast(Region, region), "") for url, region in document["links"]]
    return Outlinks(links, document["requisites"])
