"""Seed sources: URL lists, seed files, sitemaps and RSS/Atom feeds."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.utils.sitemap import Sitemap

__all__ = ["feed_links", "read_seeds_file", "seed_problem", "seeds_file_lines", "sitemap_entries"]

_ATOM = "{http://www.w3.org/2005/Atom}"


def read_seeds_file(path: str | Path) -> list[str]:
    """One URL per line; blank lines and ``#`` comments ignored."""
    return [url for _, url in seeds_file_lines(path)]


def seeds_file_lines(path: str | Path) -> list[tuple[int, str]]:
    """``(line number, URL)`` of each URL of a seeds file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [
        (number, line.strip())
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def seed_problem(url: str) -> str | None:
    """Why a crawl cannot start from ``url``, as ``"<url> ..."`` (None: it can)."""
    if "://" not in url:
        return f"{url} has no scheme: did you mean http://{url.lstrip('/')}?"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"{url}: only http and https URLs can be crawled"
    if not parts.hostname:
        return f"{url} has no host"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"{url}: the port is not a number from 0 to 65535"
    return None


def sitemap_entries(body: bytes) -> tuple[list[str], list[str]]:
    """``(page_urls, child_sitemap_urls)`` of a sitemap or sitemap index."""
    sitemap = Sitemap(body)
    locations = [entry["loc"] for entry in sitemap if entry.get("loc")]
    if sitemap.type == "sitemapindex":
        return [], locations
    return locations, []


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Item links of an RSS 2.0 / RSS 1.0 / Atom feed, in feed order."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(body, parser=parser)
    if root is None:
        return []
    found: list[str] = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == f"{_ATOM}entry":
            found.extend(_atom_links(element))
        elif tag.rsplit("}", 1)[-1] == "item":
            link = element.find("link")
            if link is None:
                link = element.find("{http://purl.org/rss/1.0/}link")
            if link is not None and link.text:
                found.append(link.text.strip())
    return _unique(urljoin(base_url, url) for url in found)


def _atom_links(entry: etree._Element) -> list[str]:
    links = entry.findall(f"{_ATOM}link")
    preferred = [link for link in links if link.get("rel", "alternate") == "alternate"]
    return [link.get("href") for link in preferred[:1] if link.get("href")]


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
