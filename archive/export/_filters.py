"""Which documents to export: a frozen set of rules, checked in a fixed order.

A document is counted under the first rule it fails (``status``, ``mime``, ``since``,
``until``, ``changed-since``, ``domain``, ``url``, ``lang``, ``min-words``), so the summary
says why each one was left out.

``changed-since`` is what an incremental downstream pipeline asks for: captures made at or
after a time whose text is new or changed (the ``change`` kind a recrawl gives each capture:
:mod:`archive.changes`). Captures without a change kind (from before recrawls, or from
other tools) fail it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ._documents import Document

__all__ = ["FILTER_RULES", "NEW_TEXT", "Filters", "LangMode", "parse_time_bound"]

LangMode = Literal["any", "all", "primary"]
FILTER_RULES = (
    "status",
    "mime",
    "since",
    "until",
    "changed-since",
    "domain",
    "url",
    "lang",
    "min-words",
)
#: The change kinds ``changed-since`` keeps: a text not exported before.
NEW_TEXT = ("new", "changed")


def parse_time_bound(value: str, *, end: bool = False) -> datetime:
    """``2024``, ``2024-05``, ``2024-05-01`` or a full ISO time, as aware UTC.

    A date-only ``end`` bound is the end of that period: ``--until 2024-05`` keeps May.
    """
    text = value.strip()
    parts = text.split("-")
    try:
        if re.fullmatch(r"\d{4}", text):
            start = datetime(int(text), 1, 1, tzinfo=UTC)
            return start.replace(year=start.year + 1) - _TICK if end else start
        if re.fullmatch(r"\d{4}-\d{2}", text):
            start = datetime(int(parts[0]), int(parts[1]), 1, tzinfo=UTC)
            if not end:
                return start
            nxt = (start + timedelta(days=32)).replace(day=1)
            return nxt - _TICK
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            start = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return start + timedelta(days=1) - _TICK if end else start
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date or ISO 8601 time: {value!r}") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_TICK = timedelta(microseconds=1)


def _tag_matches(tag: str, wanted: str) -> bool:
    tag, wanted = tag.lower(), wanted.lower()
    return tag == wanted or tag.startswith(wanted + "-")


@dataclass(frozen=True)
class Filters:
    """Rules a document must pass; empty fields switch a rule off."""

    languages: tuple[str, ...] = ()
    lang_mode: LangMode = "any"
    since: datetime | None = None
    until: datetime | None = None
    domains: tuple[str, ...] = ()
    url_regex: str | None = None
    min_words: int = 0
    statuses: tuple[str, ...] = ()  # "200", "2xx"
    mimes: tuple[str, ...] = ()  # "text/html", "text/*"
    changed_since: datetime | None = None

    def __post_init__(self) -> None:
        if self.lang_mode not in ("any", "all", "primary"):
            raise ValueError(f"unknown language mode {self.lang_mode!r}")
        if self.url_regex is not None:
            try:
                re.compile(self.url_regex)
            except re.error as exc:
                raise ValueError(f"bad --url-regex {self.url_regex!r}: {exc}") from None
        for status in self.statuses:
            if not re.fullmatch(r"\d{3}|\dxx", status.lower()):
                raise ValueError(f"bad status {status!r}: use 200 or 2xx")
        if self.since and self.until and self.since > self.until:
            raise ValueError("--since is after --until")
        if self.min_words < 0:
            raise ValueError("--min-words must be >= 0")

    @classmethod
    def build(
        cls,
        *,
        languages: Iterable[str] = (),
        lang_mode: LangMode = "any",
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        domains: Iterable[str] = (),
        url_regex: str | None = None,
        min_words: int = 0,
        statuses: Iterable[str | int] = (),
        mimes: Iterable[str] = (),
        changed_since: str | datetime | None = None,
    ) -> Filters:
        """From user input: comma-separated lists allowed, dates as text."""
        return cls(
            languages=_split(languages),
            lang_mode=lang_mode,
            since=parse_time_bound(since) if isinstance(since, str) else since,
            until=parse_time_bound(until, end=True) if isinstance(until, str) else until,
            domains=tuple(d.lower().lstrip(".") for d in _split(domains)),
            url_regex=url_regex or None,
            min_words=min_words,
            statuses=_split(str(s) for s in statuses),
            mimes=tuple(m.lower() for m in _split(mimes)),
            changed_since=(
                parse_time_bound(changed_since) if isinstance(changed_since, str) else changed_since
            ),
        )

    def rejects(self, doc: Document) -> str | None:
        """The first rule ``doc`` fails, or None if it passes them all."""
        if self.statuses and not self._status_ok(doc.status):
            return "status"
        if self.mimes and not self._mime_ok(doc.mime):
            return "mime"
        if self.since and (doc.timestamp is None or doc.timestamp < self.since):
            return "since"
        if self.until and (doc.timestamp is None or doc.timestamp > self.until):
            return "until"
        if self.changed_since and (
            doc.timestamp is None
            or doc.timestamp < self.changed_since
            or doc.change not in NEW_TEXT
        ):
            return "changed-since"
        if self.domains:
            host = doc.host
            if not any(host == d or host.endswith("." + d) for d in self.domains):
                return "domain"
        if self.url_regex and not re.search(self.url_regex, doc.url):
            return "url"
        if self.languages and not self._lang_ok(doc.languages):
            return "lang"
        if self.min_words and doc.word_count < self.min_words:
            return "min-words"
        return None

    def _status_ok(self, status: int | None) -> bool:
        if status is None:
            return False
        code = str(status)
        return any(s == code or (s.endswith("xx") and code[0] == s[0]) for s in self.statuses)

    def _mime_ok(self, mime: str) -> bool:
        mime = mime.lower()
        return any(m == mime or (m.endswith("/*") and mime.startswith(m[:-1])) for m in self.mimes)

    def _lang_ok(self, tags: list[str]) -> bool:
        if not tags:
            return False
        if self.lang_mode == "primary":
            return any(_tag_matches(tags[0], w) for w in self.languages)
        hits = [any(_tag_matches(t, w) for t in tags) for w in self.languages]
        return all(hits) if self.lang_mode == "all" else any(hits)


def _split(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in str(value).split(",") if v.strip())
