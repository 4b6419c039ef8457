"""Run real crawls in a subprocess and read what they archived back with warcio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from archive.records import parse_warc_fields

FAST = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s",
    "WARCLOOM_WORKERS=2",
]


def demo_collection(out: Path) -> Path:
    """Crawl the bundled sample site into ``out`` (``warcloom demo``); its collection dir."""
    subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out / "collections" / "default"


def warcloom(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run ``warcloom ARGS`` in a fresh interpreter; returns its output, raises on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise AssertionError(
            f"warcloom {' '.join(args)} exited {result.returncode}\n{result.stdout}\n"
            f"{result.stderr[-4000:]}"
        )
    return result.stdout + result.stderr


@dataclass
class Record:
    type: str
    url: str
    headers: dict[str, str]
    http_status: int | None
    status_line: str | None
    http_headers: list[tuple[str, str]]
    payload: bytes
    filename: str

    @property
    def id(self) -> str:
        return self.headers["WARC-Record-ID"]


@dataclass
class ArchiveView:
    """Every record of a collection, grouped for assertions."""

    files: list[Path]
    records: list[Record] = field(default_factory=list)

    @classmethod
    def load(cls, archive_dir: Path) -> ArchiveView:
        files = sorted(archive_dir.glob("*.warc.gz"))
        view = cls(files)
        for path in files:
            with open(path, "rb") as fh:
                for rec in ArchiveIterator(fh):
                    http = rec.http_headers
                    view.records.append(
                        Record(
                            type=rec.rec_type,
                            url=rec.rec_headers.get_header("WARC-Target-URI") or "",
                            headers=dict(rec.rec_headers.headers),
                            http_status=int(http.get_statuscode())
                            if http and rec.rec_type == "response"
                            else None,
                            status_line=f"{http.protocol} {http.statusline}"
                            if http and rec.rec_type == "response"
                            else None,
                            http_headers=list(http.headers) if http else [],
                            payload=rec.raw_stream.read(),
                            filename=path.name,
                        )
                    )
        return view

    def of_type(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.type == kind]

    def responses_by_url(self) -> dict[str, list[Record]]:
        grouped: dict[str, list[Record]] = defaultdict(list)
        for rec in self.of_type("response"):
            grouped[rec.url].append(rec)
        return grouped

    def by_id(self) -> dict[str, Record]:
        return {r.id: r for r in self.records}

    def referring(self, kind: str) -> dict[str, Record]:
        """Records of ``kind`` keyed by the record id they refer to."""
        return {
            r.headers["WARC-Refers-To"]: r
            for r in self.of_type(kind)
            if "WARC-Refers-To" in r.headers
        }

    def metadata_fields(self, response: Record) -> dict[str, Any]:
        return parse_warc_fields(self.referring("metadata")[response.id].payload)

    def text(self, response: Record) -> str:
        return self.referring("conversion")[response.id].payload.decode("utf-8")


def load_stats(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
