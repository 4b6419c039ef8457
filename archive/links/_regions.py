"""The region of a link: article body, navigation or other, found from markup and text.

:func:`body_roots` finds the article body: per-site selectors first, else the container with the
most paragraph text, widened to its nearest ancestor marked as an article body. :class:`Regions`
then labels any element by its nearest labelled ancestor, with a per-element cache so a page costs
one walk up from each link. Also the element helpers shared with :mod:`._related`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

from lxml import etree

__all__ = ["NEVER_BLOCK", "Region", "Regions", "attrs", "body_roots", "compile_selector", "select"]

Region = Literal["related", "body", "navigation", "other"]

#: Elements too big to be a block (related reading, navigation...) of their own.
NEVER_BLOCK = frozenset(("html", "body", "main"))
_UNLABELLED = frozenset(("html", "body", "a", "area"))

# --- navigation / other -----------------------------------------------------------------------

_NAV_TAGS = frozenset(("nav", "header", "footer"))
_NAV_ROLES = frozenset(("navigation", "banner", "contentinfo", "menu", "menubar"))
_NAV_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navs|navbar|navigation|topnav|subnav|mainnav|sitenav|menu|menus|menubar"
    r"|mainmenu|submenu|breadcrumbs?|crumbs?|footer|header|topbar|sitemap|masthead|pagination"
    r"|pager)(?:$|[\s_-])"
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


def attrs(el: etree._Element) -> str:
    """``class`` and ``id`` of ``el``, lower-cased and space-separated ("" for neither)."""
    cls = el.get("class")
    id_ = el.get("id")
    if cls is None and id_ is None:
        return ""
    return f"{cls or ''} {id_ or ''}".lower()


@lru_cache(maxsize=256)
def compile_selector(selector: str) -> etree.XPath:
    """Compile a CSS selector or an XPath expression (cached); ValueError when it is bad."""
    selector = selector.strip()
    try:
        if selector.startswith(("/", "(")):
            return etree.XPath(selector)
        from lxml.cssselect import CSSSelector  # needs the cssselect package

        return CSSSelector(selector, translator="html")
    except (etree.XPathError, SyntaxError) as exc:  # cssselect's errors subclass SyntaxError
        raise ValueError(f"bad link selector {selector!r}: {exc}") from exc


def select(tree: etree._Element, selectors: Iterable[str]) -> list[etree._Element]:
    """Elements matched by any of ``selectors``, selector by selector."""
    found: list[etree._Element] = []
    for selector in selectors:
        result = compile_selector(selector)(tree)
        if isinstance(result, list):
            found.extend(el for el in result if isinstance(el, etree._Element))
    return found


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
    if el.get("itemprop") == "articleBody":
        return 2
    marks = attrs(el)
    tokens = marks.split() if marks else ()
    if any(t in _BODY_TOKENS for t in tokens):
        return 2
    tag = el.tag
    if tag == "article":
        return 2
    if tag == "main" or any(t in _WEAK_BODY_TOKENS for t in tokens):
        return 1
    return 0


def body_roots(tree: etree._Element, selectors: Sequence[str]) -> list[etree._Element]:
    """The article body container(s): from ``selectors``, else markup checked against text."""
    if selectors:
        chosen = select(tree, selectors)
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


class Regions:
    """Region of an element: nearest labelled ancestor wins; related beats everything.

    ``guard`` holds the body roots and their ancestors: an ancestor of the body labels nothing
    (a wrapper whose class says "sidebar" does not make the links around the body "other").
    """

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
        """The region ``el`` itself marks, None when it marks none."""
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
        marks = attrs(el)
        if marks:
            if _NAV_ATTR_RE.search(marks):
                return "navigation"
            if _OTHER_ATTR_RE.search(marks):
                return "other"
        return None

    def of(self, el: etree._Element | None) -> Region:
        """The region of ``el``: ``other`` when no ancestor-or-self is labelled."""
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
