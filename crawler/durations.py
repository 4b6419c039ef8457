"""Durations as people write them: ``30s``, ``15m``, ``6h``, ``7d``, ``2w``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:\d+[smhdw])+")


def parse_duration(text: str) -> timedelta:
    """A duration from ``30s``, ``15m``, ``6h``, ``7d``, ``2w`` or a sum (``1h30m``);
    ``ValueError`` for anything else, zero included."""
    value = text.strip().lower() if isinstance(text, str) else ""
    if not _DURATION.fullmatch(value):
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 6h, 7d or 1h30m")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+)([smhdw])", value))
    if seconds == 0:
        raise ValueError(f"{text!r} is no time at all")
    return timedelta(seconds=seconds)
