"""What an export reports: a progress bar over the input bytes while the scan runs, and
the :class:`ExportSummary` (counts, errors, timing) after, as JSON or as text."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from archive.reader import ReadError

from ._filters import FILTER_RULES
from ._scan import ScanResult

__all__ = ["ExportSummary", "Progress"]


@dataclass
class ExportSummary:
    files: int = 0
    tasks: int = 0
    records_read: int = 0
    bytes_read: int = 0
    documents: int = 0
    extracted: int = 0
    no_text: int = 0
    unanalysed: int = 0  # HTML pages whose analysis records are missing (cut off, unwritten)
    filtered: Counter[str] = field(default_factory=Counter)
    superseded: int = 0
    repeated_versions: int = 0  # all captures: ``unchanged-text`` captures left out
    duplicates: int = 0
    exported: int = 0
    links: int = 0
    errors: list[ReadError] = field(default_factory=list)
    # files whose index did not fit them: read in full from the offset given
    index_mismatches: list[ReadError] = field(default_factory=list)
    seconds: float = 0.0
    dedup: str = "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "tasks": self.tasks,
            "records_read": self.records_read,
            "bytes_read": self.bytes_read,
            "documents": self.documents,
            "extracted_on_the_fly": self.extracted,
            "no_text": self.no_text,
            "unanalysed": self.unanalysed,
            "filtered": {rule: self.filtered.get(rule, 0) for rule in FILTER_RULES},
            "older_captures": self.superseded,
            "repeated_versions": self.repeated_versions,
            "duplicates": self.duplicates,
            "dedup": self.dedup,
            "exported": self.exported,
            "links": self.links,
            "errors": _errors_json(self.errors),
            "index_mismatches": _errors_json(self.index_mismatches),
            "seconds": round(self.seconds, 3),
        }

    def format(self) -> str:
        rate = self.bytes_read / 1e6 / self.seconds if self.seconds else 0.0
        filtered = ", ".join(f"{r}: {n}" for r, n in sorted(self.filtered.items()) if n)
        lines = [
            f"read: {self.files} file(s), {self.records_read} records, "
            f"{self.bytes_read / 1e6:.1f} MB in {self.seconds:.1f} s ({rate:.1f} MB/s)",
            f"documents: {self.documents} ({self.extracted} extracted on the fly), "
            f"without text: {self.no_text}",
            f"HTML pages without their analysis records (cut off or never written), not "
            f"exported: {self.unanalysed}",
            f"filtered: {sum(self.filtered.values())}" + (f" ({filtered})" if filtered else ""),
            f"older captures of the same URL: {self.superseded}",
            *(
                [f"captures repeating the text before them: {self.repeated_versions}"]
                if self.repeated_versions
                else []
            ),
            f"duplicates removed ({self.dedup}): {self.duplicates}",
            f"exported: {self.exported}" + (f", links: {self.links}" if self.links else ""),
            f"errors: {len(self.errors)}",
        ]
        lines.extend(f"  {e.path}: offset {e.offset}: {e.message}" for e in self.errors[:50])
        if len(self.errors) > 50:
            lines.append(f"  ... and {len(self.errors) - 50} more")
        if self.index_mismatches:
            lines.append(
                f"files not as their index says (read in full): {len(self.index_mismatches)}"
            )
            lines.extend(
                f"  {e.path}: offset {e.offset}: {e.message}" for e in self.index_mismatches[:50]
            )
        return "\n".join(lines)


def _errors_json(errors: list[ReadError]) -> list[dict[str, Any]]:
    return [{"file": e.path, "offset": e.offset, "message": e.message} for e in errors]


class Progress:
    """A tqdm bar over the input bytes (records in its postfix), on a terminal only."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.bar = None
        self.records = 0
        if enabled is False or (enabled is None and not sys.stderr.isatty()):
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            desc="export",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def done(self, result: ScanResult) -> None:
        self.records += result.records
        if self.bar is not None:
            self.bar.set_postfix(records=self.records, refresh=False)
            self.bar.update(result.bytes_read)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
