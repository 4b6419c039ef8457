"""Article and list pages as HTML: the content of a `Page` inside the site chrome, with its
charset declared in the header, the page, both or neither as the page asks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape

from crawler.sample_site._chrome import (
    CHROME,
    HTML_LANG,
    SITE_NAME,
    escape_text,
    footer,
    head,
    header,
    section_path,
    share_and_comments,
    sidebar,
)
from crawler.sample_site._types import Page

__all__ = ["content_type", "render_article", "render_list"]


def _body_paragraphs(page: Page) -> str:
    out = []
    for i, par in enumerate(page.text.paragraphs):
        html = escape_text(par)
        href = page.body_links.get(i)
        if href:
            cut = _anchor_cut(par, page.text.language)
            html = f'<a href="{href}">{escape_text(par[:cut])}</a>{escape_text(par[cut:])}'
        out.append(f"<p>{html}</p>")
    return "\n".join(out)


def _anchor_cut(par: str, language: str) -> int:
    """How much of a paragraph an in-text link covers: five English words, eight CJK chars."""
    if language != "en":
        return 8
    words = par.split(" ")
    return len(" ".join(words[:5]))


def _meta_charset(page: Page) -> str:
    """The charset declaration in the page: `<meta charset>`, the http-equiv form, or none."""
    if page.charset is None or page.declare in ("header", "none"):
        return ""
    if page.declare == "meta":
        return f'<meta http-equiv="Content-Type" content="text/html; charset={page.charset}">\n'
    return f'<meta charset="{page.charset}">\n'


def content_type(page: Page) -> str:
    """The Content-Type header of an article: with a charset unless only the page declares it."""
    if page.charset is None or page.declare in ("meta", "none"):
        return "text/html"
    return f"text/html; charset={page.charset}"


def render_article(page: Page, base_url: str, nav_only: str, popular: list[tuple[str, str]]) -> str:
    """An article page: chrome, JSON-LD, byline, paragraphs, related reading, comments."""
    text = page.text
    lang = text.language
    c = CHROME[lang]
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": text.title,
            "datePublished": text.published.isoformat(),
            "author": {"@type": "Person", "name": text.author},
            "publisher": {"@type": "Organization", "name": SITE_NAME},
            "inLanguage": HTML_LANG[lang],
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    head_html = head(
        text.title,
        lang,
        _meta_charset(page),
        f'<script type="application/ld+json">{ld}</script>\n',
        base_url + page.path,
    )
    related = related_markup(page.path, lang, page.related)
    attach = ""
    if page.attachment:
        href, label = page.attachment
        attach = f'<p class="attachment"><a href="{href}">{escape_text(label)}</a></p>'
    crumbs = (
        f'<a href="/">{c["home"]}</a> &gt; <a href="/section/news.html">{c["news"]}</a> &gt; '
        f'<a href="{section_path(text.section)}">{escape_text(text.section)}</a>'
    )
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANG[lang]}">
{head_html}
<body class="article-page">
{header(nav_only)}
<div class="breadcrumbs">{crumbs}</div>
<div id="wrap">
<div class="main-col">
<article class="news-article">
<h1>{escape_text(text.title)}</h1>
<div class="byline"><span class="date">{text.published.isoformat()} 09:30</span>
<span class="author">{c["by"]} {escape_text(text.author)}</span>
<span class="source">{c["source"]}</span></div>
{page.figure}
<div class="article-content" id="content">
{_body_paragraphs(page)}
{attach}
</div>
</article>
{related}
{share_and_comments(lang, page.path)}
</div>
{sidebar(lang, popular)}
</div>
{footer()}
</body>
</html>
"""


def render_list(title: str, links: Iterable[tuple[str, str]], nav_only: str, base_url: str) -> str:
    """A list page (front page, section, tag, about page): chrome around (title, href) links."""
    items = "\n".join(f'<li><a href="{h}">{escape_text(t)}</a></li>' for t, h in links)
    return f"""<!DOCTYPE html>
<html lang="en">
{head(title, "en", '<meta charset="utf-8">' + chr(10), "", base_url + "/")}
<body class="list-page">
{header(nav_only)}
<div id="wrap"><h1>{escape_text(title)}</h1>
<ul class="article-list">
{items}
</ul></div>
{footer()}
</body>
</html>
"""


# Related-reading blocks in the markups real news sites use: English lists and asides,
# Chinese `相关阅读` / `延伸阅读` / `推荐阅读` boxes, and bare `<br>`-separated links.
_STYLES = {  # per language; an article's path picks one
    "en": ("related", "see-also", "read-more", "xgyd"),
    "zh-Hans": ("xgyd", "yanshen", "tuijian", "related"),
    "zh-Hant": ("plain-hant", "see-also", "plain-hant", "related"),
}


def related_markup(path: str, language: str, items: list[tuple[str, str, str]]) -> str:
    """The related-reading block of the article at `path`, in the markup its path picks
    among the styles of its language; empty without links."""
    if not items:
        return ""
    styles = _STYLES[language]
    return _block(styles[sum(map(ord, path)) % len(styles)], items)


# style: (one link's markup, the separator between links, the block around them)
_BLOCKS = {
    "see-also": (
        "  <li>{}</li>",
        "\n",
        '<section id="see-also"><h2>See also</h2>\n<ul>\n{}\n</ul></section>',
    ),
    "read-more": ("  <p>{}</p>", "\n", '<aside class="read-more"><h4>Read more</h4>\n{}\n</aside>'),
    "xgyd": (
        "  <li>{}</li>",
        "\n",
        '<div class="xgyd"><div class="tit">相关阅读</div>\n<ul>\n{}\n</ul></div>',
    ),
    "yanshen": ("  <dd>{}</dd>", "\n", '<div class="box2"><dl><dt>延伸阅读</dt>\n{}\n</dl></div>'),
    "tuijian": (
        '  <li class="item">{}</li>',
        "\n",
        '<div class="mod-b"><h3 class="hd">推荐阅读</h3>\n<ul class="bd">\n{}\n</ul></div>',
    ),
    "plain-hant": ("{}", "<br>\n", '<div class="c3"><strong>相關閱讀</strong><p>\n{}\n</p></div>'),
}


def _block(style: str, items: list[tuple[str, str, str]]) -> str:
    """Items are (label, title, href); only the `related` style shows labels."""

    def a(title: str, href: str) -> str:
        return f'<a href="{escape(href)}">{escape_text(title)}</a>'

    if style == "related":
        lis = "\n".join(
            f"  <li>{escape_text(label)} | {a(t, h)}</li>" if label else f"  <li>{a(t, h)}</li>"
            for label, t, h in items
        )
        return f'<div class="related"><h3>Related reading</h3>\n<ul>\n{lis}\n</ul></div>'
    link, separator, block = _BLOCKS[style]
    return block.format(separator.join(link.format(a(t, h)) for _, t, h in items))
