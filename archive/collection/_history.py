"""The runs of a collection, one JSON line each: when, how it ended, what it found.

Every run that writes to a collection (a crawl, a scheduled job) appends one line when it
ends, and a run that could not start (the collection was held) appends a ``skipped`` line.
A line cut short by a crash is ignored when read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

__all__ = ["Outcome", "Run", "append_run", "read_runs", "stamp"]

#: ``enqueued``: the run put its start requests into a shared crawl (``counts["enqueued"]``
#: of them new there) and fetched nothing itself; the cluster's workers crawl them
Outcome = Literal["finished", "interrupted", "failed", "skipped", "enqueued"]


@dataclass(frozen=True)
class Run:
    """One run: ``started``/``finished`` in UTC, ``counts`` keyed by change kind."""

    started: datetime
    finished: datetime
    outcome: Outcome
    counts: Mapping[str, int] = field(default_factory=dict)
    failures: int = 0
    bytes: int = 0
    job: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = stamp(self.started)
        data["finished"] = stamp(self.finished)
        data["counts"] = dict(self.counts)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        return cls(
            started=datetime.fromisoformat(data["started"].replace("Z", "+00:00")),
            finished=datetime.fromisoformat(data["finished"].replace("Z", "+00:00")),
            outcome=data["outcome"],
            counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
            failures=int(data.get("failures") or 0),
            bytes=int(data.get("bytes") or 0),
            job=data.get("job"),
            note=str(data.get("note") or ""),
        )


def stamp(moment: datetime) -> str:
    """``moment`` in UTC, ISO 8601 to the second (as the history stores it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def append_run(path: Path, run: Run) -> None:
    """Add ``run`` to the history file at ``path`` (made if missing), synced to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(run.to_json(), ensure_ascii=False, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_runs(path: Path) -> list[Run]:
    """The runs recorded at ``path``, oldest first; none if there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    runs = []
    for line in text.splitlines():
        try:
            runs.append(Run.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a line cut short by a crash, or not ours
    return runs
