"""What changed between two captures of a page: its bytes, or its article.

A recrawl gives every capture one change kind:

``new``             the URL was never captured with a 2xx answer
``changed``         the clean text differs (paragraphs added, removed and edited)
``unchanged-text``  the bytes differ but the text is the same after normalisation
                    (:func:`archive.analysis.text_hash`): ads, counters, boilerplate
``not-modified``    the server answered 304 to a conditional request (a revisit record)
``identical``       the payload digest is the stored capture's (a revisit record)
``gone``            404 or 410 where the previous capture was 2xx

Paragraphs are compared as lines of the clean text: a paragraph replaced by one that is
at least half the same (difflib's ratio) counts as edited, otherwise as removed + added.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal, get_args

from archive.analysis import text_hash

__all__ = ["CHANGE_KINDS", "Change", "ChangeKind", "compare_texts"]

ChangeKind = Literal["new", "changed", "unchanged-text", "not-modified", "identical", "gone"]
CHANGE_KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)
_EDITED = 0.5  # similarity from which a replaced paragraph counts as edited
_MAX_PAIRS = 400  # a larger replaced run is counted by size, not paired paragraph by paragraph


@dataclass(frozen=True)
class Change:
    """A capture's change kind, with paragraph counts for ``changed``."""

    kind: ChangeKind
    added: int = 0
    removed: int = 0
    edited: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind == "changed":
            data.update(added=self.added, removed=self.removed, edited=self.edited)
        return data


def compare_texts(old: str, new: str) -> Change:
    """``changed`` (with counts) or ``unchanged-text``: the clean texts of two captures."""
    if text_hash(old) == text_hash(new):
        return Change("unchanged-text")
    before, after = _paragraphs(old), _paragraphs(new)
    added = removed = edited = 0
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert":
            added += j2 - j1
        elif tag == "delete":
            removed += i2 - i1
        elif tag == "replace":
            e, a, r = _pair_up(before[i1:i2], after[j1:j2])
            edited, added, removed = edited + e, added + a, removed + r
    if not (added or removed or edited):  # differences only in how paragraphs are cut
        edited = 1
    return Change("changed", added=added, removed=removed, edited=edited)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _pair_up(old: list[str], new: list[str]) -> tuple[int, int, int]:
    """(edited, added, removed) for a run of paragraphs replaced by another: each old one
    pairs with the most similar new one left, if they are at least half the same."""
    if len(old) * len(new) > _MAX_PAIRS:
        edited = min(len(old), len(new))
        return edited, len(new) - edited, len(old) - edited
    left = list(new)
    edited = 0
    for paragraph in old:
        scores = [difflib.SequenceMatcher(a=paragraph, b=cand).ratio() for cand in left]
        if scores and max(scores) >= _EDITED:
            left.pop(scores.index(max(scores)))
            edited += 1
    return edited, len(left), len(old) - edited
