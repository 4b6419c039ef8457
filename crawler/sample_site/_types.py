"""The sample site's data: `Route` (one response as served, built by `html_route` for pages),
`Page` (an article page before rendering), and the `SiteManifest` of `ArticleInfo` that tests
check the crawl against."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.sample_site._content import ArticleText

__all__ = ["DISALLOWED_PREFIX", "ArticleInfo", "Page", "Route", "SiteManifest", "html_route"]

DISALLOWED_PREFIX = "/private/"


@dataclass(frozen=True)
class ArticleInfo:
    path: str
    title: str
    language: str  # "en", "zh-Hans", "zh-Hant"
    charset: str | None  # as served: "utf-8", "gbk", "big5", or None when undeclared
    section: str
    published: str  # ISO date
    paragraphs: tuple[str, ...]
    related_titles: tuple[str, ...]
    related_paths: tuple[str, ...]  # hrefs as written: site paths, or absolute URLs
    reachable: bool = False


@dataclass(frozen=True)
class SiteManifest:
    seed_path: str
    articles: tuple[ArticleInfo, ...]  # the corpus: all in the sitemap
    extra_articles: tuple[ArticleInfo, ...]  # private, bad-input hub, SSRF page, bad pages
    disallowed_prefix: str
    private_paths: tuple[str, ...]
    redirect_chain: tuple[str, ...]
    gzip_path: str
    chunked_path: str
    not_found_path: str
    server_error_path: str
    pdf_path: str
    sitemap_path: str
    rss_path: str
    robots_path: str
    nav_only_path: str  # unreachable article linked from the top menu
    bad_input_page: str
    malformed_path: str
    wrong_charset_path: str
    binary_path: str
    huge_path: str
    reset_path: str
    stall_path: str
    short_path: str
    ssrf_page: str
    ssrf_targets: tuple[str, ...]
    rss_paths: tuple[str, ...]  # article paths listed in the RSS feed, newest first
    pictured_paths: tuple[str, ...] = ()  # articles with a picture (requisites)

    @property
    def bad_input_paths(self) -> tuple[str, ...]:
        return (
            self.malformed_path,
            self.wrong_charset_path,
            self.binary_path,
            self.huge_path,
            self.reset_path,
            self.stall_path,
            self.short_path,
        )

    def article(self, path: str) -> ArticleInfo:
        for info in self.articles + self.extra_articles:
            if info.path == path:
                return info
        raise KeyError(path)

    def by_language(self, language: str) -> tuple[ArticleInfo, ...]:
        return tuple(a for a in self.articles if a.language == language)


@dataclass(frozen=True)
class Route:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    mode: str = "plain"  # plain | chunked | reset | stall | short
    reason: str | None = None  # reason phrase; None: the standard one


@dataclass
class Page:
    """An article page to render: its text, where it is served, how its charset is declared,
    and the links the site graph gives it."""

    text: ArticleText
    path: str
    charset: str | None = "utf-8"
    declare: str = "both"  # both | header | meta | none
    related: list[tuple[str, str, str]] = field(default_factory=list)  # (label, title, href)
    body_links: dict[int, str] = field(default_factory=dict)  # paragraph index -> href
    attachment: tuple[str, str] | None = None  # (href, text)
    figure: str = ""  # the article's picture, as HTML


def html_route(
    body: str | bytes,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    codec: str = "utf-8",
    mode: str = "plain",
) -> Route:
    """A page route: `body` encoded with `codec`, characters it cannot hold as references."""
    raw = body if isinstance(body, bytes) else body.encode(codec, errors="xmlcharrefreplace")
    return Route(status, (("Content-Type", content_type),), raw, mode)
