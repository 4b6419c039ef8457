"""Discovery files (robots.txt, sitemap, RSS feed), the list pages that make the site look
like a site (front page, sections, tags, about pages)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime

from crawler.sample_site._chrome import (
    FOOTER,
    SECTIONS,
    SITE_NAME,
    TAGS,
    escape_text,
    info_path,
    slugify,
)
from crawler.sample_site._html import render_list
from crawler.sample_site._types import DISALLOWED_PREFIX, Page, Route, html_route

__all__ = ["discovery_routes", "list_routes"]

def discovery_routes(pages: list[Page], newest: list[Page], base_url: str) -> dict[str, Route]:
    """robots.txt (one disallowed prefix, the sitemap), the sitemap of every corpus article,
    and an RSS feed of the newest."""
    robots = f"User-agent: *\nDisallow: {DISALLOWED_PREFIX}\n\nSitemap: {base_url}/sitemap.xml\n"
    return {
        "/robots.txt": Route(
            200, (("Content-Type", "text/plain; charset=utf-8"),), robots.encode()
        ),
        "/sitemap.xml": Route(
            200, (("Content-Type", "application/xml; charset=utf-8"),), _sitemap(pages, base_url)
        ),
        "/rss.xml": Route(
            200, (("Content-Type", "application/rss+xml; charset=utf-8"),), _rss(newest, base_url)
        ),
    }


def list_routes(
    pages: list[Page], newest: list[Page], nav_only: str, base_url: str
) -> dict[str, Route]:
    """The front page (newest articles), the news and Chinese lists, one page per section and
    per tag, and the about pages the footer links."""

    def page(title: str, items: Iterable[tuple[str, str]]) -> Route:
        return html_route(render_list(title, items, nav_only, base_url))

    routes = {
        "/": page(SITE_NAME, ((p.text.title, p.path) for p in newest)),
        "/section/news.html": page("News", ((p.text.title, p.path) for p in pages)),
        "/section/chinese.html": page(
            "中文资讯", ((p.text.title, p.path) for p in pages if p.text.language != "en")
        ),
    }
    for name, slug in SECTIONS:
        items = ((p.text.title, p.path) for p in pages if p.text.section == name)
        routes[f"/section/{slug}.html"] = page(name, items)
    for tag in TAGS:
        items = (
            (p.text.title, p.path)
            for p in pages
            if tag.lower() in " ".join(p.text.paragraphs).lower()
        )
        routes[f"/tag/{slugify(tag)}.html"] = page(f"Tag: {tag}", items)
    for label in FOOTER:
        path = info_path(label)
        if path.startswith("/about/"):
            routes[path] = page(label, [("Back to the front page", "/")])
    return routes


def _sitemap(pages: list[Page], base_url: str) -> bytes:
    urls = "\n".join(
        f"  <url><loc>{escape_text(base_url + p.path)}</loc>"
        f"<lastmod>{p.text.published.isoformat()}</lastmod></url>"
        for p in pages
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n</urlset>\n"
    ).encode()


def _rss(pages: list[Page], base_url: str) -> bytes:
    items = []
    for p in pages:
        when = datetime.combine(p.text.published, datetime.min.time(), UTC)
        items.append(
            f"<item><title>{escape_text(p.text.title)}</title><link>{base_url}{p.path}</link>"
            f'<guid isPermaLink="true">{base_url}{p.path}</guid>'
            f"<pubDate>{format_datetime(when.replace(hour=9, minute=30))}</pubDate>"
            f"<description>{escape_text(p.text.paragraphs[0])}</description></item>"
        )
    joined = "\n".join(items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{SITE_NAME}</title><link>{base_url}/</link>"
        f"<description>Textile and garment industry news</description>\n{joined}\n"
        "</channel></rss>\n"
    ).encode()
