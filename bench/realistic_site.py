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
        for _ in range(6)
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
            f"id:a,value:b*{rng.randint(2, 99)},ts:Date.now(),path:location.pathname}})"
            f"}});if(b>{rng.randint(1, 9)}){{el.classList.add('is-active')}}return el}}"
        )
    return "\n".join(functions)


def _link(href: int, text: str) -> str:
    return f'<a href="/news/p{href:05d}.html">{text}</a>'


def _page(i: int, n: int, rng: random.Random, kind: str) -> str:
    """Page ``i`` of ``n``; ``kind``: "en", "hans" or "hant"."""
    if kind == "en":
        title = _english(rng, 9).rstrip(".").title()
        lang = "en"
        paragraphs = [
            f"<p>{' '.join(_english(rng, rng.randint(12, 30)) for _ in range(rng.randint(3, 6)))}"
            "</p>"
            for _ in range(rng.randint(8, 30))
        ]
        related_heading, line = "Related reading", lambda: _english(rng, 8)
    else:
        vocabulary = HANS if kind == "hans" else HANT
        title = _chinese(rng, vocabulary, 8).rstrip("。")
        lang = "zh-CN" if kind == "hans" else "zh-TW"
        paragraphs = [
            "<p>"
            + "".join(
                _chinese(rng, vocabulary, rng.randint(8, 20)) for _ in range(rng.randint(4, 8))
            )
            + "</p>"
            for _ in range(rng.randint(8, 30))
        ]
        related_heading = "相关阅读" if kind == "hans" else "相關閱讀"

        def line() -> str:
            return _chinese(rng, vocabulary, 6)

    related = [(i + k * 37) % n for k in range(1, 21)]
    menu = "".join(
        f"<li>{_link((i * 7 + k) % n, f'{SECTIONS[k % len(SECTIONS)]} {k}')}</li>"
        for k in range(rng.randint(90, 110))
    )
    sidebar = "".join(f'<li class="card">{_link((i * 11 + k) % n, line())}</li>' for k in range(30))
    footer = " ".join(_link((i * 13 + k) % n, f"About {k}") for k in range(30))
    rel = "".join(f'<li class="item">{_link(j, line())}</li>' for j in related)
    date = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
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
        f'<script type="application/ld+json">{json_ld}</script>\n'
        f"<style>{_style(rng)}</style>\n<script>{_script(rng)}</script></head>\n"
        f'<body><header class="masthead"><nav class="menu"><ul>{menu}</ul></nav></header>\n'
        '<div class="breadcrumb"><a href="/">Home</a> &gt; '
        f"{_link(0, SECTIONS[i % len(SECTIONS)])}</div>\n"
        f'<div id="main"><article class="article-body"><h1>{title}</h1>\n'
        f'<p class="byline">By Staff Reporter, {date}</p>\n'
        + "\n".join(paragraphs)
        + f'\n<div class="related"><h3>{related_heading}</h3><ul>{rel}</ul></div></article>\n'
        f'<aside class="sidebar"><h3>Most read</h3><ul>{sidebar}</ul></aside></div>\n'
        f'<footer class="footer">{footer}<p>Copyright 2024 Sample Daily</p></footer>\n'
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
