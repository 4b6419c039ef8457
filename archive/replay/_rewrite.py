"""Rewriting of archived HTML and CSS so that links and resources stay inside the archive.

HTML goes through the standard library's tolerant tokenizer (``html.parser``, the approach
pywb takes): every token is written back as it came, except the URL-bearing attributes of
start tags, ``style`` attributes and ``<style>`` blocks, which are rewritten in place. So
the page keeps its markup byte for byte apart from those values (end tags are written in
lower case). Scripts are left alone; the replay response also carries a
Content-Security-Policy that confines the browser to the archive's own origin, so nothing a
script builds can reach the live web.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["ArchiveUrls", "rewrite_css", "rewrite_html", "sniff_charset"]

# attributes holding one URL, by tag ("*": any tag)
_URL_ATTRS: dict[str, frozenset[str]] = {
    "*": frozenset({"background"}),
    "a": frozenset({"href"}),
    "area": frozenset({"href"}),
    "link": frozenset({"href"}),
    "base": frozenset({"href"}),
    "img": frozenset({"src", "longdesc", "lowsrc", "data-src"}),
    "script": frozenset({"src"}),
    "iframe": frozenset({"src", "longdesc"}),
    "frame": frozenset({"src", "longdesc"}),
    "embed": frozenset({"src"}),
    "source": frozenset({"src"}),
    "audio": frozenset({"src"}),
    "video": frozenset({"src", "poster"}),
    "track": frozenset({"src"}),
    "input": frozenset({"src", "formaction"}),
    "button": frozenset({"formaction"}),
    "form": frozenset({"action"}),
    "object": frozenset({"data", "codebase"}),
    "applet": frozenset({"codebase", "archive"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "del": frozenset({"cite"}),
    "ins": frozenset({"cite"}),
}
_SRCSET_TAGS = frozenset({"img", "source"})
_ATTR = re.compile(r"""(\s)([^\s"'>/=]+)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
_CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"""@import\s+(["'])(.*?)\1""", re.IGNORECASE)
_REFRESH = re.compile(r"""^(\s*\d*\s*[;,]\s*url\s*=\s*["']?)([^"']*)(.*)$""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_LIVE_SCHEMES = ("http", "https")
_ESCAPED_QUOTE = {'"': "&quot;", "'": "&#39;"}


class ArchiveUrls:
    """Maps a URL found in a capture to its place in the archive."""

    def __init__(self, prefix: str, timestamp: str, modifier: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self.timestamp = timestamp + modifier

    def __call__(self, value: str, base: str) -> str:
        stripped = value.strip()
        if not stripped or stripped.startswith("#"):
            return value
        try:
            absolute = urljoin(base, stripped)
            scheme = urlsplit(absolute).scheme.lower()
        except ValueError:
            return value
        if scheme not in _LIVE_SCHEMES:
            return value  # data:, javascript:, mailto:, about:, blob:, ...
        return f"{self.prefix}/{self.timestamp}/{absolute}"


def rewrite_css(text: str, base: str, urls: Callable[[str, str], str]) -> str:
    def sub_url(m: re.Match[str]) -> str:
        quote, value = m.group(1), m.group(2)
        return f"url({quote}{urls(value, base)}{quote})"

    def sub_import(m: re.Match[str]) -> str:
        quote, value = m.group(1), m.group(2)
        return f"@import {quote}{urls(value, base)}{quote}"

    return _CSS_IMPORT.sub(sub_import, _CSS_URL.sub(sub_url, text))


class _Rewriter(HTMLParser):
    """Collects edits (start, end, new text) of the source; everything else stays as is."""

    def __init__(self, text: str, base: str, urls: Callable[[str, str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.urls = urls
        self.edits: list[tuple[int, int, str]] = []
        self._in_style = False
        self._line_starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self._line_starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _edit(self, old: str, new: str) -> None:
        if new != old:
            start = self._offset()
            self.edits.append((start, start + len(old), new))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text() or ""
        self._edit(text, self._tag(tag, attrs, text))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text() or ""
        self._edit(text, self._tag(tag, attrs, text))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:  # raw text inside <style>: no character references decoded
            self._edit(data, rewrite_css(data, self.base, self.urls))

    # -- start tags ---------------------------------------------------------------

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], text: str) -> str:
        names = _URL_ATTRS.get(tag, frozenset()) | _URL_ATTRS["*"]
        if tag == "base":
            href = next((v for k, v in attrs if k == "href" and v), None)
            if href:
                self.base = urljoin(self.base, href.strip())
        refresh = tag == "meta" and any(
            k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs
        )

        def sub(m: re.Match[str]) -> str:
            space, name, eq, quoted = m.groups()
            lname = name.lower()
            if lname == "integrity":  # the bytes may change: the browser would refuse them
                return f"{space}data-archive-integrity{eq}{quoted}"
            if lname in names:
                new = self.urls
            elif lname == "srcset" and tag in _SRCSET_TAGS:
                new = self._srcset
            elif lname == "style":
                new = lambda v, b: rewrite_css(v, b, self.urls)  # noqa: E731
            elif lname == "content" and refresh:
                new = self._refresh
            else:
                return m.group(0)
            q = quoted[0] if quoted[0] in "\"'" else ""
            raw = quoted[1:-1] if q else quoted
            value = new(html.unescape(raw), self.base)
            quote = q or '"'
            escaped = value.replace("&", "&amp;").replace(quote, _ESCAPED_QUOTE[quote])
            return f"{space}{name}{eq}{quote}{escaped}{quote}"

        return _ATTR.sub(sub, text)

    def _srcset(self, value: str, base: str) -> str:
        parts = []
        for candidate in value.split(","):
            bits = candidate.strip().split(None, 1)
            if not bits:
                continue
            bits[0] = self.urls(bits[0], base)
            parts.append(" ".join(bits))
        return ", ".join(parts)

    def _refresh(self, value: str, base: str) -> str:
        m = _REFRESH.match(value)
        if not m:
            return value
        return m.group(1) + self.urls(m.group(2), base) + m.group(3)


def rewrite_html(text: str, base: str, urls: Callable[[str, str], str]) -> str:
    """``text`` with its links and resources mapped by ``urls(value, base_url)``."""
    parser = _Rewriter(text, base, urls)
    parser.feed(text)
    parser.close()
    out, pos = [], 0
    for start, end, new in sorted(parser.edits):
        if start < pos:  # overlapping edits cannot happen; be safe anyway
            continue
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def sniff_charset(body: bytes, declared: str | None = None) -> str:
    """The charset to decode an HTML page with: the declared one, a ``<meta>`` one, UTF-8."""
    import codecs

    for candidate in (declared, _meta_charset(body)):
        if not candidate:
            continue
        try:
            name = codecs.lookup(candidate).name
        except LookupError:
            continue
        if name.startswith(("utf-16", "utf-32")) and body[:4].find(b"<") < 0:
            return name
        return "utf-8" if name == "ascii" else name
    return "utf-8"


def _meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii") if m else None
