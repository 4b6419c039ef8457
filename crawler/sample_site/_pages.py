"""Render the sample site: every route as bytes in memory, plus the manifest tests check.

`build_site(base_url)` is pure: the same base URL always gives the same bytes. The server
(`server.py`) only looks routes up and writes them.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from crawler.sample_site._content import ArticleText, corpus, special_texts

__all__ = ["ArticleInfo", "Route", "SiteManifest", "build_site"]

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
class _Page:
    text: ArticleText
    path: str
    charset: str | None = "utf-8"
    declare: str = "both"  # both | header | meta | none
    related: list[tuple[str, str, str]] = field(default_factory=list)  # (label, title, href)
    body_links: dict[int, str] = field(default_factory=dict)  # paragraph index -> href
    attachment: tuple[str, str] | None = None  # (href, text)


# --------------------------------------------------------------------------------------------
# Site chrome
# --------------------------------------------------------------------------------------------

SITE_NAME = "China Textile Herald"
_CHROME = {
    "en": {
        "home": "Home",
        "news": "News",
        "popular": "Most popular",
        "tags": "Tags",
        "share": "Share to",
        "comment": "Post a comment",
        "submit": "Submit",
        "by": "By",
        "source": "Source: China Textile Herald",
    },
    "zh-Hans": {
        "home": "首页",
        "news": "资讯",
        "popular": "热门文章",
        "tags": "标签",
        "share": "分享到",
        "comment": "发表评论",
        "submit": "提交",
        "by": "作者：",
        "source": "来源：中国纺织导报",
    },
    "zh-Hant": {
        "home": "首頁",
        "news": "資訊",
        "popular": "熱門文章",
        "tags": "標籤",
        "share": "分享到",
        "comment": "發表評論",
        "submit": "送出",
        "by": "作者：",
        "source": "來源：中國紡織導報",
    },
}
_HTML_LANG = {"en": "en", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}
_SECTIONS = (
    ("Market watch", "market-watch"),
    ("Foreign trade", "foreign-trade"),
    ("E-commerce", "e-commerce"),
    ("Enterprise information", "enterprise"),
    ("Footwear industry dynamics", "footwear"),
    ("Expo news", "expo"),
    ("Sustainability", "sustainability"),
    ("Logistics", "logistics"),
    ("Brand news", "brands"),
    ("Policy", "policy"),
    ("Labour", "labour"),
)
_TAGS = (
    "cotton",
    "silk",
    "exports",
    "footwear",
    "dyeing",
    "wages",
    "Zhejiang",
    "Guangdong",
    "Taiwan",
    "online",
)
_FOOTER = (
    "About us",
    "Contact us",
    "Advertise",
    "Privacy policy",
    "Terms of use",
    "Copyright notice",
    "Careers",
    "Subscribe",
    "Newsletter",
    "Mobile edition",
    "Partners",
    "Editorial policy",
    "Corrections",
    "Help",
    "Feedback",
    "Media kit",
    "Events",
    "Archive",
    "RSS",
    "Sitemap",
)
_FOOTER_HREF = {"Archive": "/section/news.html", "RSS": "/rss.xml", "Sitemap": "/sitemap.xml"}
_RELATED_STYLES = {
    "en": ("related", "see-also", "read-more", "xgyd"),
    "zh-Hans": ("xgyd", "yanshen", "tuijian", "related"),
    "zh-Hant": ("plain-hant", "see-also", "plain-hant", "related"),
}


def _text(value: str) -> str:
    """Escape for a text node: quotes stay as they are, like most CMS output."""
    return escape(value, quote=False)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _info_path(label: str) -> str:
    return _FOOTER_HREF.get(label, f"/about/{_slug(label)}.html")


def _section_path(section: str) -> str:
    for name, slug in _SECTIONS:
        if name == section:
            return f"/section/{slug}.html"
    return "/section/chinese.html" if not section.isascii() else "/section/news.html"


def _head(title: str, lang: str, meta_charset: str, extra: str, canonical: str) -> str:
    config = json.dumps(
        {
            "channel": "news",
            "lang": lang,
            "adSlots": ["top-banner", "sidebar-1", "sidebar-2"],
            "loadingText": "Loading comments, please wait...",
            "shareText": "Share this article </> with friends",
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    return f"""<head>
{meta_charset}<title>{_text(title)} - {SITE_NAME}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{escape(title)}">
<meta name="keywords" content="textile, garment, cotton, trade, e-commerce, 纺织, 服装">
<meta name="robots" content="index,follow">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:title" content="{escape(title)}">
<link rel="canonical" href="{canonical}">
<link rel="stylesheet" href="/static/site.css">
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="/rss.xml">
<script>
  var _hmt = _hmt || [];
  window.siteConfig = {config};
  (function () {{
    var hm = document.createElement("script");
    hm.src = "/static/site.js?v=20150101";
    var s = document.getElementsByTagName("script")[0];
    if (s && s.parentNode) {{ s.parentNode.insertBefore(hm, s); }}
    document.write("<div class='js-banner'>Advertisement: trade fair tickets on sale</div>");
  }})();
</script>
{extra}</head>"""


def _header(lang: str, nav_only_path: str) -> str:
    nav = [("Home", "/"), ("News", "/section/news.html")]
    nav += [(name, f"/section/{slug}.html") for name, slug in _SECTIONS[:10]]
    nav += [("Special report", nav_only_path), ("中文资讯", "/section/chinese.html")]
    nav += [("繁體版", "/section/chinese.html?variant=hant")]
    items = "\n".join(f'    <li><a href="{escape(h)}">{_text(t)}</a></li>' for t, h in nav)
    return f"""<div id="topbar"><a href="/about/subscribe.html">Subscribe</a> |
<a href="/about/mobile-edition.html">Mobile</a> | <a href="/rss.xml">RSS</a></div>
<header class="site-header">
  <a class="logo" href="/"><img src="/static/logo.gif" alt="{SITE_NAME}"
     width="180" height="48"></a>
  <form class="search" action="/search" method="get"><input name="q" placeholder="Search">
  <button>Search</button></form>
  <nav class="main-nav"><ul>
{items}
  </ul></nav>
</header>"""


def _sidebar(lang: str, popular: list[tuple[str, str]]) -> str:
    c = _CHROME[lang]
    pop = "\n".join(f'      <li><a href="{h}">{_text(t)}</a></li>' for t, h in popular)
    tags = " ".join(f'<a href="/tag/{_slug(t)}.html">{_text(t)}</a>' for t in _TAGS)
    return f"""<aside class="sidebar">
  <div class="ad ad-300x250"><a href="http://ads.example.com/click?slot=sidebar-1&amp;id=7781"
     rel="nofollow"><img src="/static/ad-300x250.gif" alt="Advertisement"
     width="300" height="250"></a></div>
  <div class="box popular"><h3>{c["popular"]}</h3>
    <ol>
{pop}
    </ol></div>
  <div class="box tags"><h3>{c["tags"]}</h3><p>{tags}</p></div>
  <div class="ad ad-text">Sponsored: <a href="http://ads.example.com/click?slot=sidebar-2&amp;id=913"
     rel="nofollow">Bulk polyester yarn, factory prices, fast delivery</a></div>
</aside>"""


def _footer() -> str:
    links = " |\n".join(f'  <a href="{_info_path(t)}">{t}</a>' for t in _FOOTER)
    return f"""<footer class="site-footer">
<div class="links">
{links}
</div>
<p class="copyright">Copyright &copy; 2008-2015 {SITE_NAME}. All rights reserved.
Reproduction without permission is prohibited. ICP 08001234</p>
<script src="/static/site.js"></script>
</footer>"""


def _share_and_comments(lang: str, path: str) -> str:
    c = _CHROME[lang]
    return f"""<div class="share-widget">{c["share"]}:
  <a class="wechat" href="javascript:void(0)" data-url="{path}">Share to WeChat</a>
  <a class="weibo" href="/share?to=weibo&amp;url={path}">Share to Weibo</a>
  <a class="twitter" href="/share?to=twitter&amp;url={path}">Share to Twitter</a>
</div>
<div id="comments"><h3>{c["comment"]}</h3>
<form action="/comment" method="post">
  <input type="hidden" name="article" value="{path}">
  <input name="nick" placeholder="Nickname"> <textarea name="body" rows="4"></textarea>
  <button type="submit">{c["submit"]}</button>
</form>
<p class="comment-count">0 comments</p></div>"""


def _related_block(style: str, items: list[tuple[str, str, str]]) -> str:
    def a(title: str, href: str) -> str:
        return f'<a href="{escape(href)}">{_text(title)}</a>'

    if style == "related":
        lis = "\n".join(
            f"  <li>{_text(label)} | {a(t, h)}</li>" if label else f"  <li>{a(t, h)}</li>"
            for label, t, h in items
        )
        return f'<div class="related"><h3>Related reading</h3>\n<ul>\n{lis}\n</ul></div>'
    if style == "see-also":
        lis = "\n".join(f"  <li>{a(t, h)}</li>" for _, t, h in items)
        return f'<section id="see-also"><h2>See also</h2>\n<ul>\n{lis}\n</ul></section>'
    if style == "read-more":
        lis = "\n".join(f"  <p>{a(t, h)}</p>" for _, t, h in items)
        return f'<aside class="read-more"><h4>Read more</h4>\n{lis}\n</aside>'
    if style == "xgyd":
        lis = "\n".join(f"  <li>{a(t, h)}</li>" for _, t, h in items)
        return f'<div class="xgyd"><div class="tit">相关阅读</div>\n<ul>\n{lis}\n</ul></div>'
    if style == "yanshen":
        lis = "\n".join(f"  <dd>{a(t, h)}</dd>" for _, t, h in items)
        return f'<div class="box2"><dl><dt>延伸阅读</dt>\n{lis}\n</dl></div>'
    if style == "tuijian":
        lis = "\n".join(f'  <li class="item">{a(t, h)}</li>' for _, t, h in items)
        return (
            f'<div class="mod-b"><h3 class="hd">推荐阅读</h3>\n<ul class="bd">\n{lis}\n</ul></div>'
        )
    if style == "plain-hant":
        links = "<br>\n".join(a(t, h) for _, t, h in items)
        return f'<div class="c3"><strong>相關閱讀</strong><p>\n{links}\n</p></div>'
    raise ValueError(style)


def _body_paragraphs(page: _Page) -> str:
    out = []
    for i, par in enumerate(page.text.paragraphs):
        html = _text(par)
        href = page.body_links.get(i)
        if href:
            cut = _anchor_cut(par, page.text.language)
            html = f'<a href="{href}">{_text(par[:cut])}</a>{_text(par[cut:])}'
        out.append(f"<p>{html}</p>")
    return "\n".join(out)


def _anchor_cut(par: str, language: str) -> int:
    if language != "en":
        return 8
    words = par.split(" ")
    return len(" ".join(words[:5]))


def _meta_charset(page: _Page) -> str:
    if page.charset is None or page.declare in ("header", "none"):
        return ""
    if page.declare == "meta":
        return f'<meta http-equiv="Content-Type" content="text/html; charset={page.charset}">\n'
    return f'<meta charset="{page.charset}">\n'


def _content_type(page: _Page) -> str:
    if page.charset is None or page.declare in ("meta", "none"):
        return "text/html"
    return f"text/html; charset={page.charset}"


def _render_article(
    page: _Page, base_url: str, nav_only: str, popular: list[tuple[str, str]]
) -> str:
    text = page.text
    lang = text.language
    c = _CHROME[lang]
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": text.title,
            "datePublished": text.published.isoformat(),
            "author": {"@type": "Person", "name": text.author},
            "publisher": {"@type": "Organization", "name": SITE_NAME},
            "inLanguage": _HTML_LANG[lang],
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    head = _head(
        text.title,
        lang,
        _meta_charset(page),
        f'<script type="application/ld+json">{ld}</script>\n',
        base_url + page.path,
    )
    style_list = _RELATED_STYLES[lang]
    style = style_list[sum(map(ord, page.path)) % len(style_list)]
    related = _related_block(style, page.related) if page.related else ""
    attach = ""
    if page.attachment:
        href, label = page.attachment
        attach = f'<p class="attachment"><a href="{href}">{_text(label)}</a></p>'
    crumbs = (
        f'<a href="/">{c["home"]}</a> &gt; <a href="/section/news.html">{c["news"]}</a> &gt; '
        f'<a href="{_section_path(text.section)}">{_text(text.section)}</a>'
    )
    return f"""<!DOCTYPE html>
<html lang="{_HTML_LANG[lang]}">
{head}
<body class="article-page">
{_header(lang, nav_only)}
<div class="breadcrumbs">{crumbs}</div>
<div id="wrap">
<div class="main-col">
<article class="news-article">
<h1>{_text(text.title)}</h1>
<div class="byline"><span class="date">{text.published.isoformat()} 09:30</span>
<span class="author">{c["by"]} {_text(text.author)}</span>
<span class="source">{c["source"]}</span></div>
<div class="article-content" id="content">
{_body_paragraphs(page)}
{attach}
</div>
</article>
{related}
{_share_and_comments(lang, page.path)}
</div>
{_sidebar(lang, popular)}
</div>
{_footer()}
</body>
</html>
"""


def _render_list(title: str, links: Iterable[tuple[str, str]], nav_only: str, base_url: str) -> str:
    items = "\n".join(f'<li><a href="{h}">{_text(t)}</a></li>' for t, h in links)
    return f"""<!DOCTYPE html>
<html lang="en">
{_head(title, "en", '<meta charset="utf-8">' + chr(10), "", base_url + "/")}
<body class="list-page">
{_header("en", nav_only)}
<div id="wrap"><h1>{_text(title)}</h1>
<ul class="article-list">
{items}
</ul></div>
{_footer()}
</body>
</html>
"""


# --------------------------------------------------------------------------------------------
# Special bodies
# --------------------------------------------------------------------------------------------


def _pdf_bytes(text: str) -> bytes:
    """A one-page PDF with a correct xref table, built by hand."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _malformed_html(text: ArticleText) -> str:
    p = text.paragraphs
    return f"""<html><head><title>{_text(text.title)}</title>
<meta charset="utf-8"></head></head>
<body><div id="header"><a href="/">Home</a> <a href="/section/news.html">News</div></div>
<div class="main"><table><tr><td>
<h1>{_text(text.title)}</h2>
<div class="content"><p>{_text(p[0])}
<p>{_text(p[1])}</span></p></div>
</div></td><p><b><i>{_text(p[2])}</b></i>
<div><p>{_text(p[3])}
</table></div></div></div>
<div class="footer">Copyright &copy 2015 <a href="/about/about-us.html">About us
<script>var x = "</div>"; if (a < b && c > d) {{ x = '<p>'; }}</script>
"""


def _huge_html(base_url: str) -> str:
    rows = []
    fabrics = ("chiffon", "poplin", "denim", "jersey", "twill", "satin", "canvas", "velvet")
    size = 0
    i = 0
    while size < 3_000_000:
        row = (
            f"<tr><td>{i:06d}</td><td>Lot {i} {fabrics[i % 8]} {40 + i % 90}s</td>"
            f"<td>{(i * 37) % 1000 / 10:.1f} yuan/m</td>"
            f"<td>Keqiao market, stall {i % 4000}</td></tr>\n"
        )
        rows.append(row)
        size += len(row)
        i += 1
    table = "".join(rows)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Complete fabric price list - {SITE_NAME}</title>"
        f'<link rel="canonical" href="{base_url}/bad/huge.html"></head>\n<body>'
        f"<h1>Complete Fabric Price List</h1>\n<p>Quotes collected from the Keqiao market this "
        f"week, every lot listed.</p>\n<table>\n{table}</table></body></html>\n"
    )


_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_CSS = b"body{font-family:sans-serif}.sidebar{float:right;width:300px}.ad{margin:8px 0}\n"
_JS = (
    b"(function(){var c=window.siteConfig||{};"
    b"if(c.lang){document.documentElement.lang=c.lang;}})();\n"
)


def _error_html(status: int, message: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{status} {message}</title>'
        f"</head><body><h1>{status} {message}</h1><p>{SITE_NAME}</p></body></html>\n"
    ).encode()


def html_route(
    body: str | bytes,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    codec: str = "utf-8",
    mode: str = "plain",
) -> Route:
    raw = body if isinstance(body, bytes) else body.encode(codec, errors="xmlcharrefreplace")
    return Route(status, (("Content-Type", content_type),), raw, mode)


def not_found_route() -> Route:
    """A 404 with a non-standard reason phrase and a lower-case header name, as some
    servers send: a wire-faithful capture keeps both."""
    page = html_route(_error_html(404, "Not Found"), status=404)
    headers = (*page.headers, ("x-served-by", "sample-news"))
    return Route(404, headers, page.body, reason="No Such Article")


# --------------------------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------------------------


def _article_path(text: ArticleText, prefix: str = "/news") -> str:
    d = text.published
    return f"{prefix}/{d.year}/{d.month:02d}/{text.key}.html"


def build_site(base_url: str) -> tuple[dict[str, Route], SiteManifest]:
    texts = corpus()
    specials = special_texts()
    pages = [_Page(t, _article_path(t)) for t in texts]

    # Roles. Unreachable: the four newest articles (so they are in the RSS feed); the first of
    # them is linked from the top menu as a "Special report".
    unreachable = pages[-4:]
    nav_only = unreachable[0]
    english = [p for p in pages[1:-4] if p.text.language == "en"]
    final = english[12]  # only reachable through the redirect chain
    gzip_page = english[4]
    chunked_page = english[7]
    pdf_holder = english[2]

    # Charsets.
    hans = [p for p in pages if p.text.language == "zh-Hans"]
    hant = [p for p in pages if p.text.language == "zh-Hant"]
    for p, declare in zip((hans[1], hans[3], hans[5]), ("both", "header", "meta"), strict=True):
        p.charset, p.declare = "gbk", declare
    hans[7].charset, hans[7].declare = None, "none"
    for p, declare in zip((hant[1], hant[4], hant[6]), ("both", "meta", "header"), strict=True):
        p.charset, p.declare = "big5", declare

    # Related-reading graph over the reachable pool: a ring (k -> k+1) keeps everything
    # reachable from the seed; strided extra links make it a web.
    pool = [p for p in pages if p not in unreachable and p is not final]
    m = len(pool)
    redirect_key = final.text.key
    go_path, moved_path = f"/go/{redirect_key}", f"/moved/{redirect_key}"
    not_found_path = "/news/2015/03/cotton-futures-weekly-review.html"
    server_error_path = "/news/2015/04/yarn-index-live.html"
    pdf_path = "/files/2014/zhejiang-textile-export-report.pdf"
    pdf_title = "Zhejiang Textile Export Report 2014 (PDF)"
    priv_texts = [specials["private0"], specials["private1"]]
    priv_pages = [_Page(t, _article_path(t, "/private")) for t in priv_texts]

    specials_for: dict[int, list[tuple[str, str]]] = {
        2: [(final.text.title, go_path)],
        3: [("Cotton Futures Weekly Review", not_found_path)],
        5: [(priv_pages[0].text.title, priv_pages[0].path)],
        8: [("Live Yarn Price Index", server_error_path)],
        11: [(priv_pages[1].text.title, priv_pages[1].path)],
    }
    holder_k = pool.index(pdf_holder)
    specials_for.setdefault(holder_k, []).append((pdf_title, pdf_path))
    for k, page in enumerate(pool):
        n_links = 3 + (k * 5) % 6
        extra = specials_for.get(k, [])
        picks: list[_Page] = []
        for step in (1, 7 * k + 3, 13 * k + 5, k + m // 2, 3 * k + 11, 5 * k + 2, 11 * k + 1, 2):
            cand = pool[(k + step) % m] if step in (1, 2) else pool[step % m]
            if cand is not page and cand not in picks:
                picks.append(cand)
        picks = picks[: max(2, n_links - len(extra))]
        page.related = [(_label(c), c.text.title, c.path) for c in picks]
        page.related += [("", t, h) for t, h in extra]
        if k % 4 == 1:
            page.body_links[1] = pool[(k + 5) % m].path
    pdf_holder.attachment = (pdf_path, "Download the full report (PDF, 1 page)")
    for j, page in enumerate([*unreachable, final, *priv_pages]):
        picks = [pool[(j * 9 + s) % m] for s in (0, 4, 17, 30)]
        page.related = [(_label(c), c.text.title, c.path) for c in picks]

    # Special pages outside the corpus.
    bad_hub = _Page(specials["bad_input"], _article_path(specials["bad_input"]))
    ssrf_page = _Page(specials["ssrf"], _article_path(specials["ssrf"]))
    malformed_path = "/bad/malformed.html"
    wrong_charset_path = "/bad/wrong-charset.html"
    bad_paths = {
        "binary": "/bad/binary.html",
        "huge": "/bad/huge.html",
        "reset": "/bad/reset",
        "stall": "/bad/stall",
        "short": "/bad/short",
    }
    bad_hub.related = [
        ("", specials["malformed"].title, malformed_path),
        ("", specials["wrong_charset"].title, wrong_charset_path),
        ("", "Fabric Sample Catalogue (Scanned)", bad_paths["binary"]),
        ("", "Complete Fabric Price List", bad_paths["huge"]),
        ("", "Live Auction Feed", bad_paths["reset"]),
        ("", "Trade Fair Live Blog", bad_paths["stall"]),
        ("", "Daily Market Briefing", bad_paths["short"]),
    ]
    port = base_url.rsplit(":", 1)[-1]
    ssrf_targets = (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1/admin",
        "http://[::1]/",
        f"http://127.0.0.2:{port}/x",
        "http://localhost.localdomain/",
    )
    ssrf_titles = (
        "Cloud Provider Briefing",
        "Intranet Supplier Portal",
        "Router Admin Guide For Factories",
        "Local Order Desk",
        "Mirror Of This Article",
        "Localhost Dashboard",
    )
    ssrf_page.related = [("", t, u) for t, u in zip(ssrf_titles, ssrf_targets, strict=True)]

    # Render.
    popular = [(p.text.title, p.path) for p in pool[1:9]]
    routes: dict[str, Route] = {}

    def add_article(page: _Page) -> None:
        html = _render_article(page, base_url, nav_only.path, popular)
        codec = page.charset or "utf-8"
        routes[page.path] = html_route(html, content_type=_content_type(page), codec=codec)

    for page in [*pages, *priv_pages, bad_hub, ssrf_page]:
        add_article(page)

    gz = routes[gzip_page.path]
    routes[gzip_page.path] = Route(
        200,
        (*gz.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")),
        gzip.compress(gz.body, mtime=0),
    )
    ch = routes[chunked_page.path]
    routes[chunked_page.path] = Route(200, ch.headers, ch.body, "chunked")

    routes[go_path] = Route(
        301,
        (("Location", base_url + moved_path), ("Content-Type", "text/html; charset=utf-8")),
        _error_html(301, "Moved Permanently"),
    )
    routes[moved_path] = Route(
        302,
        (("Location", final.path), ("Content-Type", "text/html; charset=utf-8")),
        _error_html(302, "Found"),
    )
    routes[server_error_path] = html_route(_error_html(500, "Internal Server Error"), status=500)
    routes[pdf_path] = Route(
        200,
        (("Content-Type", "application/pdf"),),
        _pdf_bytes("Zhejiang Textile Export Report 2014"),
    )

    # Bad inputs.
    malformed = _Page(specials["malformed"], malformed_path)
    wrong = _Page(specials["wrong_charset"], wrong_charset_path)
    routes[malformed_path] = html_route(_malformed_html(malformed.text))
    wrong_html = _render_article(wrong, base_url, nav_only.path, popular)
    routes[wrong_charset_path] = html_route(wrong_html, codec="gbk")
    noise = bytearray(random.Random(7).randbytes(8192))
    noise[::97] = bytes(len(noise[::97]))
    routes[bad_paths["binary"]] = html_route(bytes(noise))
    routes[bad_paths["huge"]] = html_route(_huge_html(base_url))
    stall_links = [(p.text.title, p.path) for p in pool[:30]]
    stall_html = _render_list("Trade Fair Live Blog", stall_links, nav_only.path, base_url)
    routes[bad_paths["stall"]] = html_route(stall_html, mode="stall")
    routes[bad_paths["short"]] = Route(
        200,
        (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "5000")),
        routes[pages[0].path].body[:1000],
        "short",
    )
    routes[bad_paths["reset"]] = Route(200, (), b"", "reset")

    # Discovery files and list pages.
    newest = sorted(pages, key=lambda p: p.text.published, reverse=True)[:20]
    routes["/robots.txt"] = Route(
        200,
        (("Content-Type", "text/plain; charset=utf-8"),),
        (
            f"User-agent: *\nDisallow: {DISALLOWED_PREFIX}\n\nSitemap: {base_url}/sitemap.xml\n"
        ).encode(),
    )
    routes["/sitemap.xml"] = Route(
        200, (("Content-Type", "application/xml; charset=utf-8"),), _sitemap(pages, base_url)
    )
    routes["/rss.xml"] = Route(
        200, (("Content-Type", "application/rss+xml; charset=utf-8"),), _rss(newest, base_url)
    )
    routes["/"] = html_route(
        _render_list(SITE_NAME, ((p.text.title, p.path) for p in newest), nav_only.path, base_url)
    )
    routes["/section/news.html"] = html_route(
        _render_list("News", ((p.text.title, p.path) for p in pages), nav_only.path, base_url)
    )
    routes["/section/chinese.html"] = html_route(
        _render_list(
            "中文资讯",
            ((p.text.title, p.path) for p in pages if p.text.language != "en"),
            nav_only.path,
            base_url,
        )
    )
    for name, slug in _SECTIONS:
        items = ((p.text.title, p.path) for p in pages if p.text.section == name)
        routes[f"/section/{slug}.html"] = html_route(
            _render_list(name, items, nav_only.path, base_url)
        )
    for tag in _TAGS:
        items = (
            (p.text.title, p.path)
            for p in pages
            if tag.lower() in " ".join(p.text.paragraphs).lower()
        )
        routes[f"/tag/{_slug(tag)}.html"] = html_route(
            _render_list(f"Tag: {tag}", items, nav_only.path, base_url)
        )
    for label in _FOOTER:
        path = _info_path(label)
        if path.startswith("/about/"):
            routes[path] = html_route(
                _render_list(label, [("Back to the front page", "/")], nav_only.path, base_url)
            )
    routes["/static/logo.gif"] = Route(200, (("Content-Type", "image/gif"),), _GIF)
    routes["/static/ad-300x250.gif"] = Route(200, (("Content-Type", "image/gif"),), _GIF)
    routes["/static/site.css"] = Route(200, (("Content-Type", "text/css"),), _CSS)
    routes["/static/site.js"] = Route(200, (("Content-Type", "application/javascript"),), _JS)

    # Manifest.
    redirects = {go_path: moved_path, moved_path: final.path}
    corpus_paths = {p.path for p in pages}
    reachable = _reach(pages[0].path, {p.path: p for p in pages}, redirects)
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
        redirect_chain=(go_path, moved_path, final.path),
        gzip_path=gzip_page.path,
        chunked_path=chunked_page.path,
        not_found_path=not_found_path,
        server_error_path=server_error_path,
        pdf_path=pdf_path,
        sitemap_path="/sitemap.xml",
        rss_path="/rss.xml",
        robots_path="/robots.txt",
        nav_only_path=nav_only.path,
        bad_input_page=bad_hub.path,
        malformed_path=malformed_path,
        wrong_charset_path=wrong_charset_path,
        binary_path=bad_paths["binary"],
        huge_path=bad_paths["huge"],
        reset_path=bad_paths["reset"],
        stall_path=bad_paths["stall"],
        short_path=bad_paths["short"],
        ssrf_page=ssrf_page.path,
        ssrf_targets=ssrf_targets,
        rss_paths=tuple(p.path for p in newest),
    )
    return routes, manifest


def _label(page: _Page) -> str:
    return page.text.section if page.text.language == "en" else ""


def _info(page: _Page, reachable: bool) -> ArticleInfo:
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


def _reach(seed: str, pages: dict[str, _Page], redirects: dict[str, str]) -> set[str]:
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


def _sitemap(pages: list[_Page], base_url: str) -> bytes:
    urls = "\n".join(
        f"  <url><loc>{_text(base_url + p.path)}</loc>"
        f"<lastmod>{p.text.published.isoformat()}</lastmod></url>"
        for p in pages
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n</urlset>\n"
    ).encode()


def _rss(pages: list[_Page], base_url: str) -> bytes:
    items = []
    for p in pages:
        when = datetime.combine(p.text.published, datetime.min.time(), UTC)
        items.append(
            f"<item><title>{_text(p.text.title)}</title><link>{base_url}{p.path}</link>"
            f'<guid isPermaLink="true">{base_url}{p.path}</guid>'
            f"<pubDate>{format_datetime(when.replace(hour=9, minute=30))}</pubDate>"
            f"<description>{_text(p.text.paragraphs[0])}</description></item>"
        )
    joined = "\n".join(items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{SITE_NAME}</title><link>{base_url}/</link>"
        f"<description>Textile and garment industry news</description>\n{joined}\n"
        "</channel></rss>\n"
    ).encode()
