"""Plain-text output: one UTF-8 file per document under a directory tree named after its
URL and capture time, or every document to stdout."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from ._documents import Document
from ._files import STDOUT, iso

__all__ = ["TextWriter", "text_path"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def text_path(doc: Document) -> Path:
    """``host/path/segments/name.TIMESTAMP.txt``: readable, safe, one file per capture."""
    rest = doc.url.partition("://")[2]
    host_port, _, path = rest.partition("/")
    path, _, query = path.partition("?")
    segments = [_safe(s) for s in path.split("/")]
    if not segments or not segments[-1]:
        segments = [*segments[:-1], "index"] if segments else ["index"]
    segments = [s for s in segments if s] or ["index"]
    name = segments[-1]
    if query:
        name += "_" + hashlib.sha1(query.encode()).hexdigest()[:10]
    stamp = doc.timestamp.strftime("%Y%m%d%H%M%S") if doc.timestamp else "00000000000000"
    return Path(_safe(host_port) or "_", *segments[:-1], f"{name}.{stamp}.txt")


def _safe(segment: str) -> str:
    cleaned = _UNSAFE.sub("_", segment).strip("._")
    if len(cleaned) > 120:
        cleaned = cleaned[:100] + "_" + hashlib.sha1(segment.encode()).hexdigest()[:10]
    return cleaned


class TextWriter:
    """One UTF-8 file per document under a directory (title, blank line, text), or to
    stdout with a ``==> URL TIMESTAMP <==`` line before each document."""

    def __init__(self, out: str) -> None:
        self.stdout = out == STDOUT
        self.root = Path(out)
        if not self.stdout:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".warcloom-write-test"
            probe.write_bytes(b"")
            probe.unlink()

    def write(self, doc: Document) -> None:
        body = f"{doc.title}\n\n{doc.text}\n"
        if self.stdout:
            sys.stdout.write(f"==> {doc.url} {iso(doc.timestamp)} <==\n{body}\n")
            return
        path = self.root / text_path(doc)
        if path.exists() and path.read_text(encoding="utf-8") != body:
            digest = hashlib.sha1(doc.response_id.encode()).hexdigest()[:8]
            path = path.with_name(f"{path.stem}.{digest}.txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")

    def close(self) -> None:
        if self.stdout:
            sys.stdout.flush()

    def abort(self) -> None:
        pass
