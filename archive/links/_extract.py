"""Every link of a page, typed by the region it sits in.

:func:`extract_links` walks ``//a[@href]`` and ``//area[@href]`` once and gives each link a
region: ``related`` (a related-reading block), ``body`` (the article body), ``navigation``
(nav, header, footer, menus, breadcrumbs) or ``other`` (sidebars, widgets, ads...). Regions are
computed by walking each link's ancestors with a per-element cache, so the cost is one pass over
the links plus a few XPath queries per page. The tree is only read, never changed: the caller
hands the same tree to trafilatura afterwards.

:func:`follow_urls` turns the links into the URLs a crawler should follow for a mode. URLs are
resolved by :mod:`._urls`, related-reading blocks found by :mod:`._related`, the body and the
other regions by :mod:`._regions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import lxml.html
from lxml import etree

from ._regions import Region, Regions, body_roots, compile_selector
from ._related import MAX_RELATED_LINKS, related_roots
from ._urls import base_root, document_base, resolve

__all__ = [
    "MAX_RELATED_LINKS",
    "Link",
    "LinkRules",
    "PageLinks",
    "Region",
    "extract_links",
    "follow_urls",
    "page_links",
]

FollowMode = Literal["related", "content", "all"]

_REGIONS: frozenset[str] = frozenset(get_args(Region))


@dataclass(frozen=True)
class Link:
    """A link found on a page."""

    url: str
    region: Region
    text: str

    def to_json(self) -> dict[str, str]:
        """Return a JSON-ready dict."""
        return {"url": self.url, "region": self.region, "text": self.text}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Link:
        """Build a link from :meth:`to_json` output."""
        region = d["region"]
        if region not in _REGIONS:
            raise ValueError(f"unknown link region: {region!r}")
        return cls(url=str(d["url"]), region=cast(Region, region), text=str(d.get("text", "")))


@dataclass(frozen=True)
class LinkRules:
    """Per-site selectors: CSS, or XPath when starting with ``/`` or ``(``."""

    related: tuple[str, ...] = ()
    body: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for selector in (*self.related, *self.body):
            compile_selector(selector)  # raise ValueError early on a bad selector

    @classmethod
    def for_host(cls, overrides: Mapping[str, Mapping[str, Sequence[str]]], host: str) -> LinkRules:
        """Rules for ``host`` from ``{"example.org": {"related": [...], "body": [...]}}``.

        The most specific entry wins: ``news.example.org``, then ``example.org``, then ``org``;
        a leading ``www.`` and a port are ignored.
        """
        host = host.lower().rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
        table = {k.lower().removeprefix("www.").rstrip("."): v for k, v in overrides.items()}
        name = host.removeprefix("www.")
        while name:
            if name in table:
                entry = table[name]
                unknown = set(entry) - {"related", "body"}
                if unknown:
                    raise ValueError(f"unknown link rule keys for {name}: {sorted(unknown)}")
                return cls(
                    related=_selectors(entry.get("related", ())),
                    body=_selectors(entry.get("body", ())),
                )
            name = name.partition(".")[2]
        return cls()


def _selectors(value: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def extract_links(
    tree: lxml.html.HtmlElement,
    base_url: str,
    rules: LinkRules = LinkRules(),
    *,
    only_related: bool = False,
) -> list[Link]:
    """Every http(s) link of ``tree`` in document order, one per (url, region).

    ``tree`` is not modified. URLs are absolute (``<base href>`` respected), safe, and have no
    fragment. A URL found in several regions is listed once per region; the first non-empty
    anchor text is kept. ``only_related``: the ``related`` ones only (the same list filtered),
    without typing the others. :func:`page_links` does the same with a cap.
    """
    return page_links(tree, base_url, rules, only_related=only_related).links


@dataclass(frozen=True)
class PageLinks:
    """The links of a page (see :func:`page_links`)."""

    links: list[Link]
    #: link elements (``a``/``area`` with an href) left unread once ``max_links`` links were
    #: found, counting the one that did not fit: not resolved, typed or de-duplicated
    beyond: int = 0


def page_links(
    tree: lxml.html.HtmlElement,
    base_url: str,
    rules: LinkRules = LinkRules(),
    *,
    only_related: bool = False,
    max_links: int | None = None,
) -> PageLinks:
    """:func:`extract_links`, stopping at ``max_links`` links (None: no cap); the link
    elements after the cap are only counted (``beyond``), so a page with 100,000 links costs
    the memory of ``max_links``."""
    base = document_base(tree, base_url)
    root = base_root(base)
    body = body_roots(tree, rules.body)
    guard: set[etree._Element] = set()
    for el in body:
        guard.add(el)
        guard.update(el.iterancestors())
    related = related_roots(tree, rules.related, guard)
    regions = Regions(related, body, guard)
    # a link is related when inside a related block: only those blocks are walked
    anchors = (
        (a for block in _outermost(related) for a in block.iter("a", "area"))
        if only_related
        else tree.iter("a", "area")
    )
    out: dict[tuple[str, Region], Link] = {}
    urls: dict[str, str | None] = {}
    for a in anchors:
        href = a.get("href")
        if href is None:
            continue
        url = urls.get(href, "")
        if url == "":
            url = urls[href] = resolve(base, root, href)
        if url is None:
            continue
        region = "related" if only_related else regions.of(a)
        key = (url, region)
        seen = out.get(key)
        if seen is None:
            if max_links is not None and len(out) >= max_links:
                beyond = 1 + sum(1 for rest in anchors if rest.get("href") is not None)
                return PageLinks(list(out.values()), beyond)
            out[key] = Link(url, region, _anchor_text(a))
        elif not seen.text:
            text = _anchor_text(a)
            if text:
                out[key] = Link(url, region, text)
    return PageLinks(list(out.values()))


def _outermost(roots: set[etree._Element]) -> list[etree._Element]:
    """``roots`` not inside another of them, in document order (so their links are too)."""
    outer = [el for el in roots if not any(anc in roots for anc in el.iterancestors())]
    return sorted(outer, key=_position)


def _position(el: etree._Element) -> list[int]:
    """Where ``el`` is in its tree: the child index at each level, from the root down."""
    path = []
    parent = el.getparent()
    while parent is not None:
        path.append(parent.index(el))
        el, parent = parent, parent.getparent()
    return path[::-1]


def _anchor_text(a: etree._Element) -> str:
    text = " ".join(a.text_content().split()) if a.tag == "a" else ""
    if not text:
        for img in a.iter("img"):
            alt = img.get("alt")
            if alt and alt.strip():
                return " ".join(alt.split())
        text = " ".join((a.get("alt") or a.get("title") or "").split())
    return text


def follow_urls(links: Sequence[Link], mode: FollowMode) -> list[str]:
    """URLs to follow: ``related`` only, ``content`` (related + body) or ``all``.

    Duplicates are dropped, first-seen order is kept.
    """
    if mode == "related":
        wanted: frozenset[str] = frozenset(("related",))
    elif mode == "content":
        wanted = frozenset(("related", "body"))
    elif mode == "all":
        wanted = _REGIONS
    else:
        raise ValueError(f"unknown follow mode: {mode!r}")
    return list(dict.fromkeys(link.url for link in links if link.region in wanted))
