"""The HTTP head of a stored record: status line and header lines, parsed from its bytes."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["has_chunked", "split_head"]

_STATUS_LINE = re.compile(rb"(HTTP/\d(?:\.\d)?)\s+(\d{3})\b[ \t]*(.*)")


def split_head(head: bytes) -> tuple[str, int, str, list[tuple[str, str]]] | None:
    """Protocol, status, reason and header lines (continuations joined, order and repeated
    names kept, values as latin-1 text) of an HTTP head; None if it has no status line."""
    lines = head.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    match = _STATUS_LINE.match(lines[0].strip())
    if not match:
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name, sep, value = line.partition(b":")
        if sep and name.strip():
            headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    protocol, status, reason = match.groups()
    return protocol.decode("ascii"), int(status), reason.strip().decode("latin-1"), headers


def has_chunked(headers: Iterable[tuple[str, str]]) -> bool:
    return any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in headers
    )
