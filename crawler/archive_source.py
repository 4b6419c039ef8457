"""Replay into spiders: answer Scrapy's requests from a WARC collection, not the network.

:class:`ArchiveDownloadHandler` is a download handler for ``http`` and ``https`` that looks a
request's URL up in the collection's sorted CDXJ index (binary search) and returns the
stored response: its status, every header (repeated ones kept) and the body as stored,
still content-encoded, so HttpCompression decodes it as it would off the wire. No socket is
opened. A redirect capture replays as a redirect, so the Redirect middleware follows it to
the next archived hop; robots.txt comes from the archive like any other URL. A revisit
record resolves to the capture it repeats. A URL with no capture gets a 404 flagged
``archive-miss``.

:class:`ArchiveSource` does the lookups and knows nothing of Scrapy's engine, so it can be
used and tested on its own. :class:`ArchiveReplayAddon` sets a crawl up to replay.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from cdxj_indexer.postquery import append_method_query
from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import run_in_thread
from warcio.bufferedreaders import ChunkedDataReader
from warcio.timeutils import iso_date_to_timestamp

from archive.index import INDEX_NAME, IndexEntry, lookup
from archive.reader import read_record_at
from crawler.capture import CAPTURE_DATE, RESPONSE_ID, WarcCaptureMiddleware
from crawler.safety import PrivateAddressMiddleware

__all__ = [
    "HANDLER",
    "HIT_FLAG",
    "MISS_FLAG",
    "ArchiveDownloadHandler",
    "ArchiveReplayAddon",
    "ArchiveSource",
    "ReplayOptions",
    "StoredResponse",
    "resolve_collection",
]

logger = logging.getLogger(__name__)

HANDLER = "crawler.archive_source.ArchiveDownloadHandler"
HIT_FLAG = "archive"
MISS_FLAG = "archive-miss"
STAT_HIT = "warcloom/archive/hit"
STAT_MISS = "warcloom/archive/miss"
STAT_REVISIT = "warcloom/archive/revisit"
_TIMESTAMP = re.compile(r"\d{1,14}")
_STATUS_LINE = re.compile(rb"(HTTP/\d(?:\.\d)?)\s+(\d{3})\b")
_POST_METHODS = ("POST", "PUT")


# ---------------------------------------------------------------------------
# settings


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


class ArchiveReplayAddon:
    """Sets a crawl up to replay when ``WARCLOOM_FROM_ARCHIVE`` is set (does nothing otherwise).

    Put it after :class:`crawler.addon.WarcloomAddon` in ``ADDONS``. It installs
    :class:`ArchiveDownloadHandler` for http and https, switches off the private-address
    guard (no host is contacted) and, unless ``WARCLOOM_ARCHIVE_CAPTURE`` is on, the capture
    middleware: the replayed crawl then writes only analysis records (metadata +
    conversion) that refer to the archived responses by record ID. The politeness delays
    go to zero unless they were given on the command line.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("WARCLOOM_FROM_ARCHIVE"):
            return
        ReplayOptions.from_settings(settings)  # a bad path or timestamp stops the crawl here
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update(http=HANDLER, https=HANDLER)
        priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_HANDLERS", handlers, priority)
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", PrivateAddressMiddleware, None
        )
        if not settings.getbool("WARCLOOM_ARCHIVE_CAPTURE"):
            settings.set_in_component_priority_dict(
                "DOWNLOADER_MIDDLEWARES", WarcCaptureMiddleware, None
            )
        quick = {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": settings.getint("CONCURRENT_REQUESTS", 16),
        }
        for name, value in quick.items():
            if (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
                settings.set(name, value, "project")


# ---------------------------------------------------------------------------
# lookups (no Scrapy engine needed)


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
                    return _with_body(stored, b"")
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
        parsed = _split_http(record.block)
        if parsed is None:
            return None
        protocol, status, headers, body = parsed
        if _has_chunked(headers):
            body = _dechunk(body)
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
        headers=_replay_headers(headers, body),
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
    parsed = _split_http(revisit.block)
    if parsed is not None and parsed[1] != 304:
        protocol, status, revisit_headers, _ = parsed
        headers = _replay_headers(revisit_headers, original.body)
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


def _with_body(stored: StoredResponse, body: bytes) -> StoredResponse:
    return StoredResponse(**{**stored.__dict__, "body": body})


def _split_http(block: bytes) -> tuple[str, int, list[tuple[bytes, bytes]], bytes] | None:
    """Status line, header lines (continuations joined) and the rest of an HTTP block."""
    ends = [(i, n) for i, n in ((block.find(b"\r\n\r\n"), 4), (block.find(b"\n\n"), 2)) if i >= 0]
    if ends:
        end, sep = min(ends)
        head, body = block[:end], block[end + sep :]
    else:
        head, body = block, b""
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    match = _STATUS_LINE.match(lines[0].strip())
    if not match:
        return None
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if sep and name.strip():
            headers.append((name.strip(), value.strip()))
    return match.group(1).decode("ascii"), int(match.group(2)), headers, body


def _has_chunked(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in headers
    )


def _dechunk(body: bytes) -> bytes:
    """Remove chunked transfer-encoding; a body that is not really chunked is kept as is."""
    reader = ChunkedDataReader(BytesIO(body))
    parts = []
    while True:
        data = reader.read(1 << 16)
        if not data:
            return b"".join(parts)
        parts.append(data)


def _replay_headers(
    headers: Iterable[tuple[bytes, bytes]], body: bytes
) -> list[tuple[bytes, bytes]]:
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in (b"transfer-encoding", b"content-length")
    ]
    kept.append((b"Content-Length", str(len(body)).encode("ascii")))
    return kept


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


# ---------------------------------------------------------------------------
# the Scrapy download handler


class ArchiveDownloadHandler(BaseDownloadHandler):
    """Answers http(s) requests from ``WARCLOOM_FROM_ARCHIVE``; see :class:`ArchiveReplayAddon`."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        options = ReplayOptions.from_settings(crawler.settings)
        self.source = ArchiveSource(options.collection, options.timestamp)
        self.stats = crawler.stats
        logger.info(
            "Replaying from %s%s",
            options.collection,
            f" (captures nearest to {options.timestamp})" if options.timestamp else "",
        )

    async def download_request(self, request: Request) -> Response:
        content_type = request.headers.get(b"Content-Type")
        stored = await run_in_thread(
            self.source.get,
            request.url,
            request.method,
            request.body,
            content_type.decode("latin-1") if content_type else None,
        )
        return self.build_response(request, stored)

    def build_response(self, request: Request, stored: StoredResponse | None) -> Response:
        """The Scrapy response for a lookup result (a 404 ``archive-miss`` for None)."""
        request.meta["download_latency"] = 0.0
        if stored is None:
            self._inc(STAT_MISS)
            logger.debug("Not in the archive: %s", request.url)
            body = f"not in the archive: {request.url}\n".encode()
            headers = Headers({b"Content-Type": b"text/plain; charset=utf-8"})
            return Response(
                url=request.url,
                status=404,
                headers=headers,
                body=body,
                flags=[MISS_FLAG],
                request=request,
                protocol="HTTP/1.1",
            )
        self._inc(STAT_HIT)
        if stored.original_id:
            self._inc(STAT_REVISIT)
        request.meta[RESPONSE_ID] = stored.record_id
        request.meta[CAPTURE_DATE] = stored.date
        headers = Headers()
        for name, value in stored.headers:
            headers.appendlist(name, value)
        flags = [HIT_FLAG, "dataloss"] if stored.truncated else [HIT_FLAG]
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=stored.body)
        return respcls(
            url=request.url,
            status=stored.status,
            headers=headers,
            body=stored.body,
            flags=flags,
            request=request,
            ip_address=_ip(stored.ip_address),
            protocol=stored.protocol,
        )

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None
