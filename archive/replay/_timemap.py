"""Memento (RFC 7089): timemaps in link format and the headers of a replayed memento."""

from __future__ import annotations

from urllib.parse import quote

from warcio.timeutils import timestamp_to_http_date

from archive.index import IndexEntry

__all__ = ["link_timemap", "memento_headers"]

_SAFE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in '<>"')


def _uri(value: str) -> str:
    """A URI safe inside ``<...>`` of a Link header (ASCII, no angle brackets)."""
    return quote(value, safe=_SAFE)


def link_timemap(base: str, url: str, entries: list[IndexEntry]) -> str:
    """``application/link-format`` timemap of ``url`` (``base``: the app's absolute root)."""
    base = base.rstrip("/")
    lines = [
        f'<{_uri(f"{base}/timemap/link/{url}")}>; rel="self"; type="application/link-format"',
        f'<{_uri(url)}>; rel="original"',
        f'<{_uri(f"{base}/{url}")}>; rel="timegate"',
    ]
    for i, entry in enumerate(entries):
        rel = "memento"
        if i == 0:
            rel = "first memento"
        if i == len(entries) - 1:
            rel = "last memento" if len(entries) > 1 else "first last memento"
        date = timestamp_to_http_date(entry.timestamp)
        lines.append(f'<{_uri(f"{base}/{entry.timestamp}/{url}")}>; rel="{rel}"; datetime="{date}"')
    return ",\n".join(lines) + "\n"


def memento_headers(base: str, url: str, timestamp: str) -> list[tuple[str, str]]:
    base = base.rstrip("/")
    link = ", ".join(
        (
            f'<{_uri(url)}>; rel="original"',
            f'<{_uri(f"{base}/{url}")}>; rel="timegate"',
            f'<{_uri(f"{base}/timemap/link/{url}")}>; rel="timemap"; '
            'type="application/link-format"',
        )
    )
    return [("Memento-Datetime", timestamp_to_http_date(timestamp)), ("Link", link)]
