"""Every link of a page, typed by the region it sits in, the URLs a crawler follows, and
the requisites a page loads (:mod:`archive.links._requisites`).

The public names live in :mod:`archive.links._extract` (:func:`extract_links`,
:func:`page_links`, :func:`follow_urls`, :class:`Link`, :class:`LinkRules`). The pieces it
hides: URLs in :mod:`archive.links._urls`, related-reading blocks in
:mod:`archive.links._related`, the article body and the other regions in
:mod:`archive.links._regions`.
"""

from __future__ import annotations

from ._extract import (
    Link,
    LinkRules,
    Region,
    extract_links,
    follow_urls,
    page_links,
)
from ._requisites import css_requisites, page_requisites

__all__ = [
    "Link",
    "LinkRules",
    "Region",
    "css_requisites",
    "extract_links",
    "follow_urls",
    "page_links",
    "page_requisites",
]
