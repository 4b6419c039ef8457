"""The HTTP block of a stored ``response`` record: status line and headers parsed (repeated
names and order kept), chunked transfer-encoding removed, headers made fit to replay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from io import BytesIO

from warcio.bufferedreaders import ChunkedDataReader

__all__ = ["dechunk", "has_chunked", "replay_headers", "split_http"]

_STATUS_LINE = re.compile(rb"(HTTP/\d(?:\.\d)?)\s+(\d{3})\b")


def split_http(block: bytes) -> tuple[str, int, list[tuple[bytes, bytes]], bytes] | None:
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


def has_chunked(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in headers
    )


def dechunk(body: bytes) -> bytes:
    """Remove chunked transfer-encoding; a body that is not really chunked is kept as is."""
    reader = ChunkedDataReader(BytesIO(body))
    parts = []
    while True:
        data = reader.read(1 << 16)
        if not data:
            return b"".join(parts)
        parts.append(data)


def replay_headers(
    headers: Iterable[tuple[bytes, bytes]], body: bytes
) -> list[tuple[bytes, bytes]]:
    """``headers`` less Transfer-Encoding, with Content-Length set to the length of ``body``."""
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in (b"transfer-encoding", b"content-length")
    ]
    kept.append((b"Content-Length", str(len(body)).encode("ascii")))
    return kept
