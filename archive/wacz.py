"""Package a collection as a WACZ file (Web Archive Collection Zipped, version 1.1.1).

Layout, as the specification gives it and py-wacz validates it::

    archive/<file>.warc.gz      the collection's WARC files, stored (not deflated)
    indexes/index.cdxj          a sorted CDXJ index of them, stored
    pages/pages.jsonl           one line per analysed page: url, ts, title, text, languages
    datapackage.json            every file above with its sha256 hash and size
    datapackage-digest.json     the sha256 hash of datapackage.json

Pages are the responses that warcloom analysed: those a ``conversion`` record, or a
``metadata`` record with the page's analysis (its ``title`` field), refers to. Title and
languages come from the metadata record, the text from the conversion record (the newest of
each, by WARC-Date, as in the CDXJ index). A recrawl's revisits and gone pages have a
metadata record without an analysis (via, status, change, previous capture): they are not
pages (an unchanged page is listed at its original capture). Archive files are flattened
into ``archive/`` by base name, and the index's ``filename`` fields say so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

from .analysis import EPOCH, Newest, analysis_target, language_codes, parse_warc_date
from .collection import Collection
from .index import IndexEntry, index_files
from .reader import ReadError, RecordRef, iter_records, read_record_at
from .records import parse_warc_fields

__all__ = ["WACZ_VERSION", "WaczPage", "WaczResult", "collection_pages", "write_wacz"]

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
_CAPTURE_TYPES = ("response", "revisit", "resource")
_CHUNK = 1 << 20
# where the WACZ specification puts the WARC files and the index inside the package
_WACZ_ARCHIVE = "archive/"
_WACZ_INDEX = "indexes/index.cdxj"


@dataclass(frozen=True)
class WaczPage:
    """One line of ``pages.jsonl``."""

    id: str
    url: str
    ts: str
    title: str = ""
    text: str = ""
    languages: tuple[str, ...] = ()
    language_tags: tuple[str, ...] = ()
    hops: int | None = None

    def to_json(self) -> dict[str, Any]:
        page: dict[str, Any] = {"id": self.id, "url": self.url, "ts": self.ts}
        if self.title:
            page["title"] = self.title
        if self.text:
            page["text"] = self.text
        if self.languages:
            page["languages"] = list(self.languages)
        if self.language_tags:
            page["languageTags"] = list(self.language_tags)
        return page


@dataclass(frozen=True)
class WaczResult:
    path: Path
    files: int
    pages: int
    bytes: int


# ---------------------------------------------------------------------------
# pages


@dataclass
class _Capture:
    url: str
    date: datetime


def collection_pages(
    paths: Sequence[str | os.PathLike[str]], *, errors: list[ReadError] | None = None
) -> list[WaczPage]:
    """The analysed pages of these WARC files, oldest first (two reads: a scan, then the
    conversion records of the pages, one by one)."""
    captures: dict[str, _Capture] = {}
    analyses: Newest[Any] = Newest()
    seq = 0
    for path in paths:
        for ref in iter_records(path, errors=errors):
            seq += 1
            rid = ref.header("WARC-Record-ID") or ""
            if ref.rec_type in _CAPTURE_TYPES and rid:
                url = (ref.header("WARC-Target-URI") or "").strip("<>")
                captures[rid] = _Capture(url, parse_warc_date(ref.header("WARC-Date"), EPOCH))
                continue
            target = analysis_target(ref)
            if target is None:
                continue
            kind, response_id = target
            rank = (parse_warc_date(ref.header("WARC-Date")), seq)
            if kind == "metadata":
                analyses.offer(response_id, kind, rank, lambda r=ref: _pick(_fields(r)))
            elif ref.addressable:
                codes = ref.header("WARC-Identified-Content-Language") or ""
                location = (ref.path, ref.offset, ref.length, codes)
                analyses.offer(response_id, kind, rank, lambda x=location: x)
    pages = [
        _page(rid, capture, analyses)
        for rid, capture in captures.items()
        if _is_page(analyses, rid)
    ]
    pages.sort(key=lambda p: (p.ts, p.url))
    return pages


def _fields(ref: RecordRef) -> dict[str, Any]:
    return parse_warc_fields(ref.record.raw_stream.read())


def _pick(fields: dict[str, Any]) -> dict[str, Any]:
    picked = {k: fields[k] for k in ("title", "languages", "hops-from-seed") if k in fields}
    picked["analysed"] = "title" in fields  # a page's analysis, not a revisit's or a 404's
    return picked


def _is_page(analyses: Newest[Any], rid: str) -> bool:
    if analyses.get(rid, "conversion") is not None:
        return True
    meta = analyses.get(rid, "metadata")
    return meta is not None and bool(meta.get("analysed"))


def _page(rid: str, capture: _Capture, analyses: Newest[Any]) -> WaczPage:
    meta = analyses.get(rid, "metadata") or {}
    title = meta.get("title") if isinstance(meta.get("title"), str) else ""
    text, conv_codes = "", ""
    conv = analyses.get(rid, "conversion")
    if conv is not None:
        path, offset, length, conv_codes = conv
        with read_record_at(path, offset, length) as ref:
            block = ref.record.raw_stream.read().decode("utf-8", "replace")
        head, _, text = block.partition("\n\n")
        title = title or head.strip()
    codes = tuple(language_codes(meta.get("languages")))
    if not codes and conv_codes:
        codes = tuple(c.strip() for c in conv_codes.split(",") if c.strip())
    hops = meta.get("hops-from-seed")
    return WaczPage(
        id=rid.strip("<>").removeprefix("urn:uuid:"),
        url=capture.url,
        ts=capture.date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        title=" ".join(title.split()),
        text=text.strip(),
        languages=codes,
        language_tags=_tags(meta.get("languages")),
        hops=hops if isinstance(hops, int) else None,
    )


def _tags(value: Any) -> tuple[str, ...]:
    """BCP 47 tags of a metadata ``languages`` list, most text first."""
    if not isinstance(value, list):
        return ()
    items = [item for item in value if isinstance(item, dict)]
    items.sort(key=lambda item: -float(item.get("share") or 0.0))
    return tuple(dict.fromkeys(str(i["tag"]) for i in items if i.get("tag")))


# ---------------------------------------------------------------------------
# the package


class _Package:
    """A zip being written, with every entry's sha256 and size recorded as it goes."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(fh, "w", allowZip64=True)
        self.resources: list[dict[str, Any]] = []

    def add(
        self,
        arcname: str,
        chunks: Iterable[bytes],
        *,
        stored: bool,
        size_hint: int = 0,
        date_time: tuple[int, ...] | None = None,
        listed: bool = True,
    ) -> None:
        info = zipfile.ZipInfo(arcname, date_time or datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        digest = hashlib.sha256()
        size = 0
        with self.zip.open(info, "w", force_zip64=size_hint >= zipfile.ZIP64_LIMIT) as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if not listed:  # the manifest and its digest are not resources
            return
        name = re.sub(r"[^-a-z0-9._/]", "-", os.path.basename(arcname).lower())
        self.resources.append(
            {"name": name, "path": arcname, "hash": f"sha256:{digest.hexdigest()}", "bytes": size}
        )

    def add_bytes(self, arcname: str, data: bytes, *, stored: bool, listed: bool = True) -> None:
        self.add(arcname, [data], stored=stored, listed=listed)

    def close(self) -> None:
        self.zip.close()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _flat_index(lines: Iterable[str], names: dict[str, str]) -> list[str]:
    """Index lines with ``filename`` rewritten to the file's name inside ``archive/``."""
    out = []
    for line in lines:
        entry = IndexEntry.from_line(line)
        fields = {**entry.fields, "filename": names.get(entry.filename, entry.filename)}
        out.append(IndexEntry(entry.urlkey, entry.timestamp, fields).to_line())
    return sorted(out)


def write_wacz(
    collection: Collection,
    output: str | os.PathLike[str],
    *,
    title: str | None = None,
    description: str | None = None,
    software: str | None = None,
    errors: list[ReadError] | None = None,
) -> WaczResult:
    """Write the collection's WARC files, index and pages to ``output`` (a new WACZ file,
    written next to it under a temporary name and renamed when complete)."""
    paths = collection.files()
    if not paths:
        raise ValueError(f"{collection.root}: no WARC files in {collection.archive_dir}")
    names: dict[str, str] = {}
    for path in paths:
        rel = collection.relative_name(path)
        if path.name in names.values():
            raise ValueError(f"two archive files are named {path.name}: WACZ keeps one folder")
        names[rel] = path.name

    if software is None:
        software = f"warcloom {version('warcloom')}"
    pages = collection_pages(paths, errors=errors)
    index_lines = _flat_index(index_files(paths, root=collection.archive_dir, errors=errors), names)

    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            package = _Package(fh)
            for path in paths:
                stat = path.stat()
                package.add(
                    _WACZ_ARCHIVE + path.name,
                    _file_chunks(path),
                    stored=True,
                    size_hint=stat.st_size,
                    date_time=datetime.fromtimestamp(stat.st_mtime, UTC).timetuple()[:6],
                )
            package.add(
                _WACZ_INDEX,
                (line.encode("utf-8") + b"\n" for line in index_lines),
                stored=True,
            )
            page_lines = [PAGES_HEADER, *(page.to_json() for page in pages)]
            package.add(
                "pages/pages.jsonl",
                (json.dumps(p, ensure_ascii=False).encode("utf-8") + b"\n" for p in page_lines),
                stored=False,
            )
            datapackage = _datapackage(
                package.resources, pages, title or collection.name, description, software
            )
            package.add_bytes("datapackage.json", datapackage, stored=False, listed=False)
            digest = {
                "path": "datapackage.json",
                "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest(),
            }
            package.add_bytes(
                "datapackage-digest.json",
                json.dumps(digest, indent=2).encode(),
                stored=False,
                listed=False,
            )
            package.close()
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WaczResult(output, len(paths), len(pages), output.stat().st_size)


def _datapackage(
    resources: list[dict[str, Any]],
    pages: Sequence[WaczPage],
    title: str,
    description: str | None,
    software: str,
) -> bytes:
    package: dict[str, Any] = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": software,
        "resources": resources,
    }
    if description:
        package["description"] = description
    seeds = [p for p in pages if p.hops == 0] or list(pages)
    if seeds:
        package["mainPageUrl"] = seeds[0].url
        package["mainPageDate"] = seeds[0].ts
    return json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
