"""A CDX server query over the sorted index, answering like pywb's ``/cdx`` endpoint.

Parameters (as pywb's CDX server): ``url``; ``matchType`` exact (default), prefix, host or
domain (or a ``*`` at the end of ``url`` for prefix, ``*.`` at its start for domain);
``from`` / ``to`` (timestamp prefixes); ``closest`` (with ``sort=closest``); ``sort=reverse``;
``limit``; ``filter`` (repeatable: ``[!][=|~]field:value``: regex match by default, ``=``
exact, ``~`` substring, ``!`` negates); ``fl`` (fields to keep); ``output`` cdxj (default),
json (one JSON object per line) or link (a Memento link list).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from warcio.timeutils import timestamp_to_sec

from archive.collection import Collection
from archive.index import IndexEntry, url_key

from ._http import ReplayError, one

__all__ = ["CdxQuery", "key_prefix_for", "run_query"]

MAX_LIMIT = 100_000
_MATCH_TYPES = ("exact", "prefix", "host", "domain")


@dataclass(frozen=True)
class _Filter:
    field: str
    value: str
    mode: str  # "regex", "exact", "contains"
    negate: bool

    @classmethod
    def parse(cls, text: str) -> _Filter:
        negate = text.startswith("!")
        text = text[1:] if negate else text
        mode = "regex"
        if text[:1] == "=":
            mode, text = "exact", text[1:]
        elif text[:1] == "~":
            mode, text = "contains", text[1:]
        name, sep, value = text.partition(":")
        if not sep or not name:
            raise ReplayError(400, f"invalid filter {text!r}: expected [!][=|~]field:value")
        if mode == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                raise ReplayError(400, f"invalid filter regex {value!r}: {exc}") from None
        return cls(name, value, mode, negate)

    def __call__(self, entry: IndexEntry) -> bool:
        if self.field == "urlkey":
            have = entry.urlkey
        elif self.field == "timestamp":
            have = entry.timestamp
        else:
            have = str(entry.fields.get(self.field, ""))
        if self.mode == "exact":
            hit = have == self.value
        elif self.mode == "contains":
            hit = self.value in have
        else:
            hit = re.match(self.value, have) is not None
        return hit != self.negate


@dataclass(frozen=True)
class CdxQuery:
    url: str
    match_type: str = "exact"
    start: str = ""
    end: str = ""
    closest: str = ""
    sort: str = ""
    limit: int | None = None
    filters: tuple[_Filter, ...] = ()
    fields: tuple[str, ...] = ()
    output: str = "cdxj"

    @classmethod
    def from_params(cls, params: dict[str, list[str]]) -> CdxQuery:
        get = functools.partial(one, params)
        url = get("url").strip()
        if not url:
            raise ReplayError(400, "the cdx query needs a url parameter")
        match_type = get("matchType", get("matchtype", "exact"))
        if url.endswith("*") and match_type == "exact":
            url, match_type = url[:-1], "prefix"
        if url.startswith("*.") and match_type == "exact":
            url, match_type = url[2:], "domain"
        if match_type not in _MATCH_TYPES:
            raise ReplayError(400, f"invalid matchType {match_type!r}")
        for name in ("from", "to", "closest"):
            value = get(name)
            if value and not (value.isdigit() and len(value) <= 14):
                raise ReplayError(400, f"invalid {name} timestamp {value!r}")
        limit_text = get("limit")
        limit = None
        if limit_text:
            try:
                limit = int(limit_text)
            except ValueError:
                raise ReplayError(400, f"invalid limit {limit_text!r}") from None
            limit = max(0, min(abs(limit), MAX_LIMIT))
        output = get("output", "cdxj")
        if output not in ("cdxj", "json", "link"):
            raise ReplayError(400, f"invalid output {output!r}: cdxj, json or link")
        sort = get("sort")
        if sort not in ("", "closest", "reverse"):
            raise ReplayError(400, f"invalid sort {sort!r}")
        fl = tuple(f for f in get("fl").split(",") if f)
        return cls(
            url=url,
            match_type=match_type,
            start=get("from"),
            end=get("to"),
            closest=get("closest"),
            sort=sort or ("closest" if get("closest") else ""),
            limit=limit,
            filters=tuple(_Filter.parse(f) for f in params.get("filter", [])),
            fields=fl,
            output=output,
        )

    def key_prefix(self) -> str:
        if self.match_type in ("host", "domain"):
            host = url_key(self.url if "://" in self.url else "http://" + self.url)
            host = host.split(")", 1)[0]
            return host + (")" if self.match_type == "host" else "")
        key = url_key(
            self.url if "://" in self.url or self.match_type == "exact" else "http://" + self.url
        )
        if self.match_type == "exact":
            return key + " "
        return key[:-1] if key.endswith("/") and not self.url.endswith("/") else key


def run_query(coll: Collection, query: CdxQuery) -> list[IndexEntry]:
    found: Iterator[IndexEntry] = coll.iter_prefix(query.key_prefix())
    out: list[IndexEntry] = []
    end = (query.end + "99999999999999")[:14] if query.end else ""
    unbounded = query.sort in ("closest", "reverse")
    for entry in found:
        if query.match_type == "domain" and not _in_domain(entry.urlkey, query.key_prefix()):
            continue
        if query.start and entry.timestamp < query.start:
            continue
        if end and entry.timestamp > end:
            continue
        if not all(f(entry) for f in query.filters):
            continue
        out.append(entry)
        if not unbounded and query.limit is not None and len(out) >= query.limit:
            break
        if len(out) >= MAX_LIMIT:
            break
    if query.sort == "closest" and query.closest:
        target = timestamp_to_sec((query.closest + "00000101000000"[len(query.closest) :])[:14])
        out.sort(key=lambda e: abs(timestamp_to_sec(e.timestamp) - target))
    elif query.sort == "reverse":
        out.reverse()
    if query.limit is not None:
        out = out[: query.limit]
    return out


def _in_domain(urlkey: str, prefix: str) -> bool:
    rest = urlkey[len(prefix) :]
    return rest[:1] in (")", ",", ":")


def format_entries(entries: list[IndexEntry], query: CdxQuery) -> tuple[str, str]:
    """(content type, body)."""
    lines = []
    for entry in entries:
        data = {"urlkey": entry.urlkey, "timestamp": entry.timestamp, **entry.fields}
        if query.fields:
            data = {k: data[k] for k in query.fields if k in data}
        if query.output == "json":
            lines.append(json.dumps(data, ensure_ascii=False))
        else:
            rest = {k: v for k, v in data.items() if k not in ("urlkey", "timestamp")}
            head = " ".join(v for v in (data.get("urlkey"), data.get("timestamp")) if v)
            lines.append(f"{head} {json.dumps(rest, ensure_ascii=False)}" if rest else head)
    body = "".join(line + "\n" for line in lines)
    ctype = "application/x-ndjson" if query.output == "json" else "text/x-cdxj"
    return ctype + "; charset=utf-8", body


def key_prefix_for(url_prefix: str) -> str:
    """The SURT prefix that covers URLs starting with ``url_prefix`` (as typed by a user:
    ``example.com``, ``https://example.com/news/``)."""
    text = url_prefix.strip()
    if not text:
        return ""
    if "://" not in text:
        text = "http://" + text
    key = url_key(text)
    host_only = text.split("://", 1)[1].strip("/").count("/") == 0 and "?" not in text
    if host_only and key.endswith(")/"):
        key = key[:-1]  # the whole host
    elif not text.endswith("/") and key.endswith("/") and not host_only:
        key = key[:-1]
    return key
