"""Seed sources: URL lists, seed files, sitemaps and RSS/Atom feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.utils.sitemap import Sitemap

__all__ = [
    "feed_dates",
    "feed_links",
    "read_seeds_file",
    "seed_problem",
    "seeds_file_lines",
    "sitemap_entries",
    "sitemap_lastmods",
]

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


def sitemap_lastmods(body: bytes) -> dict[str, datetime]:
    """``<lastmod>`` of the pages of a sitemap that give one (W3C datetime, UTC when no
    zone is given); unreadable dates are left out."""
    dates = {}
    for entry in Sitemap(body):
        loc, lastmod = entry.get("loc"), entry.get("lastmod")
        when = _iso_date(lastmod) if loc and lastmod else None
        if when is not None:
            dates[loc] = when
    return dates


def feed_dates(body: bytes, base_url: str) -> dict[str, datetime]:
    """The newest of ``<updated>``, ``<published>`` (Atom), ``<pubDate>`` and
    ``<dc:date>`` (RSS) of each item link of a feed that gives one."""
    dates: dict[str, datetime] = {}
    for element, links in _feed_items(body):
        if element.tag == f"{_ATOM}entry":
            stamps = [_iso_date(e.text) for e in element if _local(e) in ("updated", "published")]
        else:
            stamps = [_rfc822_date(e.text) for e in element if _local(e) == "pubDate"]
            stamps += [_iso_date(e.text) for e in element if _local(e) == "date"]
        known = [stamp for stamp in stamps if stamp is not None]
        for url in links:
            if known:
                dates[urljoin(base_url, url)] = max(known)
    return dates


def _local(element: etree._Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _iso_date(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rfc822_date(value: str | None) -> datetime | None:
    try:
        parsed = parsedate_to_datetime((value or "").strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Item links of an RSS 2.0 / RSS 1.0 / Atom feed, in feed order."""
    found = [urljoin(base_url, url) for _, links in _feed_items(body) for url in links]
    return list(dict.fromkeys(found))


def _feed_items(body: bytes) -> Iterator[tuple[etree._Element, list[str]]]:
    """Each Atom entry and RSS item of a feed, in feed order, with its link(s) as written."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(body, parser=parser)
    for element in root.iter() if root is not None else ():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == f"{_ATOM}entry":
            yield element, _atom_links(element)
        elif tag.rsplit("}", 1)[-1] == "item":
            link = element.find("link")
            if link is None:
                link = element.find("{http://purl.org/rss/1.0/}link")
            yield element, [link.text.strip()] if link is not None and link.text else []


def _atom_links(entry: etree._Element) -> list[str]:
    links = entry.findall(f"{_ATOM}link")
    preferred = [link for link in links if link.get("rel", "alternate") == "alternate"]
    return [link.get("href") for link in preferred[:1] if link.get("href")]
