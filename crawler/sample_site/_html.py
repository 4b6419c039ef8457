"""Article and list pages as HTML: the content of a `Page` inside the site chrome, with its
charset declared in the header, the page, both or neither as the page asks."""

from __future__ import annotations

import json
from collections.abc import Iterable

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
from crawler.sample_site._related import related_markup
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
