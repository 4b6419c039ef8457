"""Verify a WARC (or ARC) file: structure, digests, and that it reads to the end.

Beyond what ``warcio check`` does (digests only, and it stops at the first unreadable
record), :func:`check_file` reports every problem with its offset and record ID:

* WARC 1.1 structure: WARC-Record-ID (``<...>``, unique in the file), Content-Length,
  WARC-Date (ISO 8601, UTC) and WARC-Type on every record; Content-Type on every non-empty
  block; WARC-Target-URI on request/response/resource/revisit/conversion records and never on
  warcinfo; WARC-Profile on revisits;
* WARC-Block-Digest over the whole block, WARC-Payload-Digest over the HTTP entity body (or
  over the block, for records without HTTP headers). With ``Transfer-Encoding: chunked`` the
  payload digest is accepted over the de-chunked body (what WARC 1.1 asks for) or over the
  chunked bytes (what warcio writes, warcio issue #74). A revisit's payload digest names the
  original's payload and is not checked. ``sha1``, ``sha256``, ``sha512`` (and the other
  hashlib SHA-2 names, ``md5``), in base32, hex or base64, are understood;
* damage found by :func:`archive.reader.iter_records`: cut-off files, corrupt gzip members,
  short blocks, each with its offset.

:func:`check_files` checks several files, then what no single file can show: that every
revisit's original (the record its WARC-Refers-To names) is among the files checked, as
replay needs it to be.

ARC records are checked for readability only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeadersParser

from .reader import ReadError, RecordRef, iter_records

__all__ = ["CheckError", "FileReport", "check_file", "check_files"]

_MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
_NEEDS_TARGET = ("request", "response", "resource", "revisit", "conversion")
_HTTP_TYPES = ("request", "response", "revisit")
_ID_FIELDS = ("WARC-Refers-To", "WARC-Concurrent-To", "WARC-Warcinfo-ID")
_PAYLOAD_TYPES = ("response", "resource", "revisit")  # records a revisit may refer to
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$")
_ALGORITHMS = {"sha1", "sha224", "sha256", "sha384", "sha512", "md5"}
_CHUNK = 1 << 16


@dataclass(frozen=True)
class CheckError:
    offset: int
    record_id: str | None
    message: str


@dataclass(frozen=True)
class RevisitRef:
    """A revisit record and the record it refers to (its WARC-Refers-To)."""

    offset: int
    record_id: str | None
    url: str
    refers_to: str


@dataclass
class FileReport:
    path: str
    records: int = 0
    errors: list[CheckError] = field(default_factory=list)
    warnings: list[CheckError] = field(default_factory=list)
    # for check_files: the records a revisit may refer to, and the file's revisits
    payload_ids: set[str] = field(default_factory=set, repr=False)
    revisits: list[RevisitRef] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_file(path: str | os.PathLike[str]) -> FileReport:
    """Check one file; never raises for problems in the file (they go into the report)."""
    path = os.fspath(path)
    report = FileReport(path)
    read_errors: list[ReadError] = []
    seen_ids: dict[str, int] = {}
    warned_shared = False

    for ref in iter_records(path, errors=read_errors, parse_http=False):
        report.records += 1
        if not ref.addressable and not warned_shared:
            warned_shared = True
            report.warnings.append(
                CheckError(
                    ref.offset,
                    None,
                    "file is gzipped as a whole, not one member per record: replay tools "
                    "cannot seek into it (warcio recompress fixes that)",
                )
            )
        if ref.format == "arc":
            continue
        problems, notes = _check_record(ref, seen_ids)
        rid = ref.header("WARC-Record-ID")
        _note_revisit_links(ref, rid, report)
        report.errors.extend(CheckError(ref.offset, rid, msg) for msg in problems)
        report.warnings.extend(CheckError(ref.offset, rid, msg) for msg in notes)

    report.errors.extend(CheckError(e.offset, None, e.message) for e in read_errors)
    report.errors.sort(key=lambda e: e.offset)
    return report


def check_files(paths: Iterable[str | os.PathLike[str]]) -> list[FileReport]:
    """Check each file (:func:`check_file`), then every revisit's WARC-Refers-To against
    the records of all of them: a revisit whose original is in none of the files is an
    error of its file."""
    reports = [check_file(path) for path in paths]
    known: set[str] = set()
    for report in reports:
        known |= report.payload_ids
    for report in reports:
        missing = [r for r in report.revisits if r.refers_to not in known]
        report.errors.extend(
            CheckError(
                r.offset,
                r.record_id,
                f"revisit of {r.url} refers to {r.refers_to}, not in the files checked",
            )
            for r in missing
        )
        report.errors.sort(key=lambda e: e.offset)
    return reports


def _note_revisit_links(ref: RecordRef, rid: str | None, report: FileReport) -> None:
    if not rid or ref.rec_type not in _PAYLOAD_TYPES:
        return
    report.payload_ids.add(rid)
    refers_to = (ref.header("WARC-Refers-To") or "").strip()
    if ref.rec_type == "revisit" and refers_to:
        url = (ref.header("WARC-Target-URI") or "").strip().strip("<>")
        report.revisits.append(RevisitRef(ref.offset, rid, url, refers_to))


def _check_record(ref: RecordRef, seen_ids: dict[str, int]) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    headers = ref.record.rec_headers
    rec_type = ref.rec_type

    version = headers.protocol or ""
    if version not in ("WARC/1.0", "WARC/1.1"):
        notes.append(f"WARC version {version or '?'}: only 1.0 and 1.1 are checked fully")

    for name in _MANDATORY:
        if not headers.get_header(name):
            problems.append(f"missing mandatory header {name}")

    rid = headers.get_header("WARC-Record-ID")
    if rid:
        if not (rid.startswith("<") and rid.endswith(">")):
            problems.append(f"WARC-Record-ID not enclosed in <>: {rid}")
        if rid in seen_ids:
            problems.append(f"duplicate WARC-Record-ID (also at offset {seen_ids[rid]})")
        else:
            seen_ids[rid] = ref.offset
    for name in _ID_FIELDS:
        for key, value in headers.headers:
            if key.lower() == name.lower() and not (value.startswith("<") and value.endswith(">")):
                problems.append(f"{name} not enclosed in <>: {value}")

    date = headers.get_header("WARC-Date")
    if date and not _DATE_RE.match(date.strip()):
        problems.append(f"WARC-Date not an ISO 8601 UTC date: {date}")

    length = int(headers.get_header("Content-Length") or 0)
    if length > 0 and not headers.get_header("Content-Type") and rec_type != "continuation":
        problems.append("missing Content-Type on a non-empty block")

    target = headers.get_header("WARC-Target-URI")
    if rec_type == "warcinfo" and target:
        problems.append("WARC-Target-URI on a warcinfo record")
    if rec_type in _NEEDS_TARGET and not target:
        problems.append(f"missing WARC-Target-URI on a {rec_type} record")
    if rec_type == "revisit" and not headers.get_header("WARC-Profile"):
        problems.append("missing WARC-Profile on a revisit record")

    problems.extend(_check_digests(ref))
    return problems, notes


# ---------------------------------------------------------------------------
# digests


def _check_digests(ref: RecordRef) -> list[str]:
    problems: list[str] = []
    headers = ref.record.rec_headers
    block = ref.record.raw_stream  # the whole block: iterated with parse_http=False

    block_digest = headers.get_header("WARC-Block-Digest")
    if block_digest:
        block.seek(0)
        problems.extend(_verify("block", block_digest, [_hash_stream(block, block_digest)]))

    payload_digest = headers.get_header("WARC-Payload-Digest")
    if (
        payload_digest
        and ref.rec_type != "revisit"
        and not headers.get_header("WARC-Segment-Number")
    ):
        block.seek(0)
        candidates, problem = _payload_candidates(ref, block, payload_digest)
        if problem:
            problems.append(problem)
        else:
            problems.extend(_verify("payload", payload_digest, candidates))
    block.seek(0)
    return problems


def _payload_candidates(
    ref: RecordRef, block: IO[bytes], digest: str
) -> tuple[list[bytes | None], str | None]:
    """Digests the payload may have been computed over: body, or de-chunked body too."""
    content_type = (ref.header("Content-Type") or "").lower()
    target = ref.header("WARC-Target-URI") or ""
    is_http = ref.rec_type in _HTTP_TYPES and (
        content_type.startswith("application/http") or target.startswith(("http:", "https:"))
    )
    if not is_http:
        return [_hash_stream(block, digest)], None

    parser = StatusAndHeadersParser([], verify=False)
    try:
        http = parser.parse(block)
    except Exception as exc:
        return [], f"HTTP headers unreadable, payload digest not checked: {exc}"
    start = block.tell()
    candidates = [_hash_stream(block, digest)]
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        block.seek(start)
        try:
            dechunked = ChunkedDataReader(block, raise_exceptions=True)
            candidates.append(_hash_stream(dechunked, digest))
        except Exception:  # not validly chunked: only the stored bytes count
            pass
    return candidates, None


def _split_digest(value: str) -> tuple[str, str]:
    algo, sep, encoded = value.strip().partition(":")
    if not sep:
        raise ValueError(f"digest without an algorithm label: {value}")
    return algo.lower().replace("-", ""), encoded.strip()


def _hash_stream(stream: IO[bytes], digest: str) -> bytes | None:
    try:
        algo, _ = _split_digest(digest)
    except ValueError:
        return None
    if algo not in _ALGORITHMS:
        return None
    hasher = hashlib.new(algo)
    for buf in iter(lambda: stream.read(_CHUNK), b""):
        hasher.update(buf)
    return hasher.digest()


def _verify(kind: str, declared: str, candidates: list[bytes | None]) -> list[str]:
    try:
        algo, encoded = _split_digest(declared)
    except ValueError as exc:
        return [f"{kind} digest unreadable: {exc}"]
    if algo not in _ALGORITHMS:
        return [f"{kind} digest uses an unsupported algorithm: {declared}"]
    if any(c is not None and _matches(encoded, c) for c in candidates):
        return []
    return [f"{kind} digest mismatch: {declared}"]


def _matches(encoded: str, digest: bytes) -> bool:
    """``encoded`` is ``digest`` in base32, hex or base64 (padding optional)."""
    if encoded.lower() == digest.hex():
        return True
    if encoded.upper().rstrip("=") == base64.b32encode(digest).decode().rstrip("="):
        return True
    bare = encoded.rstrip("=")
    return bare in (
        base64.b64encode(digest).decode().rstrip("="),
        base64.urlsafe_b64encode(digest).decode().rstrip("="),
    )
