"""Page requisites: the stylesheets, images, fonts and scripts a captured page loads, fetched
so that replay shows the page as it looked (Heritrix's embeds, "E" hops).

Which ones (``--requisites``, ``WARCLOOM_REQUISITES``): ``none``; ``same-site`` (default)
those on the page's registrable domain (eTLD+1, from the public suffix list bundled with
tldextract: nothing is downloaded); ``all`` those of any host, or with
``WARCLOOM_REQUISITES_HOSTS`` the same site's and the named hosts' (and their subdomains).
A requisite is fetched once per crawl (the frontier's seen set), obeys robots.txt and the
per-host delays like any request, has its own size cap (``WARCLOOM_REQUISITE_MAXSIZE``), is
stored as request and response records, is never analysed nor followed for links, and
counts for no depth. A stylesheet's own imports, fonts and images are requisites too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import tldextract

__all__ = ["REQUISITE", "REQUISITE_MODES", "RequisitePolicy", "registrable_domain"]

REQUISITE = "warcloom_requisite"  # meta: the request fetches a page's requisite
REQUISITE_MODES = ("none", "same-site", "all")
RequisiteMode = Literal["none", "same-site", "all"]


@dataclass(frozen=True)
class RequisitePolicy:
    """Which requisites of a page to fetch, and how big one may be."""

    mode: RequisiteMode = "same-site"
    hosts: frozenset[str] = frozenset()
    max_size: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.mode not in REQUISITE_MODES:
            raise ValueError(f"requisites must be one of {REQUISITE_MODES}, got {self.mode!r}")
        if self.max_size < 0:
            raise ValueError(f"requisite max size must be >= 0, got {self.max_size}")

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def allows(self, page_url: str, url: str) -> bool:
        """Whether ``url``, a requisite of the page at ``page_url``, is to be fetched."""
        if self.mode == "none":
            return False
        host = _host(url)
        if registrable_domain(host) == registrable_domain(_host(page_url)):
            return True
        if self.mode == "same-site":
            return False
        return not self.hosts or any(host == h or host.endswith("." + h) for h in self.hosts)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


@functools.lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """``news.example.co.uk`` -> ``example.co.uk``; an IP address or a name without a public
    suffix (``localhost``) is its own site."""
    return _extractor()(host).top_domain_under_public_suffix or host


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    """The list bundled with tldextract (private suffixes such as github.io included, as
    browsers count sites): no download, no cache written."""
    import tldextract  # loaded on first use

    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )
