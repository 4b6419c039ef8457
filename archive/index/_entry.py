"""Index lines: their SURT key and the parsed form of one line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ARCHIVE_EXTENSIONS = (".warc", ".warc.gz", ".arc", ".arc.gz")


@dataclass(frozen=True)
class IndexEntry:
    """One parsed CDXJ line."""

    urlkey: str
    timestamp: str
    fields: dict[str, Any]

    @classmethod
    def from_line(cls, line: str | bytes) -> IndexEntry:
        if isinstance(line, bytes):
            line = line.decode("utf-8")
        urlkey, timestamp, data = line.rstrip("\r\n").split(" ", 2)
        return cls(urlkey, timestamp, json.loads(data))

    def to_line(self) -> str:
        return f"{self.urlkey} {self.timestamp} {json.dumps(self.fields, ensure_ascii=False)}"

    @property
    def url(self) -> str:
        return self.fields.get("url", "")

    @property
    def filename(self) -> str:
        return self.fields["filename"]

    @property
    def offset(self) -> int:
        return int(self.fields["offset"])

    @property
    def length(self) -> int:
        return int(self.fields["length"])


def url_key(url: str) -> str:
    """The SURT key pywb sorts and looks captures up by."""
    import surt  # imported on first use: loading it costs ~0.1 s

    try:
        return surt.surt(url)
    except Exception:  # surt rejects some odd URLs: pywb then keys on the URL itself
        return url
