"""Index lines from WARC/ARC files, with metadata and conversion records joined in."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from warcio.timeutils import iso_date_to_timestamp

from archive.analysis import WARC_FIELDS, Newest, analysis_target, language_codes, parse_warc_date
from archive.index._entry import url_key
from archive.reader import ReadError, RecordRef, iter_records
from archive.records import parse_warc_fields

logger = logging.getLogger(__name__)

_INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
_POST_METHODS = ("POST", "PUT")
_MAX_REQUEST_BODY = 1 << 16


def _joined_fields(meta: dict[str, Any] | None, conv_codes: str | None) -> dict[str, str]:
    """Index fields from a response's newest metadata fields and conversion languages."""
    out: dict[str, str] = {}
    meta = meta or {}
    charset = meta.get("charset")
    if isinstance(charset, str) and charset:
        out["charset"] = charset
    languages = ",".join(language_codes(meta.get("languages")))
    if not languages and conv_codes:
        languages = conv_codes
    if languages:
        out["languages"] = languages
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        out["title"] = " ".join(title.split())
    return out


@dataclass
class _Pending:
    """Lines of one indexing run before the join; entries keep the response record ID."""

    entries: list[tuple[str | None, str, str, dict[str, str]]] = field(default_factory=list)
    joined: Newest[Any] = field(default_factory=Newest)
    response_ids: set[str] = field(default_factory=set)
    seq: int = 0

    def lines(self) -> list[str]:
        out = set()
        for rid, key, ts, data in self.entries:
            extra = (
                _joined_fields(self.joined.get(rid, "metadata"), self.joined.get(rid, "conversion"))
                if rid is not None
                else {}
            )
            key = data.get("_urlkey", key)
            public = {k: v for k, v in data.items() if not k.startswith("_")}
            out.add(f"{key} {ts} {json.dumps({**public, **extra}, ensure_ascii=False)}")
        return sorted(out)  # str order by code point == UTF-8 byte order

    def referred_ids(self) -> set[str]:
        return self.joined.response_ids()


def index_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str] | None = None,
    errors: list[ReadError] | None = None,
) -> list[str]:
    """Index ``paths`` together; return sorted CDXJ lines (without newlines).

    ``filename`` in each line is relative to ``root`` (the collection's ``archive/``
    directory), or the file's base name without a root. Unreadable parts of files are
    skipped and reported in ``errors``.
    """
    return _index(paths, root, errors).lines()


def _index(
    paths: Iterable[str | os.PathLike[str]],
    root: str | os.PathLike[str] | None,
    errors: list[ReadError] | None,
) -> _Pending:
    pending = _Pending()
    for path in paths:
        _index_file(os.fspath(path), _rel_name(path, root), pending, errors)
    return pending


def _rel_name(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    path = os.fspath(path)
    if root is None:
        return os.path.basename(path)
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel.startswith(os.pardir):
        raise ValueError(f"{path} is not under {root}")
    return rel.replace(os.sep, "/")


def _index_file(path: str, filename: str, pending: _Pending, errors: list[ReadError] | None):
    prev: _Seen | None = None
    for ref in iter_records(path, errors=errors):
        pending.seq += 1
        entry: dict[str, str] | None = None
        _collect_referring(ref, pending)

        if _is_indexed(ref):
            if not ref.addressable:
                _skip(
                    ref,
                    errors,
                    "record cannot be read by offset (its gzip member is shared with other "
                    "records or cut off): not indexed; a file gzipped as a whole can be "
                    "fixed with warcio recompress",
                )
            else:
                entry = _index_entry(ref, filename, pending, errors)

        seen = _Seen.of(ref, entry)
        _join_request(prev, seen)
        prev = seen


def _is_indexed(ref: RecordRef) -> bool:
    rec = ref.record
    if rec.rec_type not in _INDEXED_TYPES:
        return False
    if rec.rec_type in ("resource", "metadata"):
        ctype = (ref.header("Content-Type") or "").split(";")[0].strip().lower()
        return ctype != WARC_FIELDS
    return True


def _index_entry(
    ref: RecordRef, filename: str, pending: _Pending, errors: list[ReadError] | None
) -> dict[str, str] | None:
    rec = ref.record
    url = ref.header("WARC-Target-URI") or ""
    for bad, repl in (("\r", "%0D"), ("\n", "%0A"), ("\x0c", "%0C"), ("\x00", "%00")):
        url = url.replace(bad, repl)
    if not url:
        _skip(ref, errors, f"{rec.rec_type} record without WARC-Target-URI: not indexed")
        return None
    try:
        timestamp = iso_date_to_timestamp(ref.header("WARC-Date") or "")
    except Exception:
        _skip(ref, errors, f"invalid WARC-Date {ref.header('WARC-Date')!r}: not indexed")
        return None

    data: dict[str, str] = {"url": url}
    if rec.rec_type == "revisit":
        data["mime"] = "warc/revisit"
    else:
        if rec.rec_type == "response" and rec.http_headers:
            ctype = rec.http_headers.get_header("Content-Type")
        else:
            ctype = ref.header("Content-Type")
        data["mime"] = _mime(ctype)
    detected = ref.header("WARC-Identified-Payload-Type")
    if detected:
        data["mime-detected"] = detected
    if rec.rec_type == "response" and rec.http_headers:
        status = rec.http_headers.get_statuscode()
        if status and status != "-":
            data["status"] = status
    digest = ref.header("WARC-Payload-Digest")
    if not digest and rec.rec_type != "revisit":
        digest = _sha1_b32(rec.raw_stream)
    if digest:
        data["digest"] = digest[5:] if digest.startswith("sha1:") else digest
    data["length"] = str(ref.length)
    data["offset"] = str(ref.offset)
    data["filename"] = filename

    rid = ref.header("WARC-Record-ID")
    if rid and rec.rec_type in ("response", "revisit", "resource"):
        pending.response_ids.add(rid)
    pending.entries.append((rid, url_key(url), timestamp, data))
    return data


def _mime(content_type: str | None) -> str:
    if not content_type:
        return "unk"
    return content_type.replace(";", " ").split()[0].strip() or "unk"


def _sha1_b32(stream: io.IOBase) -> str:
    digest = hashlib.sha1()
    for buf in iter(lambda: stream.read(1 << 16), b""):
        digest.update(buf)
    stream.seek(0)
    return base64.b32encode(digest.digest()).decode("ascii")


def _skip(ref: RecordRef, errors: list[ReadError] | None, message: str) -> None:
    logger.warning("%s: offset %d: %s", ref.path, ref.offset, message)
    if errors is not None:
        errors.append(ReadError(ref.path, ref.offset, message))


def _collect_referring(ref: RecordRef, pending: _Pending) -> None:
    target = analysis_target(ref)
    if target is None:
        return
    kind, response_id = target
    rank = (parse_warc_date(ref.header("WARC-Date")), pending.seq)
    if kind == "metadata":
        pending.joined.offer(response_id, kind, rank, lambda: _read_fields(ref))
    else:
        codes = ref.header("WARC-Identified-Content-Language")
        if codes:
            value = ",".join(c.strip() for c in codes.split(",") if c.strip())
            pending.joined.offer(response_id, kind, rank, lambda: value)


def _read_fields(ref: RecordRef) -> dict[str, Any]:
    block = ref.record.raw_stream.read()
    ref.record.raw_stream.seek(0)
    return parse_warc_fields(block)


@dataclass
class _Seen:
    """What pairing a request with its response needs from a record, kept past its buffer."""

    rec_type: str
    record_id: str | None
    url: str | None
    concurrent_to: list[str]
    entry: dict[str, str] | None = None
    method: str = ""
    content_type: str | None = None
    body: bytes = b""

    @classmethod
    def of(cls, ref: RecordRef, entry: dict[str, str] | None) -> _Seen:
        headers = ref.record.rec_headers.headers
        seen = cls(
            ref.rec_type,
            ref.header("WARC-Record-ID"),
            ref.header("WARC-Target-URI"),
            [v for k, v in headers if k.lower() == "warc-concurrent-to"],
            entry,
        )
        http = ref.record.http_headers
        if ref.rec_type == "request" and http is not None:
            seen.method = (http.protocol or "").upper()
            if seen.method in _POST_METHODS:
                seen.content_type = http.get_header("Content-Type")
                seen.body = ref.record.raw_stream.read(_MAX_REQUEST_BODY)
                ref.record.raw_stream.seek(0)
        return seen

    def linked(self, other: _Seen) -> bool:
        """Either record names the other in a (repeatable) WARC-Concurrent-To."""
        return (other.record_id is not None and other.record_id in self.concurrent_to) or (
            self.record_id is not None and self.record_id in other.concurrent_to
        )


def _join_request(first: _Seen | None, second: _Seen) -> None:
    """Adjacent request + response of one exchange: a POST/PUT body goes into the key."""
    if first is None:
        return
    if first.rec_type == "request" and second.rec_type == "response":
        req, resp = first, second
    elif first.rec_type == "response" and second.rec_type == "request":
        req, resp = second, first
    else:
        return
    entry = resp.entry
    if entry is None or req.method not in _POST_METHODS:
        return
    if req.url != entry["url"] or not first.linked(second):
        return
    from cdxj_indexer.postquery import append_method_query  # ~0.2 s to import: only for POSTs

    query, append = append_method_query(
        req.method, req.content_type, str(len(req.body)), io.BytesIO(req.body), entry["url"]
    )
    entry["method"] = req.method
    if query:
        entry["requestBody"] = query
    entry["_urlkey"] = url_key(entry["url"] + append)


# ---------------------------------------------------------------------------
# writing and updating index files
