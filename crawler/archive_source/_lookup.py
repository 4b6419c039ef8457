"""Lookups in one collection, with no Scrapy engine: the stored response for a URL (newest,
or nearest to a timestamp), a revisit record resolved to the capture it repeats.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from cdxj_indexer.postquery import append_method_query
from warcio.timeutils import iso_date_to_timestamp

from archive.index import INDEX_NAME, IndexEntry, lookup
from archive.reader import read_record_at

from ._http import dechunk, has_chunked, replay_headers, split_http

__all__ = ["ArchiveSource", "StoredResponse"]

logger = logging.getLogger(__name__)

_POST_METHODS = ("POST", "PUT")


@dataclass(frozen=True)
class StoredResponse:
    """An archived HTTP response, ready to replay.

    ``headers`` are the stored ones in order (repeated names kept), less Transfer-Encoding,
    with Content-Length set to the length of ``body``; ``body`` is the entity as stored
    (content-encoding kept, transfer-encoding removed). ``record_id`` and ``date`` are those
    of the record found for the URL (the revisit's own for a revisit); ``original_id`` is the
    record the payload came from when it differs.
    """

    url: str
    status: int
    protocol: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    record_id: str
    date: datetime
    ip_address: str | None = None
    truncated: bool = False
    original_id: str | None = None


@dataclass(frozen=True)
class _Record:
    rec_type: str
    url: str
    record_id: str
    date: datetime
    warc: dict[str, str]
    block: bytes


class ArchiveSource:
    """Finds the stored response for a URL in one collection."""

    def __init__(self, collection: str | Path, timestamp: str | None = None) -> None:
        self.collection = Path(collection)
        self.archive_dir = self.collection / "archive"
        self.index_path = self.collection / "indexes" / INDEX_NAME
        self.timestamp = timestamp
        if not self.index_path.is_file():
            raise ValueError(
                f"{self.collection} has no index {self.index_path}: build it with "
                f"`warcloom index {self.archive_dir} -o {self.index_path}`"
            )

    def get(
        self,
        url: str,
        method: str = "GET",
        body: bytes = b"",
        content_type: str | None = None,
    ) -> StoredResponse | None:
        """The capture of ``url`` (newest, or nearest to the timestamp), or None."""
        method = method.upper()
        key_url = url
        if method in _POST_METHODS:
            _, append = append_method_query(
                method, content_type, str(len(body)), BytesIO(body), url
            )
            key_url = url + append
        for entry in self._candidates(url, key_url, method):
            stored = self._load(entry)
            if stored is not None:
                if method == "HEAD":
                    return dataclasses.replace(stored, body=b"")
                return stored
        return None

    def _candidates(self, url: str, key_url: str, method: str) -> list[IndexEntry]:
        entries = lookup(self.index_path, key_url, self.timestamp)
        if not self.timestamp:
            entries.reverse()  # index order is oldest first: newest first
        if method not in _POST_METHODS:
            entries = [e for e in entries if e.fields.get("method") in (None, "GET", "HEAD")]
        # the URL itself before the others of its SURT key (http/https, www., case)
        return sorted(entries, key=lambda e: e.url != url)

    def _read(self, entry: IndexEntry) -> _Record | None:
        path = self.archive_dir / entry.filename
        try:
            with read_record_at(path, entry.offset, entry.length, parse_http=False) as ref:
                headers = {k: v for k, v in ref.record.rec_headers.headers}
                block = ref.record.raw_stream.read()
                rec_type = ref.rec_type
        except (OSError, ValueError) as exc:
            logger.warning("Cannot read the capture of %s: %s", entry.url, exc)
            return None
        return _Record(
            rec_type=rec_type,
            url=headers.get("WARC-Target-URI", entry.url).strip("<>"),
            record_id=headers.get("WARC-Record-ID", ""),
            date=_parse_warc_date(headers.get("WARC-Date")),
            warc=headers,
            block=block,
        )

    def _load(self, entry: IndexEntry) -> StoredResponse | None:
        record = self._read(entry)
        if record is None:
            return None
        if record.rec_type == "revisit":
            return self._resolve_revisit(record)
        return _stored(record)

    def _resolve_revisit(self, revisit: _Record) -> StoredResponse | None:
        warc = revisit.warc
        digest = _bare_digest(warc.get("WARC-Payload-Digest"))
        refers_to = warc.get("WARC-Refers-To")
        target = (warc.get("WARC-Refers-To-Target-URI") or revisit.url).strip("<>")
        date = warc.get("WARC-Refers-To-Date")
        timestamp = iso_date_to_timestamp(date) if date else None
        for entry in lookup(self.index_path, target, timestamp):
            if entry.fields.get("mime") == "warc/revisit":
                continue
            same_digest = bool(digest) and _bare_digest(entry.fields.get("digest")) == digest
            if not same_digest and not refers_to:
                continue
            original = self._read(entry)
            if original is None or original.rec_type == "revisit":
                continue
            if not same_digest and original.record_id != refers_to:
                continue
            stored = _stored(original)
            if stored is None:
                continue
            return _merge_revisit(revisit, stored)
        logger.warning("Revisit of %s: the original capture is not in the archive", revisit.url)
        return None


def _stored(record: _Record) -> StoredResponse | None:
    if record.rec_type == "response":
        parsed = split_http(record.block)
        if parsed is None:
            return None
        protocol, status, headers, body = parsed
        if has_chunked(headers):
            body = dechunk(body)
    elif record.rec_type == "resource":
        content_type = record.warc.get("Content-Type", "application/octet-stream")
        protocol, status, body = "HTTP/1.1", 200, record.block
        headers = [(b"Content-Type", content_type.encode("latin-1", "replace"))]
    else:
        return None
    return StoredResponse(
        url=record.url,
        status=status,
        protocol=protocol,
        headers=replay_headers(headers, body),
        body=body,
        record_id=record.record_id,
        date=record.date,
        ip_address=record.warc.get("WARC-IP-Address"),
        truncated="WARC-Truncated" in record.warc,
    )


def _merge_revisit(revisit: _Record, original: StoredResponse) -> StoredResponse:
    """Status and headers of the revisit (unless it has none, or says 304), body of the
    original."""
    status, protocol, headers = original.status, original.protocol, original.headers
    parsed = split_http(revisit.block)
    if parsed is not None and parsed[1] != 304:
        protocol, status, revisit_headers, _ = parsed
        headers = replay_headers(revisit_headers, original.body)
    return StoredResponse(
        url=revisit.url,
        status=status,
        protocol=protocol,
        headers=headers,
        body=original.body,
        record_id=revisit.record_id,
        date=revisit.date,
        ip_address=revisit.warc.get("WARC-IP-Address") or original.ip_address,
        truncated=original.truncated,
        original_id=original.record_id,
    )


def _bare_digest(value: str | None) -> str:
    value = (value or "").strip()
    return value[5:] if value.lower().startswith("sha1:") else value


def _parse_warc_date(value: str | None) -> datetime:
    if value:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.fromtimestamp(0, UTC)
