"""Related-reading blocks: "Related articles", "See also", "相关阅读" and their link lists.

:func:`related_roots` finds them three ways: per-site selectors; elements whose class or id says
so (``related-posts``, ``see-also``, ``xgyd``...); and the links a related-reading heading
introduces. Guards keep false positives out: no block inside a menu or an ancestor of the article
body, none holding more than :data:`MAX_RELATED_LINKS` links, and no heading repeated under every
teaser.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import islice

from lxml import etree

from ._regions import NEVER_BLOCK, attrs, select

__all__ = ["MAX_RELATED_LINKS", "related_roots"]

#: A related block holding more links than this is a false positive (a page, not a block).
MAX_RELATED_LINKS = 60

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

# Menus proper: a related heading inside one of these is a menu entry, not a block heading.
_MENU_ROLES = frozenset(("navigation", "menu", "menubar"))
_MENU_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|topnav|subnav|mainnav|sitenav|menu|menubar|mainmenu"
    r"|submenu)(?:$|[\s_-])"
)


def related_roots(
    tree: etree._Element, selectors: Sequence[str], guard: set[etree._Element]
) -> set[etree._Element]:
    """Roots of the related-reading blocks of ``tree``; ``guard``: the body and its ancestors."""
    roots: set[etree._Element] = set(select(tree, selectors))
    candidates: list[etree._Element] = []
    for el in _CLASS_OR_ID_XPATH(tree):
        marks = attrs(el)
        if not _RELATED_ATTR_HINT.search(marks):
            continue
        tag = el.tag
        if tag in ("a", "area") or tag in NEVER_BLOCK or el in guard:
            continue
        if _RELATED_ATTR_RE.search(marks):
            candidates.append(el)
        elif _READ_MORE_RE.search(marks) and _count_links(el, 2) >= 2:
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


def _heading_block(
    heading: etree._Element, heading_text: str, guard: set[etree._Element]
) -> list[etree._Element]:
    """The elements a related-reading heading introduces, or [] if none is credible."""
    tag = heading.tag
    if heading in guard or tag in NEVER_BLOCK:
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
            if sib.tag in _TRUE_HEADINGS or sib in guard or sib.tag in NEVER_BLOCK:
                break
            if _has_link(sib):
                if block and not _link_dense(sib):
                    break  # a paragraph of text after the list is the article again
                block.append(sib)
                continue
            if sib.tag == "br" or (sib.tag == "hr" and not block):
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
        if parent is None or parent.tag in NEVER_BLOCK or parent in guard:
            return []
        if len(parent.text_content().strip()) > len(heading_text) + 12 and any(
            isinstance(sib.tag, str) and _has_link(sib) for sib in node.itersiblings(preceding=True)
        ):
            return []
        node = parent
    return []


def _heading_text(text: str) -> str:
    text = " ".join(text.split())
    return text.strip(_HEADING_STRIP).casefold()


def _in_menu(el: etree._Element, guard: set[etree._Element]) -> bool:
    """True when ``el`` is inside a link or a menu (where "Read more" is a link label)."""
    for anc in el.iterancestors():
        tag = anc.tag
        if anc in guard or tag in NEVER_BLOCK:
            continue
        if tag == "a" or tag == "nav":
            return True
        if anc.get("role") in _MENU_ROLES:
            return True
        marks = attrs(anc)
        if marks and _MENU_ATTR_RE.search(marks):
            return True
    return False


def _count_links(el: etree._Element, limit: int) -> int:
    """Links (``a``, ``area``) in ``el``, counted up to ``limit + 1``."""
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
