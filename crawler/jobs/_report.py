"""How runs are said on a terminal: one line each, for ``history``, ``jobs`` and ``schedule``."""

from __future__ import annotations

from collections.abc import Mapping

from archive.changes import CHANGE_KINDS
from archive.collection import Run, stamp

__all__ = ["format_counts", "format_history_line", "format_result", "stamp"]


def format_counts(counts: Mapping[str, int]) -> str:
    """``new 12, changed 3``: the change kinds in their usual order, then any others."""
    kinds = [k for k in CHANGE_KINDS if k in counts] + sorted(set(counts) - set(CHANGE_KINDS))
    return ", ".join(f"{kind} {counts[kind]}" for kind in kinds) or "no counts"


def format_result(run: Run) -> str:
    """How a run ended, for the line printed when it ends."""
    if run.outcome == "skipped":
        return f"skipped: {run.note}"
    seconds = (run.finished - run.started).total_seconds()
    text = (
        f"{run.outcome} in {seconds:.0f}s: {format_counts(run.counts)}; "
        f"{run.failures} failure(s), {run.bytes:,} bytes written"
    )
    return f"{text} ({run.note})" if run.note else text


def format_history_line(run: Run) -> str:
    """One run of ``warcloom history``: start, end, outcome, counts, failures, bytes."""
    parts = [
        stamp(run.started),
        stamp(run.finished),
        f"{run.outcome:<11}",
        format_counts(run.counts),
        f"failures {run.failures}",
        f"{run.bytes:,} bytes",
    ]
    if run.job:
        parts.append(f"job {run.job}")
    if run.note:
        parts.append(run.note)
    return "  ".join(parts)
