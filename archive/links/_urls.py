"""Link URLs made absolute, safe and fragment-free, cheaply.

:func:`resolve` keys its cache on as little of the page URL as an ``href`` depends on: nothing
for an absolute ``href``, the site root for a root-relative one. So the cache serves every page
of a site, and most URLs skip :func:`w3lib.url.safe_url_string` through a regex that recognises
the ones it would return unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree
from w3lib.url import safe_url_string

__all__ = ["absolute", "base_root", "document_base", "resolve"]

_HTTP_PREFIXES = ("http://", "https://")
_URL_WS = re.compile(r"[\t\n\r]")
# ASCII URLs that safe_url_string would return unchanged (checked against it in the tests).
_ALREADY_SAFE = re.compile(
    r"https?://[a-z0-9.-]+(?::[0-9]+)?"
    r"(?:/[A-Za-z0-9\-._~:/@!$&*+,;=%()']*(?:\?[A-Za-z0-9\-._~:/?@!$&*+,;=%]*)?)?"
)


def document_base(tree: etree._Element, base_url: str) -> str:
    """The page's base URL: its first ``<base href>`` when that is http(s), else ``base_url``."""
    base = tree.getroottree().getroot().find(".//base[@href]")
    if base is not None:
        joined = urljoin(base_url, base.get("href", "").strip())
        if joined[:8].lower().startswith(_HTTP_PREFIXES):
            return joined
    return base_url


def base_root(base: str) -> str:
    """``scheme://host/`` of ``base`` (``base`` itself when it has no scheme)."""
    scheme, sep, rest = base.partition("://")
    if not sep:
        return base
    return scheme + sep + rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] + "/"


def resolve(base: str, root: str, href: str) -> str | None:
    """The URL an ``href`` attribute points to (see :func:`absolute`), or None to skip it.

    ``root`` is :func:`base_root` of ``base``. Surrounding whitespace and tabs or newlines inside
    are dropped, as browsers do; an empty or fragment-only ``href`` gives None.
    """
    href = _URL_WS.sub("", href.strip(" \t\n\r\f"))
    if not href or href[0] == "#":
        return None
    if href.startswith(_HTTP_PREFIXES):
        return absolute("", href)
    if href[:1] == "/" and href[1:2] != "/":
        return absolute(root, href)
    return absolute(base, href)


@lru_cache(maxsize=16384)
def absolute(base: str, href: str) -> str | None:
    """Absolute, safe, fragment-free http(s) URL for ``href``, or None to skip it.

    ``base`` is "" for an absolute ``href`` and the site root for a root-relative one (see
    :func:`resolve`), so the cache serves every page of a site for those.
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
