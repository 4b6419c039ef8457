"""The site chrome every HTML page shares: the site name, menu strings per language,
sections, tags and footer links, and the boilerplate around the content (head with inline
scripts, top menu, sidebar with ads, share widget and comment form, footer)."""

from __future__ import annotations

import json
from html import escape

__all__ = [
    "CHROME",
    "FOOTER",
    "HTML_LANG",
    "SECTIONS",
    "SITE_NAME",
    "TAGS",
    "escape_text",
    "footer",
    "head",
    "header",
    "info_path",
    "section_path",
    "share_and_comments",
    "sidebar",
    "slugify",
]

SITE_NAME = "China Textile Herald"
CHROME = {
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
HTML_LANG = {"en": "en", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}
SECTIONS = (
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
TAGS = (
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
FOOTER = (
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


def escape_text(value: str) -> str:
    """Escape for a text node: quotes stay as they are, like most CMS output."""
    return escape(value, quote=False)


def slugify(text: str) -> str:
    """Lower-case words of `text` joined by hyphens, punctuation dropped."""
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def info_path(label: str) -> str:
    """Where a footer link points."""
    return _FOOTER_HREF.get(label, f"/about/{slugify(label)}.html")


def section_path(section: str) -> str:
    """The list page of an article's section (Chinese sections share one page)."""
    for name, slug in SECTIONS:
        if name == section:
            return f"/section/{slug}.html"
    return "/section/chinese.html" if not section.isascii() else "/section/news.html"


def head(title: str, lang: str, meta_charset: str, extra: str, canonical: str) -> str:
    """The `<head>`: meta tags, canonical link, and an inline script full of markup-like text."""
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
{meta_charset}<title>{escape_text(title)} - {SITE_NAME}</title>
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


def header(nav_only_path: str) -> str:
    """Top bar, logo, search form and the main menu (which links the nav-only article)."""
    nav = [("Home", "/"), ("News", "/section/news.html")]
    nav += [(name, f"/section/{slug}.html") for name, slug in SECTIONS[:10]]
    nav += [("Special report", nav_only_path), ("中文资讯", "/section/chinese.html")]
    nav += [("繁體版", "/section/chinese.html?variant=hant")]
    items = "\n".join(f'    <li><a href="{escape(h)}">{escape_text(t)}</a></li>' for t, h in nav)
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


def sidebar(lang: str, popular: list[tuple[str, str]]) -> str:
    """Ads, the most-popular list and the tag cloud."""
    c = CHROME[lang]
    pop = "\n".join(f'      <li><a href="{h}">{escape_text(t)}</a></li>' for t, h in popular)
    tags = " ".join(f'<a href="/tag/{slugify(t)}.html">{escape_text(t)}</a>' for t in TAGS)
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


def footer() -> str:
    """Twenty footer links and the copyright notice."""
    links = " |\n".join(f'  <a href="{info_path(t)}">{t}</a>' for t in FOOTER)
    return f"""<footer class="site-footer">
<div class="links">
{links}
</div>
<p class="copyright">Copyright &copy; 2008-2015 {SITE_NAME}. All rights reserved.
Reproduction without permission is prohibited. ICP 08001234</p>
<script src="/static/site.js"></script>
</footer>"""


def share_and_comments(lang: str, path: str) -> str:
    """Share buttons and a comment form under an article."""
    c = CHROME[lang]
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
