"""A small news site that changes between crawls, served on 127.0.0.1 for recrawl tests.

Articles have a title, paragraphs, a "Related reading" list and a sidebar counter (the
boilerplate that changes on every edit of the site). The site answers conditional requests
(ETag, Last-Modified) unless told to ignore them, and lists its articles in
``/sitemap.xml`` with their ``<lastmod>``.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler

from scripted_server import ScriptedServer

BASE_DATE = datetime(2026, 1, 5, 8, tzinfo=UTC)
STYLE_ASSETS = {
    "/static/mill.css": (
        b'@font-face{font-family:Mill;src:url("/static/mill.woff2")}body{font-family:Mill}',
        "text/css",
    ),
    "/static/mill.woff2": (b"wOF2" + bytes(60), "font/woff2"),
}


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    related: list[str] = field(default_factory=list)
    version: int = 0  # bumped on every change of the page's bytes
    modified: datetime = BASE_DATE  # when it was last changed

    def changed(self) -> None:
        self.version += 1
        self.modified = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


class NewsSite:
    """``articles`` (path -> Article) and a home page linking ``home_links``."""

    def __init__(
        self,
        articles: int = 8,
        *,
        conditional: bool = True,
        styled: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        self.conditional = conditional
        # styled: pages load a stylesheet that loads a web font (requisites)
        self.assets = dict(STYLE_ASSETS) if styled else {}
        self.counter = 1  # the sidebar's "readers online": boilerplate
        self.articles: dict[str, Article] = {}
        for i in range(articles):
            path = f"/news/{i}.html"
            self.articles[path] = Article(
                title=f"Mill report {i}",
                paragraphs=[
                    f"Paragraph one of report {i} on the cotton mills of the delta region.",
                    f"Paragraph two of report {i}: spinning capacity rose by {i} per cent.",
                    f"Paragraph three of report {i} quotes the association's chair at length.",
                ],
                related=[f"/news/{(i + 1) % articles}.html", f"/news/{(i + 2) % articles}.html"],
            )
        self.home_links = list(self.articles)
        self.server = ScriptedServer(self._handle, host)

    def __enter__(self) -> NewsSite:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def url(self, path: str) -> str:
        return self.server.url(path)

    # -- changes between crawls -------------------------------------------------------------

    def edit(self, path: str, paragraph: int, text: str) -> None:
        article = self.articles[path]
        article.paragraphs[paragraph] = text
        article.changed()

    def touch_boilerplate(self, path: str) -> None:
        """The page's bytes change (its sidebar counter), its article does not."""
        self.articles[path].changed()

    def remove(self, path: str) -> None:
        del self.articles[path]

    def add(self, path: str, title: str, linked_from: str | None = None) -> None:
        self.articles[path] = article = Article(
            title=title,
            paragraphs=[f"{title}: a new report on the mills.", "A second paragraph of it."],
        )
        article.changed()
        if linked_from is None:
            self.home_links.append(path)
        else:
            self.articles[linked_from].related.append(path)
            self.articles[linked_from].changed()

    # -- serving ---------------------------------------------------------------------------

    def page(self, path: str) -> tuple[bytes, datetime] | None:
        if path == "/":
            items = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.home_links)
            stamp = max(a.modified for a in self.articles.values())
            body = (
                f"<html><head><title>Mill News</title></head><body><ul>{items}</ul></body></html>"
            )
            return body.encode(), stamp
        article = self.articles.get(path)
        if article is None:
            return None
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
        related = "".join(f'<li><a href="{p}">{html.escape(p)}</a></li>' for p in article.related)
        style = "".join(f'<link rel="stylesheet" href="{p}">' for p in self.assets if ".css" in p)
        body = (
            f"<html><head><title>{html.escape(article.title)}</title>{style}</head><body>"
            '<nav><a href="/">Home</a></nav>'
            f"<article><h1>{html.escape(article.title)}</h1>{paragraphs}</article>"
            f'<aside class="sidebar">Readers online: {1000 + 37 * article.version}</aside>'
            f'<div class="related"><h3>Related reading</h3><ul>{related}</ul></div>'
            "<footer>Mill News, all rights reserved</footer></body></html>"
        )
        return body.encode(), article.modified

    def sitemap(self) -> bytes:
        urls = "".join(
            f"<url><loc>{self.url(path)}</loc>"
            f"<lastmod>{article.modified.isoformat()}</lastmod></url>"
            for path, article in self.articles.items()
        )
        return (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>"
        ).encode()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        if path == "/robots.txt":
            return _send(handler, 200, b"User-agent: *\nAllow: /\n", "text/plain", {})
        if path == "/sitemap.xml":
            return _send(handler, 200, self.sitemap(), "application/xml", {})
        if path in self.assets:
            content, content_type = self.assets[path]
            found: tuple[bytes, datetime] | None = (content, BASE_DATE)
        else:
            content_type = "text/html; charset=utf-8"
            found = self.page(path)
        if found is None:
            return _send(handler, 404, b"<html><body>Not found</body></html>", "text/html", {})
        body, modified = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if self.conditional and _not_modified(handler, etag, modified):
            return _send(handler, 304, b"", None, validators)
        headers = validators if self.conditional else {}
        return _send(handler, 200, body, content_type, headers)


def _not_modified(handler: BaseHTTPRequestHandler, etag: str, modified: datetime) -> bool:
    if_none = handler.headers.get("If-None-Match")
    if if_none is not None:
        return etag in [tag.strip() for tag in if_none.split(",")]
    since = handler.headers.get("If-Modified-Since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str | None,
    headers: dict[str, str],
) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in headers.items():
        handler.send_header(name, value)
    if status != 304:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if status != 304:
        handler.wfile.write(body)
