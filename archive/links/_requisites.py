"""What a page needs to look as it did: its stylesheets, images, scripts, icons, fonts and
media posters (Heritrix's "E" hops), from its HTML and from CSS.

HTML: ``<link rel>`` stylesheets, icons and preloads, ``img``/``source`` ``src`` and
``srcset`` with the lazy-loading attributes sites use (``data-src``, ``data-srcset``...),
``script src``, ``video poster``, ``video``/``audio``/``track src``, ``input type=image``,
and the ``url()`` values of ``style`` attributes and ``<style>`` blocks. CSS (a stylesheet,
or those attributes and blocks): ``@import`` and every ``url()``, read by tinycss2's
tokenizer, so comments and strings are what a browser takes them to be. URLs are made
absolute, safe and fragment-free as links are (:mod:`._urls`); ``data:`` URIs are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import tinycss2
from lxml import etree

from ._urls import base_root, document_base, resolve

__all__ = ["css_requisites", "page_requisites"]

_LINK_RELS = frozenset(
    {"stylesheet", "icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
)
_PRELOAD_AS = frozenset({"style", "script", "font", "image"})
_SRC_ATTRS = ("src", "data-src", "data-lazy-src", "data-original")
_SRCSET_ATTRS = ("srcset", "data-srcset")
_SRC_TAGS = ("script", "video", "audio", "track", "embed")  # (and input type=image)


def page_requisites(tree: etree._Element, base_url: str) -> list[str]:
    """The requisites of an HTML page, in document order, each once."""
    base = document_base(tree, base_url)
    return _resolved(_html_references(tree, base), base)


def css_requisites(css: str, base_url: str) -> list[str]:
    """The URLs a stylesheet imports or refers to (fonts, images), in order, each once."""
    return _resolved(_css_references(tinycss2.parse_stylesheet(css)), base_url)


def _resolved(values: Iterable[str], base: str) -> list[str]:
    """``values`` resolved against ``base`` (see :func:`resolve`), in order, each once."""
    root = base_root(base)
    urls = (resolve(base, root, value) for value in values)
    return list(dict.fromkeys(url for url in urls if url is not None))


def _html_references(tree: etree._Element, base: str) -> Iterator[str]:
    for el in tree.iter(etree.Element):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "link":
            rels = set((el.get("rel") or "").lower().split())
            if rels & _LINK_RELS or (
                rels & {"preload", "modulepreload"} and (el.get("as") or "script") in _PRELOAD_AS
            ):
                yield from _present(el.get("href"))
        elif tag in ("img", "source"):
            for name in _SRC_ATTRS:
                yield from _present(el.get(name))
            for name in _SRCSET_ATTRS:
                yield from _srcset(el.get(name))
        elif tag in _SRC_TAGS or (tag == "input" and (el.get("type") or "").lower() == "image"):
            yield from _present(el.get("src"))
            if tag == "video":
                yield from _present(el.get("poster"))
        elif tag == "style" and el.text:
            yield from _css_references(tinycss2.parse_stylesheet(el.text))
        style = el.get("style")
        if style and "url" in style.lower():
            yield from _css_references(tinycss2.parse_blocks_contents(style))


def _present(value: str | None) -> Iterator[str]:
    if value and not value.lstrip().lower().startswith(("data:", "javascript:")):
        yield value


def _srcset(value: str | None) -> Iterator[str]:
    """The URLs of a ``srcset``: each comma-separated candidate's first word (a URL holding
    a comma, rare, is cut there)."""
    if not value:
        return
    for candidate in value.split(","):
        parts = candidate.split()
        if parts:
            yield from _present(parts[0])


def _css_references(nodes: Iterable[object]) -> Iterator[str]:
    """``@import`` targets and ``url()`` values among parsed CSS nodes, depth first."""
    for node in nodes:
        kind = getattr(node, "type", None)
        if kind == "url":
            yield from _present(node.value)  # type: ignore[attr-defined]
        elif kind == "function" and node.lower_name == "url":  # type: ignore[attr-defined]
            strings = [t for t in node.arguments if t.type == "string"]  # type: ignore[attr-defined]
            if strings:
                yield from _present(strings[0].value)
        elif kind == "at-rule" and node.lower_at_keyword == "import":  # type: ignore[attr-defined]
            strings = [t for t in node.prelude if t.type == "string"]  # type: ignore[attr-defined]
            if strings:
                yield from _present(strings[0].value)
        for attribute in ("prelude", "content", "arguments", "value"):
            children = getattr(node, attribute, None)
            if isinstance(children, list):
                yield from _css_references(children)
