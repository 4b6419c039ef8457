"""The archive's own HTML pages: plain strings, every value escaped with ``html.escape``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

from warcio.timeutils import timestamp_to_iso_date

from archive.index import IndexEntry
from archive.languages import bcp47

__all__ = ["Version", "change_kind", "diff_page", "error_page", "home_page", "reader_page"]

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;
text-align:left;vertical-align:top}th{background:#f4f4f4}code,.url{word-break:break-all}
.muted{color:#777}.lang{background:#eef;border-radius:3px;padding:0 .3rem;margin-right:.2rem}
article{white-space:pre-wrap;max-width:46rem}form{margin:.5rem 0}
table.diff{font:13px monospace}.diff_add{background:#dfd}.diff_chg{background:#ffd}
.diff_sub{background:#fdd}
"""

_ROLE_ORDER = ("related", "body", "navigation", "other")
_ROLE_TITLES = {
    "related": "Related reading",
    "body": "Links in the text",
    "navigation": "Navigation",
    "other": "Other links",
}


def e(value: Any) -> str:
    return escape(str(value), quote=True)


def when(timestamp: str) -> str:
    try:
        return timestamp_to_iso_date(timestamp).replace("T", " ").replace("Z", " UTC")
    except Exception:
        return timestamp


def page(prefix: str, title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='robots' content='noindex'><title>{e(title)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<p class='muted'><a href='{e(prefix)}/'>warcloom archive</a></p>{body}</body></html>"
    )


def error_page(prefix: str, status: int, title: str, reason: str, extra: str = "") -> str:
    body = f"<h1>{status} {e(title)}</h1><p>{e(reason)}</p>{extra}"
    return page(prefix, f"{status} {title}", body)


def not_archived_page(prefix: str, url: str, timestamp: str) -> str:
    search = f"{prefix}/?{urlencode({'prefix': url.split('?')[0]})}"
    extra = (
        f"<p class='url'><code>{e(url)}</code></p>"
        "<p>This archive has no capture of this URL (requested at "
        f"{e(when(timestamp) if timestamp else 'any time')}). "
        "Nothing was fetched from the live web.</p>"
        f"<p><a href='{e(search)}'>Search captures with this URL prefix</a></p>"
    )
    return error_page(prefix, 404, "Not in this archive", "", extra)


def home_page(
    prefix: str,
    rows: Sequence[IndexEntry],
    url_prefix: str,
    lang: str,
    show_all: bool,
    next_cursor: str | None,
    scanned_out: bool,
) -> str:
    form = (
        f"<form method='get' action='{e(prefix)}/'>"
        f"URL prefix <input name='prefix' size='50' value='{e(url_prefix)}'> "
        f"language <input name='lang' size='8' placeholder='en, zh-Hant' value='{e(lang)}'> "
        f"<label><input type='checkbox' name='all' value='1'{' checked' if show_all else ''}>"
        " all captures (not only pages)</label> <button>Search</button></form>"
    )
    trs = []
    for entry in rows:
        f = entry.fields
        langs = "".join(
            f"<span class='lang' title='{e(code)}'>{e(bcp47(code))}</span>"
            for code in _codes(f.get("languages", ""))
        )
        replay = f"{prefix}/{entry.timestamp}/{entry.url}"
        reader = f"{prefix}/reader/{entry.timestamp}/{entry.url}"
        status = f.get("status", "")
        trs.append(
            f"<tr><td class='url'><a href='{e(replay)}'>{e(entry.url)}</a></td>"
            f"<td>{e(f.get('title', ''))}</td><td>{langs}</td>"
            f"<td>{e(when(entry.timestamp))}</td><td>{e(status)} {e(f.get('mime', ''))}</td>"
            f"<td><a href='{e(reader)}'>reader</a></td></tr>"
        )
    table = (
        "<table><tr><th>URL</th><th>Title</th><th>Languages</th><th>Captured</th>"
        "<th>Status</th><th></th></tr>" + "".join(trs) + "</table>"
        if trs
        else "<p>No captures match.</p>"
    )
    more = ""
    if next_cursor:
        params = {"prefix": url_prefix, "lang": lang, "cursor": next_cursor}
        if show_all:
            params["all"] = "1"
        label = "continue searching" if scanned_out and not rows else "next page"
        more = f"<p><a href='{e(prefix)}/?{e(urlencode(params))}'>{label} →</a></p>"
    return page(prefix, "warcloom archive", f"<h1>Captured pages</h1>{form}{table}{more}")


def _codes(value: Any) -> list[str]:
    return [c for c in str(value or "").split(",") if c]


@dataclass
class Version:
    """A capture of the page, with its metadata record's ``change`` (None: it has none)."""

    entry: IndexEntry
    change: Any = None


def change_kind(change: Any) -> str:
    """The kind of a metadata record's ``change`` value ("" when there is none)."""
    kind = change.get("kind") if isinstance(change, dict) else None
    return kind if isinstance(kind, str) else ""


def change_label(change: Any) -> str:
    """``changed (1 added, 2 edited)``, ``not-modified``, ...; "" without a change."""
    kind = change_kind(change)
    counts = [
        f"{change[key]} {key}"
        for key in ("added", "removed", "edited")
        if kind == "changed" and isinstance(change.get(key), int) and change[key]
    ]
    return f"{kind} ({', '.join(counts)})" if counts else kind


@dataclass
class ReaderData:
    url: str
    entry: IndexEntry
    meta: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    text: str = ""
    text_source: str = ""  # "conversion record", "extracted now", ""
    notes: list[str] = field(default_factory=list)


def reader_page(
    prefix: str,
    data: ReaderData,
    links: Iterable[tuple[dict[str, Any], str | None]],
    versions: Sequence[Version],
) -> str:
    meta = data.meta
    ts = data.entry.timestamp
    url = data.url
    facts = []
    for label, key in (("Author", "author"), ("Date", "date"), ("Site", "sitename")):
        if meta.get(key):
            facts.append(f"<tr><th>{label}</th><td>{e(meta[key])}</td></tr>")
    facts.append(f"<tr><th>Captured</th><td>{e(when(ts))}</td></tr>")
    if change_kind(meta.get("change")):
        facts.append(f"<tr><th>Change</th><td>{e(change_label(meta['change']))}</td></tr>")
    langs = meta.get("languages")
    if isinstance(langs, list) and langs:
        spans = []
        for item in langs:
            if isinstance(item, dict):
                share = item.get("share")
                pct = f" {float(share) * 100:.0f}%" if isinstance(share, int | float) else ""
                label = item.get("tag") or item.get("code") or "?"
                code = f" ({item['code']})" if item.get("code") else ""
                spans.append(f"<span class='lang'>{e(label)}{e(code)}{e(pct)}</span>")
        facts.append(f"<tr><th>Languages</th><td>{''.join(spans)}</td></tr>")
    elif data.entry.fields.get("languages"):
        spans = "".join(
            f"<span class='lang'>{e(c)}</span>" for c in _codes(data.entry.fields["languages"])
        )
        facts.append(f"<tr><th>Languages</th><td>{spans}</td></tr>")
    if data.text_source:
        facts.append(f"<tr><th>Text</th><td>{e(data.text_source)}</td></tr>")
    notes = "".join(f"<p class='muted'>{e(n)}</p>" for n in data.notes)
    head = (
        f"<h1>{e(data.title or url)}</h1><p class='url'><code>{e(url)}</code> · "
        f"<a href='{e(f'{prefix}/{ts}/{url}')}'>archived page</a> · "
        f"<a href='{e(f'{prefix}/{ts}id_/{url}')}'>stored bytes</a></p>"
        f"<table>{''.join(facts)}</table>{notes}"
    )
    text = f"<h2>Text</h2><article>{e(data.text)}</article>" if data.text else ""
    return page(
        prefix,
        data.title or url,
        head + text + _links_html(prefix, ts, links) + _captures_html(prefix, url, ts, versions),
    )


def _links_html(prefix: str, ts: str, links: Iterable[tuple[dict[str, Any], str | None]]) -> str:
    groups: dict[str, list[str]] = {}
    for link, archived_ts in links:
        role = link.get("region") if link.get("region") in _ROLE_ORDER else "other"
        target = str(link.get("url", ""))
        text = e(link.get("text") or target)
        if archived_ts:
            item = (
                f"<li><a href='{e(f'{prefix}/reader/{archived_ts}/{target}')}'>{text}</a> "
                f"<span class='muted url'>{e(target)}</span> · "
                f"<a href='{e(f'{prefix}/{archived_ts}/{target}')}'>page</a></li>"
            )
        else:
            item = f"<li>{text} <span class='muted url'>{e(target)} (not archived)</span></li>"
        groups.setdefault(role, []).append(item)
    out = []
    for role in _ROLE_ORDER:
        if groups.get(role):
            out.append(f"<h3>{_ROLE_TITLES[role]}</h3><ul>{''.join(groups[role])}</ul>")
    return "<h2>Links</h2>" + "".join(out) if out else ""


def _captures_html(prefix: str, url: str, ts: str, versions: Sequence[Version]) -> str:
    """The versions of the page: each capture with its change kind, and a link to the text
    diff with the capture before it."""
    items = []
    captures = [v.entry for v in versions]
    for i, version in enumerate(versions):
        entry = version.entry
        mark = " (this one)" if entry.timestamp == ts else ""
        label = change_label(version.change)
        if entry.fields.get("mime") == "warc/revisit":
            label = f"{label} (revisit)".strip()
        diff = ""
        if i:
            query = urlencode({"url": url, "a": captures[i - 1].timestamp, "b": entry.timestamp})
            diff = f" · <a href='{e(f'{prefix}/diff?{query}')}'>text changes</a>"
        items.append(
            f"<li><a href='{e(f'{prefix}/reader/{entry.timestamp}/{url}')}'>"
            f"{e(when(entry.timestamp))}</a>{e(mark)} "
            + (f"<span class='change'>{e(label)}</span> " if label else "")
            + f"<span class='muted'>{e(entry.fields.get('status', ''))} "
            f"{e(entry.fields.get('digest', '')[:8])}</span>{diff}</li>"
        )
    form = ""
    if len(captures) > 1:
        options = "".join(
            f"<option value='{e(c.timestamp)}'>{e(when(c.timestamp))}</option>" for c in captures
        )
        form = (
            f"<form method='get' action='{e(prefix)}/diff'>"
            f"<input type='hidden' name='url' value='{e(url)}'>Compare the text of "
            f"<select name='a'>{options}</select> with <select name='b'>{options}</select> "
            "<button>Diff</button></form>"
        )
    return f"<h2>Captures of this URL ({len(captures)})</h2><ul>{''.join(items)}</ul>{form}"


def diff_page(prefix: str, url: str, a: ReaderData, b: ReaderData) -> str:
    left = a.text.splitlines()
    right = b.text.splitlines()
    ta, tb = a.entry.timestamp, b.entry.timestamp
    if left == right:
        table = "<p>The two texts are identical.</p>"
    else:
        table = difflib.HtmlDiff(wrapcolumn=70).make_table(
            left, right, when(ta), when(tb), context=True, numlines=2
        )
    body = (
        f"<h1>Text changes</h1><p class='url'><code>{e(url)}</code></p>"
        f"<p><a href='{e(f'{prefix}/reader/{ta}/{url}')}'>{e(when(ta))}</a> → "
        f"<a href='{e(f'{prefix}/reader/{tb}/{url}')}'>{e(when(tb))}</a></p>{table}"
    )
    return page(prefix, f"Diff: {url}", body)
