"""Assemble the sample site: give articles their roles (seed, redirect target, gzip, chunked,
unreachable) and charsets, link them, render every route and describe it all in a
`SiteManifest`. `build_site(base_url)` is pure: the same base URL always gives the same bytes.
The server (`server.py`) only looks routes up and writes them."""

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
from crawler.sample_site._content import ArticleText, corpus, special_texts
from crawler.sample_site._html import content_type, render_article, render_list
from crawler.sample_site._media import PICTURED, figure_html, static_routes
from crawler.sample_site._scripted import scripted_routes
from crawler.sample_site._special import (
    BAD_PATHS,
    NOT_FOUND_PATH,
    PDF_PATH,
    PDF_TITLE,
    SERVER_ERROR_PATH,
    bad_input_links,
    bad_input_routes,
    error_routes,
    ssrf_links,
    ssrf_targets,
    transport_routes,
)
from crawler.sample_site._types import (
    DISALLOWED_PREFIX,
    ArticleInfo,
    Page,
    Route,
    SiteManifest,
    html_route,
)

__all__ = ["build_site"]


def build_site(base_url: str, cdn_url: str | None = None) -> tuple[dict[str, Route], SiteManifest]:
    """Every route of the site served at `base_url`, by path, and the manifest; `cdn_url`:
    another host whose wire photo one article shows."""
    specials = special_texts()
    pages = [Page(t, _article_path(t)) for t in corpus()]

    # Roles. Unreachable: the four newest articles (so they are in the RSS feed); the first of
    # them is linked from the top menu as a "Special report".
    unreachable = pages[-4:]
    nav_only = unreachable[0]
    english = [p for p in pages[1:-4] if p.text.language == "en"]
    final = english[12]  # only reachable through the redirect chain
    gzip_page = english[4]
    chunked_page = english[7]
    pdf_holder = english[2]
    _declare_charsets(pages)

    # Related reading over the reachable pool, with the special links spread over it.
    pool = [p for p in pages if p not in unreachable and p is not final]
    redirect_chain = (f"/go/{final.text.key}", f"/moved/{final.text.key}", final.path)
    priv_pages = [
        Page(t, _article_path(t, "/private")) for t in (specials["private0"], specials["private1"])
    ]
    special_links: dict[int, list[tuple[str, str]]] = {
        2: [(final.text.title, redirect_chain[0])],
        3: [("Cotton Futures Weekly Review", NOT_FOUND_PATH)],
        5: [(priv_pages[0].text.title, priv_pages[0].path)],
        8: [("Live Yarn Price Index", SERVER_ERROR_PATH)],
        11: [(priv_pages[1].text.title, priv_pages[1].path)],
    }
    special_links.setdefault(pool.index(pdf_holder), []).append((PDF_TITLE, PDF_PATH))
    link_pool(pool, special_links)
    pdf_holder.attachment = (PDF_PATH, "Download the full report (PDF, 1 page)")
    specials_held = (gzip_page, chunked_page, pdf_holder, final)
    pictured = [p for p in english if p in pool and p not in specials_held][:PICTURED]
    for n, page in enumerate(pictured):
        page.figure = figure_html(n, page.text.key, escape_text(page.text.title), cdn_url)
    link_orphans([*unreachable, final, *priv_pages], pool)

    # Special pages outside the corpus.
    bad_hub = Page(specials["bad_input"], _article_path(specials["bad_input"]))
    ssrf_page = Page(specials["ssrf"], _article_path(specials["ssrf"]))
    malformed = Page(specials["malformed"], BAD_PATHS["malformed"])
    wrong = Page(specials["wrong_charset"], BAD_PATHS["wrong_charset"])
    bad_hub.related = bad_input_links(malformed, wrong)
    targets = ssrf_targets(base_url)
    ssrf_page.related = ssrf_links(targets)

    # Routes.
    popular = [(p.text.title, p.path) for p in pool[1:9]]
    newest = sorted(pages, key=lambda p: p.text.published, reverse=True)[:20]
    routes: dict[str, Route] = {}
    for page in [*pages, *priv_pages, bad_hub, ssrf_page]:
        html = render_article(page, base_url, nav_only.path, popular)
        codec = page.charset or "utf-8"
        routes[page.path] = html_route(html, content_type=content_type(page), codec=codec)
    routes.update(transport_routes(routes, gzip_page.path, chunked_page.path))
    routes.update(error_routes(base_url, redirect_chain))
    stall_links = [(p.text.title, p.path) for p in pool[:30]]
    seed_body = routes[pages[0].path].body
    routes.update(
        bad_input_routes(malformed, wrong, base_url, nav_only.path, popular, stall_links, seed_body)
    )
    routes.update(discovery_routes(pages, newest, base_url))
    routes.update(list_routes(pages, newest, nav_only.path, base_url))
    routes.update(static_routes([p.text.key for p in pictured]))
    routes.update(scripted_routes())  # linked from nowhere: not in the manifest's pages

    # Manifest.
    go_path, moved_path, _ = redirect_chain
    redirects = {go_path: moved_path, moved_path: final.path}
    corpus_paths = {p.path for p in pages}
    reachable = reach(pages[0].path, {p.path: p for p in pages}, redirects)
    infos = tuple(_info(p, p.path in reachable) for p in pages)
    extras = tuple(_info(p, False) for p in (*priv_pages, bad_hub, ssrf_page, malformed, wrong))
    if not (reachable <= corpus_paths and all(p.path not in reachable for p in unreachable)):
        raise AssertionError("sample site graph is inconsistent")
    manifest = SiteManifest(
        seed_path=pages[0].path,
        articles=infos,
        extra_articles=extras,
        disallowed_prefix=DISALLOWED_PREFIX,
        private_paths=tuple(p.path for p in priv_pages),
        redirect_chain=redirect_chain,
        gzip_path=gzip_page.path,
        chunked_path=chunked_page.path,
        not_found_path=NOT_FOUND_PATH,
        server_error_path=SERVER_ERROR_PATH,
        pdf_path=PDF_PATH,
        sitemap_path="/sitemap.xml",
        rss_path="/rss.xml",
        robots_path="/robots.txt",
        nav_only_path=nav_only.path,
        bad_input_page=bad_hub.path,
        malformed_path=malformed.path,
        wrong_charset_path=wrong.path,
        binary_path=BAD_PATHS["binary"],
        huge_path=BAD_PATHS["huge"],
        reset_path=BAD_PATHS["reset"],
        stall_path=BAD_PATHS["stall"],
        short_path=BAD_PATHS["short"],
        ssrf_page=ssrf_page.path,
        ssrf_targets=targets,
        rss_paths=tuple(p.path for p in newest),
        pictured_paths=tuple(p.path for p in pictured),
    )
    return routes, manifest


def _article_path(text: ArticleText, prefix: str = "/news") -> str:
    d = text.published
    return f"{prefix}/{d.year}/{d.month:02d}/{text.key}.html"


def _declare_charsets(pages: list[Page]) -> None:
    """Legacy encodings: three GBK and three Big5 pages, declared in the header and the page,
    in the header only or in the page only; one UTF-8 page declares no charset at all."""
    hans = [p for p in pages if p.text.language == "zh-Hans"]
    hant = [p for p in pages if p.text.language == "zh-Hant"]
    for p, declare in zip((hans[1], hans[3], hans[5]), ("both", "header", "meta"), strict=True):
        p.charset, p.declare = "gbk", declare
    hans[7].charset, hans[7].declare = None, "none"
    for p, declare in zip((hant[1], hant[4], hant[6]), ("both", "meta", "header"), strict=True):
        p.charset, p.declare = "big5", declare


def _info(page: Page, reachable: bool) -> ArticleInfo:
    """What the manifest says of one article."""
    return ArticleInfo(
        path=page.path,
        title=page.text.title,
        language=page.text.language,
        charset=page.charset,
        section=page.text.section,
        published=page.text.published.isoformat(),
        paragraphs=page.text.paragraphs,
        related_titles=tuple(t for _, t, _ in page.related),
        related_paths=tuple(h for _, _, h in page.related),
        reachable=reachable,
    )


# The related-reading graph. Over the pool of reachable articles a ring (k -> k+1) keeps
# everything reachable from the seed and strided extra links make it a web; pages kept out of
# the pool link into it, but nothing in it links back. `reach` walks the graph as a crawler
# that follows related links and redirects, and obeys robots.txt, would.
def link_pool(pool: list[Page], special_links: dict[int, list[tuple[str, str]]]) -> None:
    """Give each page of the pool 2 to 8 related links: picks from the pool, then the
    (title, href) links `special_links` holds for its index. Every fourth page also gets a
    link inside its second paragraph."""
    m = len(pool)
    for k, page in enumerate(pool):
        n_links = 3 + (k * 5) % 6
        extra = special_links.get(k, [])
        picks: list[Page] = []
        for step in (1, 7 * k + 3, 13 * k + 5, k + m // 2, 3 * k + 11, 5 * k + 2, 11 * k + 1, 2):
            cand = pool[(k + step) % m] if step in (1, 2) else pool[step % m]
            if cand is not page and cand not in picks:
                picks.append(cand)
        picks = picks[: max(2, n_links - len(extra))]
        page.related = [(_label(c), c.text.title, c.path) for c in picks]
        page.related += [("", t, h) for t, h in extra]
        if k % 4 == 1:
            page.body_links[1] = pool[(k + 5) % m].path


def link_orphans(orphans: list[Page], pool: list[Page]) -> None:
    """Four related links into the pool for each page outside it."""
    m = len(pool)
    for j, page in enumerate(orphans):
        picks = [pool[(j * 9 + s) % m] for s in (0, 4, 17, 30)]
        page.related = [(_label(c), c.text.title, c.path) for c in picks]


def reach(seed: str, pages: dict[str, Page], redirects: dict[str, str]) -> set[str]:
    """Article paths reachable from the seed through related links (and redirects)."""
    seen = {seed}
    todo = [seed]
    while todo:
        for _, _, href in pages[todo.pop()].related:
            while href in redirects:
                href = redirects[href]
            if href in pages and href not in seen and not href.startswith(DISALLOWED_PREFIX):
                seen.add(href)
                todo.append(href)
    return seen


def _label(page: Page) -> str:
    """The label a `related`-style block shows before a link: English articles' section."""
    return page.text.section if page.text.language == "en" else ""


# Discovery files (robots.txt, sitemap, RSS feed), the list pages that make the site look
# like a site (front page, sections, tags, about pages).
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
