"""Every link of a page, typed by the region it sits in.

:func:`extract_links` walks ``//a[@href]`` and ``//area[@href]`` once and gives each link a
region: ``related`` (a related-reading block), ``body`` (the article body), ``navigation``
(nav, header, footer, menus, breadcrumbs) or ``other`` (sidebars, widgets, ads...). Regions are
computed by walking each link's ancestors with a per-element cache, so the cost is one pass over
the links plus a few XPath queries per page. The tree is only read, never changed: the caller
hands the same tree to trafilatura afterwards.

:func:`follow_urls` turns the links into the URLs a crawler should follow for a mode.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any, Literal, cast, get_args
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from w3lib.url import safe_url_string

__all__ = ["Link", "LinkRules", "Region", "extract_links", "follow_urls"]

Region = Literal["related", "body", "navigation", "other"]
FollowMode = Literal["related", "content", "all"]

_REGIONS: frozenset[str] = frozenset(get_args(Region))

#: A related block holding more links than this is a false positive (a page, not a block).
MAX_RELATED_LINKS = 60

# --- related-reading detection ----------------------------------------------------------------

_RELATED_HEADINGS = frozenset(
    s.casefold()
    for s in (
        "related reading",
        "related articles",
        "related stories",
        "related news",
        "related posts",
        "related links",
        "related content",
        "related coverage",
        "related",
        "see also",
        "read more",
        "read also",
        "more on this",
        "more on this story",
        "more on this topic",
        "you may also like",
        "you might also like",
        "recommended",
        "recommended for you",
        "recommended reading",
        "further reading",
        "相关阅读",
        "相關閱讀",
        "延伸阅读",
        "延伸閱讀",
        "推荐阅读",
        "推薦閱讀",
        "相关文章",
        "相關文章",
        "相关新闻",
        "相關新聞",
        "更多阅读",
        "更多閱讀",
        "相关链接",
        "相關鏈接",
        "相关推荐",
        "相關推薦",
    )
)
# Elements whose own text may be a related-reading heading.
_HEADING_TAGS = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "span",
    "div",
    "p",
    "dt",
    "legend",
    "caption",
    "li",
    "em",
)
_TRUE_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HEADING_STRIP = " \t\r\n\u3000\xa0-–—•·»›>|:：【】[]"
_MAX_HEADING_REPEATS = 2  # a label seen more often is a teaser button, not a block heading
_LONGEST_HEADING = max(len(h) for h in _RELATED_HEADINGS) + 8

_CLASS_OR_ID_XPATH = etree.XPath("descendant-or-self::*[@class or @id]")
_RELATED_ATTR_RE = re.compile(
    r"related|see[-_]?also|recommend|more-?stories|(?:^|[\s_-])(?:xgyd|xgwz|xgxw|tjyd)(?:$|[\s_-])"
)
_READ_MORE_RE = re.compile(r"read[-_]?more")
_RELATED_ATTR_HINT = re.compile(r"related|see|read|recommend|stor|xg|tjyd")
# --- navigation / other -----------------------------------------------------------------------

_NAV_TAGS = frozenset(("nav", "header", "footer"))
_NAV_ROLES = frozenset(("navigation", "banner", "contentinfo", "menu", "menubar"))
_MENU_ROLES = frozenset(("navigation", "menu", "menubar"))
_NAV_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navs|navbar|navigation|topnav|subnav|mainnav|sitenav|menu|menus|menubar"
    r"|mainmenu|submenu|breadcrumbs?|crumbs?|footer|header|topbar|sitemap|masthead|pagination"
    r"|pager)(?:$|[\s_-])"
)
# Menus proper: a related heading inside one of these is a menu entry, not a block heading.
_MENU_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|topnav|subnav|mainnav|sitenav|menu|menubar|mainmenu"
    r"|submenu)(?:$|[\s_-])"
)
_OTHER_ROLES = frozenset(("complementary",))
_OTHER_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:sidebar|sidebars|side|aside|widget|widgets|ad|ads|advert|adverts"
    r"|advertisement|sponsor|sponsored|promo|tagcloud|share|sharing|social)(?:$|[\s_-])"
)

# --- body detection ---------------------------------------------------------------------------

_BODY_TOKENS = frozenset(
    (
        "article-body",
        "articlebody",
        "article_body",
        "article-content",
        "articlecontent",
        "article_content",
        "article-text",
        "post-content",
        "postcontent",
        "post_content",
        "post-body",
        "postbody",
        "entry-content",
        "entry_content",
        "entry-body",
        "story-body",
        "storybody",
        "story-content",
        "news-content",
        "text-content",
    )
)
_WEAK_BODY_TOKENS = frozenset(
    ("content", "main-content", "maincontent", "main_content", "main", "article", "post")
)
_CONTAINER_TAGS = ("div", "section", "td", "article", "main", "font", "center")
_MIN_BODY_TEXT = 100
_NEVER_BLOCK = frozenset(("html", "body", "main"))
_UNLABELLED = frozenset(("html", "body", "a", "area"))

# --- URLs -------------------------------------------------------------------------------------

_HTTP_PREFIXES = ("http://", "https://")
_URL_WS = re.compile(r"[\t\n\r]")
# ASCII URLs that safe_url_string would return unchanged (checked against it in the tests).
_ALREADY_SAFE = re.compile(
    r"https?://[a-z0-9.-]+(?::[0-9]+)?"
    r"(?:/[A-Za-z0-9\-._~:/@!$&*+,;=%()']*(?:\?[A-Za-z0-9\-._~:/?@!$&*+,;=%]*)?)?"
)


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
            _compile(selector)  # raise ValueError early on a bad selector

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


@lru_cache(maxsize=256)
def _compile(selector: str) -> etree.XPath:
    """Compile a CSS selector or an XPath expression (cached)."""
    selector = selector.strip()
    try:
        if selector.startswith(("/", "(")):
            return etree.XPath(selector)
        from lxml.cssselect import CSSSelector  # needs the cssselect package

        return CSSSelector(selector, translator="html")
    except (etree.XPathError, SyntaxError) as exc:  # cssselect's errors subclass SyntaxError
        raise ValueError(f"bad link selector {selector!r}: {exc}") from exc


def _select(tree: etree._Element, selectors: Iterable[str]) -> list[etree._Element]:
    found: list[etree._Element] = []
    for selector in selectors:
        result = _compile(selector)(tree)
        if isinstance(result, list):
            found.extend(el for el in result if isinstance(el, etree._Element))
    return found


# --- URL normalisation ------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _absolute(base: str, href: str) -> str | None:
    """Absolute, safe, fragment-free http(s) URL for ``href``, or None to skip it.

    ``base`` is "" for an absolute ``href`` and the site root for a root-relative one (see
    :func:`_resolve`), so the cache serves every page of a site for those.
    """
    if not base:
        url = href
    elif (
        href[:1] == "/"
        and href[1:2] != "/"
        and base.endswith("/")
        and base.count("/") == 3  # scheme://host/
        and "/." not in href
        and "\\" not in href
    ):
        url = base[:-1] + href  # what urljoin returns for a plain root-relative href
    else:
        url = urljoin(base, href)
    if not url[:8].lower().startswith(_HTTP_PREFIXES):
        return None
    url = url.partition("#")[0]
    if url.endswith("?"):
        url = url[:-1]
    if not _ALREADY_SAFE.fullmatch(url):
        try:
            url = safe_url_string(url)
        except ValueError:  # e.g. a bad port or an IDNA failure
            return None
    return url if len(url) > len("https://") else None


def _resolve(base: str, base_root: str, href: str) -> str | None:
    """:func:`_absolute` keyed on as little of the base as ``href`` depends on."""
    if href.startswith(_HTTP_PREFIXES):
        return _absolute("", href)
    if href[:1] == "/" and href[1:2] != "/":
        return _absolute(base_root, href)
    return _absolute(base, href)


def _base_root(base: str) -> str:
    scheme, sep, rest = base.partition("://")
    if not sep:
        return base
    return scheme + sep + rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] + "/"


# --- regions ----------------------------------------------------------------------------------


def _attrs(el: etree._Element) -> str:
    cls = el.get("class")
    id_ = el.get("id")
    if cls is None and id_ is None:
        return ""
    return f"{cls or ''} {id_ or ''}".lower()


def _count_links(el: etree._Element, limit: int) -> int:
    return sum(1 for _ in islice(el.iter("a", "area"), limit + 1))


def _has_link(el: etree._Element) -> bool:
    if el.tag in ("a", "area"):
        return el.get("href") is not None
    return any(a.get("href") is not None for a in el.iter("a", "area"))


def _link_dense(el: etree._Element) -> bool:
    """True when most of the text of ``el`` is link text (a list, not a paragraph)."""
    if el.tag in ("a", "area"):
        return True
    total = len(el.text_content().strip())
    links = sum(len(a.text_content().strip()) for a in el.iter("a"))
    return total - links <= max(40, links)


def _in_menu(el: etree._Element, guard: set[etree._Element]) -> bool:
    """True when ``el`` is inside a link or a menu (where "Read more" is a link label)."""
    for anc in el.iterancestors():
        tag = anc.tag
        if anc in guard or tag in _NEVER_BLOCK:
            continue
        if tag == "a" or tag == "nav":
            return True
        if anc.get("role") in _MENU_ROLES:
            return True
        attrs = _attrs(anc)
        if attrs and _MENU_ATTR_RE.search(attrs):
            return True
    return False


def _heading_text(text: str) -> str:
    text = " ".join(text.split())
    return text.strip(_HEADING_STRIP).casefold()


def _heading_block(
    heading: etree._Element, heading_text: str, guard: set[etree._Element]
) -> list[etree._Element]:
    """The elements a related-reading heading introduces, or [] if none is credible."""
    tag = heading.tag
    if heading in guard or tag in _NEVER_BLOCK:
        return []
    if len(heading) and tag not in _TRUE_HEADINGS and _has_link(heading):
        # "<p>Related: <a>..</a>, <a>..</a></p>": the label and the links share an element.
        return [heading]
    node = heading
    for _ in range(4):  # climb out of <div class="hd"><span>Related</span></div> wrappers
        block: list[etree._Element] = []
        skipped = 0
        for sib in node.itersiblings():
            if not isinstance(sib.tag, str):
                continue
            if sib.tag in _TRUE_HEADINGS or sib in guard or sib.tag in _NEVER_BLOCK:
                break
            if _has_link(sib):
                if block and not _link_dense(sib):
                    break  # a paragraph of text after the list is the article again
                block.append(sib)
                continue
            if sib.tag in ("br", "hr") and not block:
                continue
            if sib.tag == "br":
                continue
            if block or skipped or len("".join(sib.itertext()).strip()) > 80:
                break
            skipped += 1  # one empty spacer between the heading and its list
        if block:
            return block
        # Nothing after the heading at this level: look one level up. A container holding
        # little but the heading (<p><strong>相关阅读：</strong></p>) is climbed freely; out of
        # a bigger one only when no links precede the heading (else it trails a teaser).
        parent = node.getparent()
        if parent is None or parent.tag in _NEVER_BLOCK or parent in guard:
            return []
        if len(parent.text_content().strip()) > len(heading_text) + 12 and any(
            isinstance(sib.tag, str) and _has_link(sib) for sib in node.itersiblings(preceding=True)
        ):
            return []
        node = parent
    return []


def _related_roots(
    tree: etree._Element, rules: LinkRules, guard: set[etree._Element]
) -> set[etree._Element]:
    roots: set[etree._Element] = set(_select(tree, rules.related))
    candidates: list[etree._Element] = []
    for el in _CLASS_OR_ID_XPATH(tree):
        attrs = _attrs(el)
        if not _RELATED_ATTR_HINT.search(attrs):
            continue
        tag = el.tag
        if tag in ("a", "area") or tag in _NEVER_BLOCK or el in guard:
            continue
        if _RELATED_ATTR_RE.search(attrs):
            candidates.append(el)
        elif _READ_MORE_RE.search(attrs) and _count_links(el, 2) >= 2:
            candidates.append(el)  # a lone "read-more" button is a teaser, not a block
    for el in candidates:
        if (
            _count_links(el, MAX_RELATED_LINKS) <= MAX_RELATED_LINKS
            and _has_link(el)
            and not _in_menu(el, guard)
        ):
            roots.add(el)
    headings: list[tuple[etree._Element, str]] = []
    for heading in tree.iter(*_HEADING_TAGS):
        text = heading.text
        if text is None or len(text) > _LONGEST_HEADING + 60:  # room for indentation
            continue
        text = _heading_text(text)
        if text in _RELATED_HEADINGS and not _in_menu(heading, guard):
            headings.append((heading, text))
    repeats = Counter(text for _, text in headings)
    for heading, text in headings:
        if repeats[text] > _MAX_HEADING_REPEATS:
            continue  # the same label under every teaser ("Read more") is not a heading
        block = _heading_block(heading, text, guard)
        if block and sum(_count_links(b, MAX_RELATED_LINKS) for b in block) <= MAX_RELATED_LINKS:
            roots.update(block)
    return roots


def _text_scores(tree: etree._Element) -> dict[etree._Element, int]:
    """Length of paragraph text (minus link text) directly inside each container."""
    scores: dict[etree._Element, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is None or parent.tag not in _CONTAINER_TAGS:
            continue
        n = len(p.text_content().strip())
        if n:
            for a in p.iter("a"):
                n -= len(a.text_content())
            if n > 0:
                scores[parent] = scores.get(parent, 0) + n
    seen: set[etree._Element] = set()
    for br in tree.iter("br"):  # <div>text<br>text<br>...</div> pages without <p>
        parent = br.getparent()
        if parent is None or parent in seen or parent.tag not in _CONTAINER_TAGS:
            continue
        seen.add(parent)
        n = len((parent.text or "").strip())
        for child in parent:
            if child.tail:
                n += len(child.tail.strip())
        if n:
            scores[parent] = scores.get(parent, 0) + n
    return scores


def _body_tier(el: etree._Element) -> int:
    """2 for a sure article-body marker, 1 for a weak one, 0 for none."""
    tag = el.tag
    if el.get("itemprop") == "articleBody":
        return 2
    attrs = _attrs(el)
    tokens = attrs.split() if attrs else ()
    if any(t in _BODY_TOKENS for t in tokens):
        return 2
    if tag == "article":
        return 2
    if tag == "main" or any(t in _WEAK_BODY_TOKENS for t in tokens):
        return 1
    return 0


def _body_roots(tree: etree._Element, rules: LinkRules) -> list[etree._Element]:
    """The article body container(s): from the rules, else markup checked against text."""
    if rules.body:
        chosen = _select(tree, rules.body)
        if chosen:
            return chosen
    scores = _text_scores(tree)
    best = max(scores, key=scores.__getitem__) if scores else None
    if best is None or scores[best] < _MIN_BODY_TEXT:
        return []
    # Prefer the nearest marked ancestor-or-self of the text container (sure markers first).
    found: dict[int, etree._Element] = {}
    node: etree._Element | None = best
    while node is not None and node.tag not in ("body", "html"):
        tier = _body_tier(node)
        if tier and tier not in found:
            found[tier] = node
        node = node.getparent()
    for tier in (2, 1):
        if tier in found:
            return [found[tier]]
    return [best]


class _Regions:
    """Region of an element: nearest labelled ancestor wins; related beats everything."""

    def __init__(
        self,
        related: set[etree._Element],
        body: Sequence[etree._Element],
        guard: set[etree._Element],
    ) -> None:
        self.related = related
        self.body = set(body)
        self.guard = guard
        self.cache: dict[etree._Element, Region] = {}

    def label(self, el: etree._Element) -> Region | None:
        if el in self.related:
            return "related"
        if el in self.body:
            return "body"
        tag = el.tag
        if el in self.guard or tag in _UNLABELLED:  # the body's ancestors, the link itself
            return None
        if tag in _NAV_TAGS:
            return "navigation"
        if tag == "aside":
            return "other"
        role = el.get("role")
        if role is not None:
            if role in _NAV_ROLES:
                return "navigation"
            if role in _OTHER_ROLES:
                return "other"
        attrs = _attrs(el)
        if attrs:
            if _NAV_ATTR_RE.search(attrs):
                return "navigation"
            if _OTHER_ATTR_RE.search(attrs):
                return "other"
        return None

    def of(self, el: etree._Element | None) -> Region:
        cache = self.cache
        stack: list[etree._Element] = []
        while el is not None and el not in cache:
            stack.append(el)
            el = el.getparent()
        region: Region = cache[el] if el is not None else "other"
        for node in reversed(stack):
            if region != "related":
                region = self.label(node) or region
            cache[node] = region
        return region


def _anchor_text(a: etree._Element) -> str:
    text = " ".join(a.text_content().split()) if a.tag == "a" else ""
    if not text:
        for img in a.iter("img"):
            alt = img.get("alt")
            if alt and alt.strip():
                return " ".join(alt.split())
        text = " ".join((a.get("alt") or a.get("title") or "").split())
    return text


def _document_base(tree: etree._Element, base_url: str) -> str:
    for href in tree.getroottree().getroot().iterfind(".//base[@href]"):
        joined = urljoin(base_url, href.get("href", "").strip())
        if joined[:8].lower().startswith(_HTTP_PREFIXES):
            return joined
        break
    return base_url


def extract_links(
    tree: lxml.html.HtmlElement, base_url: str, rules: LinkRules = LinkRules()
) -> list[Link]:
    """Every http(s) link of ``tree`` in document order, one per (url, region).

    ``tree`` is not modified. URLs are absolute (``<base href>`` respected), safe, and have no
    fragment. A URL found in several regions is listed once per region; the first non-empty
    anchor text is kept.
    """
    base = _document_base(tree, base_url)
    base_root = _base_root(base)
    body = _body_roots(tree, rules)
    guard: set[etree._Element] = set()
    for el in body:
        guard.add(el)
        guard.update(el.iterancestors())
    regions = _Regions(_related_roots(tree, rules, guard), body, guard)

    out: dict[tuple[str, Region], Link] = {}
    urls: dict[str, str | None] = {}
    for a in tree.iter("a", "area"):
        href = a.get("href")
        if href is None:
            continue
        url = urls.get(href, "")
        if url == "":
            raw = _URL_WS.sub("", href.strip(" \t\n\r\f"))
            url = _resolve(base, base_root, raw) if raw and raw[0] != "#" else None
            urls[href] = url
        if url is None:
            continue
        region = regions.of(a)
        key = (url, region)
        seen = out.get(key)
        if seen is None:
            out[key] = Link(url, region, _anchor_text(a))
        elif not seen.text:
            text = _anchor_text(a)
            if text:
                out[key] = Link(url, region, text)
    return list(out.values())


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
