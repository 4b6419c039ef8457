"""A generated news site whose pages look like real news sites' pages, for ``bench/crawl.py``.

    generate_realistic_site(directory, pages) -> average bytes of HTML per page

Each page (~60 KB, 20-80 KB) carries what real news pages make a crawler parse and skip:
a large inline ``<style>`` (10-130 rules) and inline ``<script>`` (5-140 functions), a
JSON-LD ``NewsArticle`` block, a header menu of ~100 links, a breadcrumb, an article of
8-30 paragraphs, a 20-item related-reading block, a sidebar of ~30 links and a footer of
30. About 18% of the pages are Chinese, a third of those in Traditional characters; some
of them are encoded GBK or Big5 (declared in a ``<meta>``), and some declare no charset
at all (UTF-8 or GBK/Big5 bytes with nothing said). Every page is also written
pre-gzipped (``pNNNNN.html.gz``, level 6, what nginx's ``gzip_static`` serves), so every
response is gzip, as from real sites.

The related-reading links (``(i + 37k) % n``) connect every page, as in the light site.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

__all__ = ["generate_realistic_site"]

WORDS = (
    "the government said on Tuesday that exports of textiles and garments rose sharply in "
    "the third quarter as factories in Zhejiang and Jiangsu reported steady orders from "
    "buyers in Europe and Southeast Asia while analysts warned that rising wages freight "
    "costs and a stronger currency could squeeze margins for small manufacturers who "
    "depend on thin profits and seasonal demand officials added that new rules on "
    "wastewater would take effect next year and that several dyeing mills had already "
    "upgraded their treatment plants with support from local banks investors welcomed "
    "the figures but said the outlook remained uncertain after a slowdown in consumer "
    "spending at home and abroad"
).split()
# Simplified and Traditional forms of the same words (the Traditional ones encode in Big5)
HANS = (
    "纺织 服装 出口 订单 面料 市场 企业 电商 产业 工厂 工人 价格 政府 经济 增长 银行 投资 "
    "消费 需求 数据 报告 今年 去年 第三季度 浙江 江苏 广东 东南亚 欧洲 买家 运费 汇率 利润 "
    "污水 处理 设备 升级 分析师 表示 认为 预计 显示 继续 保持 稳定 上涨 下降 影响 发展 国际 "
    "国内 地区 城市 公司 记者 新闻 报道"
).split()
HANT = (
    "紡織 服裝 出口 訂單 面料 市場 企業 電商 產業 工廠 工人 價格 政府 經濟 增長 銀行 投資 "
    "消費 需求 數據 報告 今年 去年 第三季度 浙江 江蘇 廣東 東南亞 歐洲 買家 運費 匯率 利潤 "
    "污水 處理 設備 升級 分析師 表示 認為 預計 顯示 繼續 保持 穩定 上漲 下降 影響 發展 國際 "
    "國內 地區 城市 公司 記者 新聞 報道"
).split()
SECTIONS = (
    "World Business Markets Tech Science Health Sport Culture Opinion Travel Style Food "
    "Climate Education Politics Economy Industry Trade Energy Property Autos Media"
).split()
CSS_PROPS = (
    "margin:0 auto",
    "padding:4px 8px",
    "color:#1a1a1a",
    "background:#fafafa",
    "font:400 16px/1.5 Georgia,serif",
    "display:flex",
    "border-bottom:1px solid #e0e0e0",
    "text-decoration:none",
    "max-width:1200px",
    "grid-template-columns:repeat(3,1fr)",
    "transition:opacity .2s ease-in-out",
    "box-shadow:0 1px 3px rgba(0,0,0,.12)",
)


CONSENT = (
    '<div id="cookie-consent" class="consent-banner" role="dialog" hidden><p>'
    + " ".join(
        "We and our partners use cookies and similar technologies to store and access "
        "information on your device for personalised advertising, content measurement and "
        "audience research."
        for _ in range(3)
    )
    + '</p><button class="consent-accept">Accept all</button>'
    '<button class="consent-manage">Manage choices</button></div>'
    '<form class="newsletter" action="/subscribe" method="post"><label for="email">'
    'Get the morning briefing</label><input id="email" name="email" type="email">'
    '<button type="submit">Sign up</button></form>'
)


def _english(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _chinese(rng: random.Random, vocabulary: list[str], words: int) -> str:
    return "".join(rng.choice(vocabulary) for _ in range(words)) + "。"


def _style(rng: random.Random) -> str:
    rules = []
    for k in range(rng.randint(10, 130)):
        selector = f".c-{rng.choice(SECTIONS).lower()}-{k} .{rng.choice(('item', 'card', 'nav'))}"
        props = ";".join(rng.sample(CSS_PROPS, rng.randint(2, 6)))
        rules.append(f"{selector}{{{props}}}")
        if k % 17 == 0:
            rules.append(f"@media (max-width:{rng.randint(480, 1024)}px){{{selector}{{{props}}}}}")
    return "\n".join(rules)


def _script(rng: random.Random) -> str:
    functions = []
    for k in range(rng.randint(5, 140)):
        functions.append(
            f"function f{k}_{rng.randint(0, 9999)}(a,b){{var el=document.querySelector("
            f"'.c-{k}');if(!el){{return null}}el.addEventListener('click',function(e){{"
            f"window.dataLayer=window.dataLayer||[];dataLayer.push({{event:'ev{k}',"
            f"id:a,value:b*{rng.randint(2, 99)}}})}});return el}}"
        )
    return "\n".join(functions)


def _link(href: int, text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<a{attr} href="/news/p{href:05d}.html">{text}</a>'


SVG_ICON = (
    '<svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">'
    '<path d="M12 2C6.5 2 2 6.5 2 12s4.5 10 10 10 10-4.5 10-10S17.5 2 12 2z"></path>'
    '<path d="M8 12h8M12 8v8"></path></svg>'
)


def _figure(rng: random.Random, i: int, caption: str) -> str:
    image = f"/img/{i}-{rng.randint(0, 99999)}"
    return (
        '<figure class="wp-block-image size-large"><picture>'
        f'<source type="image/webp" srcset="{image}-480.webp 480w, {image}-960.webp 960w">'
        f'<img src="{image}-960.jpg" alt="{caption}" width="960" height="540" '
        'loading="lazy" decoding="async"></picture>'
        f'<figcaption class="caption"><span class="caption-text">{caption}</span>'
        '<span class="credit">Photo: Agency</span></figcaption></figure>'
    )


def _paragraph(rng: random.Random, text: str, i: int, n: int) -> str:
    """A paragraph as CMSs write them: now and then a link in the text, bold, italics."""
    words = text.split(" ")
    if len(words) > 12 and rng.random() < 0.35:
        at = rng.randint(2, len(words) - 4)
        words[at] = _link(rng.randrange(n), " ".join(words[at : at + 3]))
        del words[at + 1 : at + 3]
    if len(words) > 8 and rng.random() < 0.25:
        words[1] = f"<strong>{words[1]}</strong>"
    if len(words) > 8 and rng.random() < 0.2:
        words[-2] = f"<em>{words[-2]}</em>"
    return "<p>" + " ".join(words) + "</p>"


def _page(i: int, n: int, rng: random.Random, kind: str) -> str:
    """Page ``i`` of ``n``; ``kind``: "en", "hans" or "hant"."""
    if kind == "en":
        title = _english(rng, 9).rstrip(".").title()
        lang = "en"
        texts = [
            " ".join(_english(rng, rng.randint(12, 30)) for _ in range(rng.randint(2, 5)))
            for _ in range(rng.randint(8, 30))
        ]
        related_heading, line = "Related reading", lambda: _english(rng, 8)
    else:
        vocabulary = HANS if kind == "hans" else HANT
        title = _chinese(rng, vocabulary, 8).rstrip("。")
        lang = "zh-CN" if kind == "hans" else "zh-TW"
        texts = [
            "".join(_chinese(rng, vocabulary, rng.randint(8, 20)) for _ in range(rng.randint(4, 8)))
            for _ in range(rng.randint(8, 30))
        ]
        related_heading = "相关阅读" if kind == "hans" else "相關閱讀"

        def line() -> str:
            return _chinese(rng, vocabulary, 6)

    body = []
    for k, text in enumerate(texts):
        body.append(_paragraph(rng, text, i, n))
        if k % 6 == 2:
            body.append(_figure(rng, i, line()))
        if k % 4 == 3:
            body.append(
                f'<div class="ad-container"><div class="ad-slot" id="div-gpt-ad-{i}-{k}" '
                f'data-slot="/1234/news/in-article-{k}" data-sizes="300x250,728x90"></div></div>'
            )
    related = [(i + k * 37) % n for k in range(1, 21)]
    menu = "".join(
        f'<li class="menu-item menu-item-{k}">'
        f"{_link((i * 7 + k) % n, f'<span>{SECTIONS[k % len(SECTIONS)]} {k}</span>', 'nav-link')}"
        "</li>"
        for k in range(rng.randint(90, 110))
    )
    date = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
    sidebar = "".join(
        f'<li class="card"><div class="card-media"><img src="/img/t{k}.jpg" alt=""></div>'
        f'<div class="card-body"><h4 class="card-title">{_link((i * 11 + k) % n, line())}</h4>'
        f'<time datetime="{date}">{date}</time></div></li>'
        for k in range(30)
    )
    footer = " ".join(_link((i * 13 + k) % n, f"About {k}") for k in range(30))
    rel = "".join(
        f'<li class="item"><span class="kicker">{SECTIONS[j % len(SECTIONS)]}</span>'
        f"{_link(j, line())}</li>"
        for j in related
    )
    share = "".join(
        f'<li><a class="share share-{name}" href="https://{name}.example/share?u=p{i}" '
        f'rel="nofollow noopener" target="_blank">{SVG_ICON}<span class="sr-only">{name}</span>'
        "</a></li>"
        for name in ("facebook", "twitter", "linkedin", "whatsapp", "email")
    )
    tags = "".join(
        f'<li><a rel="tag" href="/tag/{rng.choice(WORDS)}">{rng.choice(WORDS)}</a></li>'
        for _ in range(rng.randint(4, 10))
    )
    json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": f"{date}T08:00:00+08:00",
            "author": {"@type": "Person", "name": "Staff Reporter"},
            "publisher": {"@type": "Organization", "name": "Sample Daily"},
            "mainEntityOfPage": f"/news/p{i:05d}.html",
        },
        ensure_ascii=False,
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{{charset}}<title>{title}</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="description" content="{title}">\n'
        f'<meta property="og:title" content="{title}"><meta property="og:type" content="article">\n'
        f'<link rel="canonical" href="/news/p{i:05d}.html">\n'
        f'<script type="application/ld+json">{json_ld}</script>\n'
        f"<style>{_style(rng)}</style>\n<script>{_script(rng)}</script></head>\n"
        '<body class="single single-post"><div id="page" class="site">'
        f'<header class="masthead"><div class="container"><nav class="menu"><ul>{menu}</ul>'
        "</nav></div></header>\n"
        '<div class="site-content"><div class="container"><div class="row">'
        '<div class="col-main"><div class="breadcrumb"><a href="/">Home</a> &gt; '
        f"{_link(0, SECTIONS[i % len(SECTIONS)])}</div>\n"
        f'<article class="post"><header class="entry-header"><h1 class="entry-title">{title}</h1>'
        f'<div class="entry-meta"><span class="byline">By <a rel="author" href="/author/staff">'
        f'Staff Reporter</a></span> <time datetime="{date}">{date}</time></div>'
        f'<ul class="share-bar">{share}</ul></header>\n'
        '<div class="entry-content article-body">\n'
        + "\n".join(body)
        + f'</div>\n<footer class="entry-footer"><ul class="tags">{tags}</ul></footer>\n'
        f'<div class="related"><h3>{related_heading}</h3><ul>{rel}</ul></div></article></div>\n'
        f'<aside class="sidebar col-side"><h3>Most read</h3><ul>{sidebar}</ul></aside>'
        "</div></div></div>\n"
        f'<footer class="footer"><div class="container">{footer}'
        "<p>Copyright 2024 Sample Daily</p></div></footer></div>\n"
        f"{CONSENT}\n"
        f"<script>window.__INIT__={{page:{i}}};</script></body></html>\n"
    )


def _encoded(html: str, kind: str, rng: random.Random) -> bytes:
    """The page's bytes: UTF-8 declared for English; for Chinese, half UTF-8 declared, a
    third GBK (Simplified) or Big5 (Traditional) declared in a ``<meta>``, the rest with no
    charset declared (UTF-8 or GBK/Big5 bytes)."""
    if kind == "en":
        return html.replace("{charset}", '<meta charset="utf-8">').encode()
    legacy = "gbk" if kind == "hans" else "big5"
    draw = rng.random()
    if draw < 0.5:
        return html.replace("{charset}", '<meta charset="utf-8">').encode()
    if draw < 0.83:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={legacy}">'
        return html.replace("{charset}", meta).encode(legacy)
    undeclared = html.replace("{charset}", "")
    return undeclared.encode(legacy if draw < 0.92 else "utf-8")


def generate_realistic_site(directory: Path, pages: int) -> int:
    """Write ``pages`` pages (and their ``.gz``) under ``directory/news``; returns the
    average page size in bytes (uncompressed)."""
    rng = random.Random(20241204)
    news = directory / "news"
    news.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(pages):
        draw = rng.random()
        kind = "en" if draw >= 0.18 else ("hant" if draw < 0.06 else "hans")
        data = _encoded(_page(i, pages, rng, kind), kind, rng)
        path = news / f"p{i:05d}.html"
        path.write_bytes(data)
        (news / f"p{i:05d}.html.gz").write_bytes(gzip.compress(data, 6, mtime=0))
        total += len(data)
    (directory / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return total // pages
