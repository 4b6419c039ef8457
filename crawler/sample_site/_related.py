"""Related-reading blocks in the markups real news sites use: English lists and asides,
Chinese `相关阅读` / `延伸阅读` / `推荐阅读` boxes, and bare `<br>`-separated links."""

from __future__ import annotations

from html import escape

from crawler.sample_site._chrome import escape_text

__all__ = ["related_markup"]

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
