"""Index lines from WARC/ARC files, with metadata and conversion records joined in.

Memory stays flat however many records are indexed: a first pass reads the files into
sorted runs on disk (:mod:`archive.index._runs`) grouped by record ID, each response's
analyses ahead of its lines; a second pass joins the newest analyses (:class:`Newest`) to
the lines of each response in turn and sorts the lines the same way; reading merges them.
Of a metadata record only what the index shows (charset, languages, title) is kept.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from warcio.timeutils import iso_date_to_timestamp

from archive.analysis import WARC_FIELDS, Newest, analysis_target, language_codes, parse_warc_date
from archive.index._entry import url_key
from archive.index._runs import SortedRuns
from archive.reader import ReadError, RecordRef, iter_records
from archive.records import parse_warc_fields

logger = logging.getLogger(__name__)

_INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
_POST_METHODS = ("POST", "PUT")
_MAX_REQUEST_BODY = 1 << 16


class _MetadataFields(NamedTuple):
    """What a metadata record gives its response's line ("" for what it does not say)."""

    charset: str
    languages: str  # ISO 639-3 codes, most of the text first, comma-joined
    title: str  # whitespace collapsed

    @classmethod
    def of(cls, meta: dict[str, Any]) -> _MetadataFields:
        charset = meta.get("charset")
        title = meta.get("title")
        return cls(
            charset if isinstance(charset, str) else "",
            ",".join(language_codes(meta.get("languages"))),
            " ".join(title.split()) if isinstance(title, str) else "",
        )


def _joined_fields(meta: _MetadataFields | None, conv_codes: str | None) -> dict[str, str]:
    """Index fields from a response's newest metadata fields and conversion languages."""
    out: dict[str, str] = {}
    charset, languages, title = meta or ("", "", "")
    if charset:
        out["charset"] = charset
    languages = languages or conv_codes or ""
    if languages:
        out["languages"] = languages
    if title:
        out["title"] = title
    return out


@dataclass
class _Entry:
    """An index line before the join: its key may still change (a POST body goes into it)."""

    record_id: str  # "" when the record has none
    key: str
    timestamp: str
    data: dict[str, str]
    is_response: bool  # a response, revisit or resource: what analyses refer to
    seq: int


_ANALYSIS, _LINE = 0, 1  # a response's analyses sort ahead of its lines


class _Build:
    """One indexing run. :meth:`add_entry` and :meth:`add_analysis` take what the files
    hold, :meth:`join` gives each line its response's newest analysis, :meth:`lines` reads
    the lines back sorted. Items wait in sorted runs on disk, in ``directory``."""

    def __init__(self, directory: str) -> None:
        # (record ID, _ANALYSIS, seq, (kind, rank, value)) and (record ID, _LINE, seq, ...)
        self.by_record = SortedRuns(directory)
        self.sorted_lines = SortedRuns(directory)
        self.seq = 0  # records read: the position in the files, for the analyses' rank
        self.orphans = 0  # responses that analyses refer to, not in these files

    def add_entry(self, entry: _Entry) -> None:
        line = f"{entry.key} {entry.timestamp} {json.dumps(entry.data, ensure_ascii=False)}"
        self.by_record.add((entry.record_id, _LINE, entry.seq, (line, entry.is_response)))

    def add_analysis(self, response_id: str, kind: str, rank: tuple[Any, ...], value: Any) -> None:
        self.by_record.add((response_id, _ANALYSIS, self.seq, (kind, rank, value)))

    def join(self) -> None:
        """Each line with the fields of its response's newest analyses, into sorted runs;
        count the orphans."""
        for record_id, items in itertools.groupby(self.by_record, key=itemgetter(0)):
            joined: Newest[Any] = Newest()
            referred = has_response = False
            for _, tag, _, payload in items:
                if tag == _ANALYSIS:
                    kind, rank, value = payload
                    joined.offer(record_id, kind, rank, lambda value=value: value)
                    referred = True
                    continue
                line, is_response = payload
                has_response = has_response or is_response
                if record_id:
                    extra = _joined_fields(
                        joined.get(record_id, "metadata"), joined.get(record_id, "conversion")
                    )
                    if extra:  # into the JSON object the line ends with
                        line = f"{line[:-1]}, {json.dumps(extra, ensure_ascii=False)[1:]}"
                self.sorted_lines.add(line)
            if referred and not has_response:
                self.orphans += 1

    def lines(self) -> Iterator[str]:
        """The joined lines, sorted (str order by code point == UTF-8 byte order), once
        each."""
        return (line for line, _ in itertools.groupby(self.sorted_lines))


def index_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str] | None = None,
    errors: list[ReadError] | None = None,
) -> list[str]:
    """Index ``paths`` together; return sorted CDXJ lines (without newlines).

    ``filename`` in each line is relative to ``root`` (the collection's ``archive/``
    directory), or the file's base name without a root. Unreadable parts of files are
    skipped and reported in ``errors``. :func:`iter_index` gives the same lines without
    holding them all.
    """
    return list(iter_index(paths, root=root, errors=errors))


def iter_index(
    paths: Iterable[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str] | None = None,
    errors: list[ReadError] | None = None,
    tmpdir: str | os.PathLike[str] | None = None,
) -> Iterator[str]:
    """:func:`index_files`, one line at a time, in memory that does not grow with the
    files: what waits is written to a temporary directory in ``tmpdir`` (the system's by
    default), removed when the lines are exhausted or the iterator closed."""
    with _indexed(paths, root, errors, tmpdir) as build:
        yield from build.lines()


@contextlib.contextmanager
def _indexed(
    paths: Iterable[str | os.PathLike[str]],
    root: str | os.PathLike[str] | None,
    errors: list[ReadError] | None,
    tmpdir: str | os.PathLike[str] | None = None,
) -> Iterator[_Build]:
    """Index ``paths`` and join: a :class:`_Build` to read the lines from, while open."""
    with tempfile.TemporaryDirectory(prefix=".index-runs-", dir=tmpdir) as directory:
        build = _Build(directory)
        for path in paths:
            _index_file(os.fspath(path), _rel_name(path, root), build, errors)
        build.join()
        yield build


def _rel_name(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    path = os.fspath(path)
    if root is None:
        return os.path.basename(path)
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel.startswith(os.pardir):
        raise ValueError(f"{path} is not under {root}")
    return rel.replace(os.sep, "/")


def _index_file(path: str, filename: str, build: _Build, errors: list[ReadError] | None):
    prev: _Seen | None = None
    for ref in iter_records(path, errors=errors):
        build.seq += 1
        entry: _Entry | None = None
        _collect_referring(ref, build)

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
                entry = _index_entry(ref, filename, build.seq, errors)

        seen = _Seen.of(ref, entry)
        _join_request(prev, seen)
        if prev is not None and prev.entry is not None:  # done: only its neighbours join it
            build.add_entry(prev.entry)
        prev = seen
    if prev is not None and prev.entry is not None:
        build.add_entry(prev.entry)


def _is_indexed(ref: RecordRef) -> bool:
    rec = ref.record
    if rec.rec_type not in _INDEXED_TYPES:
        return False
    if rec.rec_type in ("resource", "metadata"):
        ctype = (ref.header("Content-Type") or "").split(";")[0].strip().lower()
        return ctype != WARC_FIELDS
    return True


def _index_entry(
    ref: RecordRef, filename: str, seq: int, errors: list[ReadError] | None
) -> _Entry | None:
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

    rid = ref.header("WARC-Record-ID") or ""
    is_response = bool(rid) and rec.rec_type in ("response", "revisit", "resource")
    return _Entry(rid, url_key(url), timestamp, data, is_response, seq)


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


def _collect_referring(ref: RecordRef, build: _Build) -> None:
    target = analysis_target(ref)
    if target is None:
        return
    kind, response_id = target
    rank = (parse_warc_date(ref.header("WARC-Date")), build.seq)
    if kind == "metadata":
        build.add_analysis(response_id, kind, rank, _MetadataFields.of(_read_fields(ref)))
    else:
        codes = ref.header("WARC-Identified-Content-Language")
        if codes:
            value = ",".join(c.strip() for c in codes.split(",") if c.strip())
            build.add_analysis(response_id, kind, rank, value)


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
    entry: _Entry | None = None
    method: str = ""
    content_type: str | None = None
    body: bytes = b""

    @classmethod
    def of(cls, ref: RecordRef, entry: _Entry | None) -> _Seen:
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
    if resp.entry is None or req.method not in _POST_METHODS:
        return
    entry = resp.entry.data
    if req.url != entry["url"] or not first.linked(second):
        return
    from cdxj_indexer.postquery import append_method_query  # ~0.2 s to import: only for POSTs

    query, append = append_method_query(
        req.method, req.content_type, str(len(req.body)), io.BytesIO(req.body), entry["url"]
    )
    entry["method"] = req.method
    if query:
        entry["requestBody"] = query
    resp.entry.key = url_key(entry["url"] + append)


# ---------------------------------------------------------------------------
# writing and updating index files
