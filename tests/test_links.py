"""Tests for archive.links: link regions, related-reading detection, URL normalisation."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree
from w3lib.url import safe_url_string

from archive.links import Link, LinkRules, _urls, extract_links, follow_urls

BASE = "http://example.org/news/2024/story.html"

PARAGRAPH = (
    "In December 29, 2014, at the second joint meeting of strategic cooperation between "
    "Hangzhou and Alibaba group, Ma said that over the years Alibaba had been a fortunate "
    "company, with strong support from the city government and the people in Hangzhou. "
)


def parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


NO_RULES = LinkRules()


def regions(html: str, rules: LinkRules = NO_RULES, base: str = BASE) -> dict[str, str]:
    """Map url path (or full url when off-site) -> region, for single-region pages."""
    out: dict[str, str] = {}
    for link in extract_links(parse(html), base, rules):
        key = link.url.removeprefix("http://example.org")
        out[key] = link.region
    return out


def page(article: str, extra: str = "") -> str:
    """A small page: nav, an article with enough text to be found, a sidebar, a footer."""
    return f"""<html><head><title>t</title></head><body>
<header><a href="/">Home</a></header>
<nav><ul><li><a href="/world/">World</a></li><li><a href="/tech/">Tech</a></li></ul></nav>
<div class="wrap">
  <div class="main-col">
    <h1>Interpretation of Hangzhou's "Ali flavor"</h1>
    <div class="text">
      <p>{PARAGRAPH}<a href="/in-body">in body</a></p>
      <p>{PARAGRAPH}</p>
      <p>{PARAGRAPH}</p>
      {article}
    </div>
  </div>
  <div class="sidebar"><ul><li><a href="/popular">Popular</a></li></ul></div>
  {extra}
</div>
<footer><a href="/about">About</a></footer>
</body></html>"""


# --- regions ------------------------------------------------------------------------------


def test_basic_regions() -> None:
    got = regions(page(""))
    assert got == {
        "/": "navigation",
        "/world/": "navigation",
        "/tech/": "navigation",
        "/in-body": "body",
        "/popular": "other",
        "/about": "navigation",
    }


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param(
            '<h3>Related reading</h3><ul><li><a href="/r1">R1</a></li>'
            '<li><a href="/r2">R2</a></li></ul>',
            id="h3-english",
        ),
        pytest.param(
            '<div><strong>相關閱讀</strong><p><a href="/r1">一</a><br>'
            '<a href="/r2">二</a></p></div>',
            id="strong-traditional",
        ),
        pytest.param(
            '<div class="box"><div class="hd"><span>相关阅读：</span></div>'
            '<div class="bd"><ul><li><a href="/r1">一</a></li><li><a href="/r2">二</a></li>'
            "</ul></div></div>",
            id="span-in-wrapper-simplified-colon",
        ),
        pytest.param(
            '<p><b>See also:</b> <a href="/r1">R1</a>, <a href="/r2">R2</a></p>',
            id="inline-label-siblings",
        ),
        pytest.param(
            '<p>Related: <a href="/r1">R1</a> | <a href="/r2">R2</a></p>',
            id="label-in-same-element",
        ),
        pytest.param(
            '<dl><dt>延伸閱讀</dt><dd><a href="/r1">一</a></dd><dd><a href="/r2">二</a></dd></dl>',
            id="dt-dd",
        ),
        pytest.param(
            '<div class="panel"><h4>YOU MAY ALSO LIKE</h4><div class="x">'
            '<a href="/r1">R1</a></div><div class="x"><a href="/r2">R2</a></div></div>',
            id="uppercase-heading-neutral-classes",
        ),
        pytest.param(
            '<div class="xgyd"><a href="/r1">一</a><a href="/r2">二</a></div>',
            id="class-pinyin-xgyd",
        ),
        pytest.param(
            '<section id="related-posts"><a href="/r1">R1</a><a href="/r2">R2</a></section>',
            id="id-related-posts",
        ),
        pytest.param(
            '<div class="jp-relatedposts"><a href="/r1">R1</a><a href="/r2">R2</a></div>',
            id="class-substring",
        ),
        pytest.param(
            '<ul class="see-also"><li><a href="/r1">R1</a></li><li><a href="/r2">R2</a></li></ul>',
            id="class-see-also",
        ),
        pytest.param(
            '<div class="read-more"><a href="/r1">R1</a><a href="/r2">R2</a></div>',
            id="class-read-more-block",
        ),
        pytest.param(
            '<table><caption>推荐阅读</caption><tr><td><a href="/r1">一</a></td>'
            '<td><a href="/r2">二</a></td></tr></table>',
            id="caption",
        ),
    ],
)
def test_related_markup_variants(markup: str) -> None:
    got = regions(page(markup))
    assert got["/r1"] == "related"
    assert got["/r2"] == "related"
    assert got["/in-body"] == "body"
    assert got["/popular"] == "other"
    assert got["/world/"] == "navigation"


def test_related_block_stops_at_next_heading() -> None:
    markup = (
        '<div class="side2"><h3>Related</h3><ul><li><a href="/r1">R1</a></li></ul>'
        '<h3>Most popular</h3><ul><li><a href="/hot">Hot</a></li></ul></div>'
    )
    got = regions(page("", extra=markup))
    assert got["/r1"] == "related"
    assert got["/hot"] == "other"


def test_related_heading_in_sidebar_outside_article() -> None:
    got = regions(
        page("", extra='<div><h2>相关新闻</h2><ul><li><a href="/r1">一</a></li></ul></div>')
    )
    assert got["/r1"] == "related"


def test_related_inside_article_element() -> None:
    html = f"""<html><body><nav><a href="/n">n</a></nav>
    <article><h1>Title</h1><p>{PARAGRAPH}<a href="/b">b</a></p><p>{PARAGRAPH}</p>
    <aside class="xgwz"><a href="/r1">r1</a><a href="/r2">r2</a></aside>
    <h2>More on this</h2><ul><li><a href="/r3">r3</a></li></ul>
    <p>{PARAGRAPH}<a href="/b2">b2</a></p></article></body></html>"""
    got = regions(html)
    assert got == {
        "/n": "navigation",
        "/b": "body",
        "/r1": "related",
        "/r2": "related",
        "/r3": "related",
        "/b2": "body",
    }


def test_rules_override_css_and_xpath() -> None:
    markup = (
        '<div class="box7"><a href="/r1">R1</a></div><div class="box8"><a href="/r2">R2</a></div>'
    )
    assert regions(page("", extra=markup))["/r1"] == "other"
    by_css = LinkRules(related=("div.box7",))
    got = regions(page("", extra=markup), by_css)
    assert (got["/r1"], got["/r2"]) == ("related", "other")
    by_xpath = LinkRules(related=("//div[@class='box8']",))
    got = regions(page("", extra=markup), by_xpath)
    assert (got["/r1"], got["/r2"]) == ("other", "related")
    by_paren_xpath = LinkRules(related=("(//div[starts-with(@class, 'box')])[1]",))
    assert regions(page("", extra=markup), by_paren_xpath)["/r1"] == "related"


def test_rules_body_selector() -> None:
    html = page("", extra='<div id="story"><a href="/s">s</a></div>')
    assert regions(html)["/s"] == "other"
    got = regions(html, LinkRules(body=("#story",)))
    assert got["/s"] == "body"
    assert got["/in-body"] == "other"  # the rule replaces body detection


def test_navigation_variants() -> None:
    extra = """
    <div class="breadcrumb"><a href="/bc">Home &gt; News</a></div>
    <div id="site-footer"><a href="/f">f</a></div>
    <ul class="main-menu"><li><a href="/m">m</a></li></ul>
    <div role="navigation"><a href="/role">r</a></div>
    <div class="topbar"><a href="/tb">tb</a></div>
    <div class="navbar"><a href="/nb">nb</a></div>
    <div class="tag-cloud"><a href="/tag">tag</a></div>
    <div class="ad-slot"><a href="http://ads.example.com/c">ad</a></div>
    """
    got = regions(page("", extra=extra))
    for path in ("/bc", "/f", "/m", "/role", "/tb", "/nb", "/", "/about", "/world/"):
        assert got[path] == "navigation", path
    assert got["/tag"] == "other"
    assert got["http://ads.example.com/c"] == "other"


def test_body_markers() -> None:
    for opener, closer in [
        ('<div itemprop="articleBody">', "</div>"),
        ('<div class="entry-content">', "</div>"),
        ("<article>", "</article>"),
        ('<div id="content">', "</div>"),
    ]:
        html = f"""<html><body><div class="wrap">
        {opener}<div class="lede"><a href="/lede">lede</a></div>
        <div class="t"><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></div>{closer}
        <div class="col"><a href="/col">col</a></div></div></body></html>"""
        got = regions(html)
        assert got == {"/lede": "body", "/col": "other"}, opener


def test_body_heuristic_br_text() -> None:
    html = f"""<html><body><div class="l"><a href="/x">x</a></div>
    <div class="zw">{PARAGRAPH}<br>{PARAGRAPH}<a href="/b">b</a><br>{PARAGRAPH}</div>
    </body></html>"""
    assert regions(html) == {"/x": "other", "/b": "body"}


def test_page_wrapper_with_nav_like_class_is_not_navigation() -> None:
    html = f"""<html><body class="nav-open menu-closed"><div id="page" class="has-header">
    <div class="content"><p>{PARAGRAPH}<a href="/b">b</a></p><p>{PARAGRAPH}</p>
    <h3>Related</h3><ul><li><a href="/r">r</a></li></ul></div></div></body></html>"""
    assert regions(html) == {"/b": "body", "/r": "related"}


# --- false positives ----------------------------------------------------------------------


def test_read_more_teasers_are_not_related() -> None:
    teasers = "".join(
        f'<div class="teaser"><h2><a href="/t{i}">Teaser {i}</a></h2><p>{PARAGRAPH}</p>'
        f'<span class="more">Read more</span>'
        f'<p class="read-more"><a href="/t{i}">Read more</a></p></div>'
        for i in range(5)
    )
    nav = (
        '<nav><ul class="menu"><li><a href="/n1"><span>Read more</span></a></li>'
        '<li><span>Recommended</span><ul><li><a href="/n2">n2</a></li></ul></li></ul></nav>'
    )
    html = f"<html><body>{nav}<main>{teasers}</main></body></html>"
    got = regions(html)
    assert "related" not in got.values()
    assert got["/n1"] == "navigation"
    assert got["/n2"] == "navigation"


def test_heading_introducing_whole_page_is_not_related() -> None:
    many = "".join(f'<p><a href="/x{i}">x{i}</a></p>' for i in range(70))
    html = f"<html><body><h2>Related</h2><div class='list'>{many}</div></body></html>"
    assert "related" not in regions(html).values()
    html = f"<html><body><div class='related-on'>{many}</div></body></html>"
    assert "related" not in regions(html).values()


def test_related_class_on_article_ancestor_is_ignored() -> None:
    html = f"""<html><body><div class="post has-related">
    <div class="entry-content"><p>{PARAGRAPH}<a href="/b">b</a></p><p>{PARAGRAPH}</p></div>
    </div></body></html>"""
    assert regions(html) == {"/b": "body"}


# --- URLs ---------------------------------------------------------------------------------


def test_url_normalisation() -> None:
    html = """<html><body><div>
    <a href="  /a/b?x=1&amp;y=2#frag ">q</a>
    <a href="rel/page.html">rel</a>
    <a href="../up.html">up</a>
    <a href="//cdn.example.net/p">proto</a>
    <a href="HTTP://Example.COM/Upper">upper</a>
    <a href="javascript:void(0)">js</a>
    <a href="mailto:a@example.org">mail</a>
    <a href="tel:+123">tel</a>
    <a href="data:text/html,x">data</a>
    <a href="ftp://example.org/f">ftp</a>
    <a href="#top">top</a>
    <a href="">empty</a>
    <a>no href</a>
    <a href="/中文/路径?q=中 文">cn</a>
    <a href="http://例子.测试/x">idn</a>
    <a href="/a\n/b\tc">ws</a>
    <a href="/p?a=|b">pipe</a>
    <a href="http://example.org:bad/">bad port</a>
    </div></body></html>"""
    urls = [link.url for link in extract_links(parse(html), BASE)]
    assert urls == [
        "http://example.org/a/b?x=1&y=2",
        "http://example.org/news/2024/rel/page.html",
        "http://example.org/news/up.html",
        "http://cdn.example.net/p",
        "http://example.com/Upper",
        "http://example.org/%E4%B8%AD%E6%96%87/%E8%B7%AF%E5%BE%84?q=%E4%B8%AD%20%E6%96%87",
        "http://xn--fsqu00a.xn--0zwm56d/x",
        "http://example.org/a/bc",
        "http://example.org/p?a=%7Cb",
    ]


def test_base_href() -> None:
    html = """<html><head><base href="https://other.example/dir/"></head>
    <body><a href="page.html">p</a><a href="/root">r</a></body></html>"""
    urls = [link.url for link in extract_links(parse(html), BASE)]
    assert urls == ["https://other.example/dir/page.html", "https://other.example/root"]


def test_relative_base_href() -> None:
    html = '<html><head><base href="/sub/"></head><body><a href="x">x</a></body></html>'
    assert [link.url for link in extract_links(parse(html), BASE)] == ["http://example.org/sub/x"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",
        "http://example.org?a",
        "http://example.org/a?b=c&d=%20",
        "http://example.org/~a/b-c_d.e!$&*+,;=:@",
        "http://example.org/a?q='x'",
        "http://example.org/a(b)'c",
        "https://example.org:8080/p",
        "http://example.org/a%zz/%41?x=%",
        "http://example.org/[x]",
        "http://example.org/a?[x]",
        "http://Example.org/a",
        "http://example.org/a^b",
        "http://example.org/a`b",
        "http://example.org/a{b}",
        'http://example.org/a"b',
        "http://example.org/a\\b",
    ],
)
def test_fast_path_agrees_with_safe_url_string(url: str) -> None:
    _urls.absolute.cache_clear()
    assert _urls.absolute("", url) == safe_url_string(url)


@pytest.mark.parametrize(
    "href",
    [
        "/a?",
        "/a#",
        "/a/../b",
        "/a/./b",
        "/a?b/../c",
        "/a;p?q=1",
        "/a b",
        "/\\evil.example/",
        "/中文",
        "http://a.example/b?",
        "https://a.example/b/../c",
        "http://A.example/",
        "//cdn.example/x",
        "x/y",
        "?q=1",
    ],
)
def test_fast_join_agrees_with_urljoin(href: str) -> None:
    from urllib.parse import urljoin

    _urls.absolute.cache_clear()
    for base in ("http://example.org/news/a.html", "https://example.org:8443/"):
        root = _urls.base_root(base)
        expected = safe_url_string(urljoin(base, href)).partition("#")[0]
        assert _urls.resolve(base, root, href) == expected, base


def test_anchor_text_and_dedup() -> None:
    html = """<html><body><div>
    <a href="/a"><img src="i.png" alt=" Logo  image "></a>
    <a href="/a">  Second
       text </a>
    <a href="/b" title="Title text"></a>
    <a href="/c">first</a><a href="/c#x">second</a>
    <map><area href="/area" alt="Area alt"></map>
    </div><nav><a href="/c">menu</a></nav></body></html>"""
    got = extract_links(parse(html), BASE)
    assert [
        (link.url.removeprefix("http://example.org"), link.region, link.text) for link in got
    ] == [
        ("/a", "other", "Logo image"),
        ("/b", "other", "Title text"),
        ("/c", "other", "first"),
        ("/area", "other", "Area alt"),
        ("/c", "navigation", "menu"),
    ]


def test_first_non_empty_text_wins() -> None:
    html = '<html><body><a href="/a"></a><a href="/a">Text</a></body></html>'
    assert [link.text for link in extract_links(parse(html), BASE)] == ["Text"]


def test_nofollow_links_are_kept() -> None:
    html = page('<p><a rel="nofollow" href="/nf">nf</a></p>')
    assert regions(html)["/nf"] == "body"


def test_fragment_tree_from_fromstring() -> None:
    tree = lxml.html.fromstring('<div><a href="a">a</a><nav><a href="b">b</a></nav></div>')
    got = extract_links(tree, "http://example.org/")
    assert [(link.url, link.region) for link in got] == [
        ("http://example.org/a", "other"),
        ("http://example.org/b", "navigation"),
    ]


# --- follow_urls, JSON, rules -----------------------------------------------------------------


def test_follow_urls_modes() -> None:
    links = [
        Link("http://x/r", "related", "r"),
        Link("http://x/b", "body", "b"),
        Link("http://x/n", "navigation", "n"),
        Link("http://x/o", "other", "o"),
        Link("http://x/r", "navigation", "r again"),
        Link("http://x/b", "related", "b again"),
    ]
    assert follow_urls(links, "related") == ["http://x/r", "http://x/b"]
    assert follow_urls(links, "content") == ["http://x/r", "http://x/b"]
    assert follow_urls(links[1:], "content") == ["http://x/b"]
    assert follow_urls(links, "all") == ["http://x/r", "http://x/b", "http://x/n", "http://x/o"]
    with pytest.raises(ValueError):
        follow_urls(links, "everything")  # type: ignore[arg-type]


def test_link_json_round_trip() -> None:
    link = Link("http://x/a", "body", "Some text")
    assert link.to_json() == {"url": "http://x/a", "region": "body", "text": "Some text"}
    assert Link.from_json(link.to_json()) == link
    with pytest.raises(ValueError):
        Link.from_json({"url": "http://x/", "region": "sidebar", "text": ""})


def test_rules_for_host() -> None:
    overrides = {
        "example.org": {"related": ["div.xg"], "body": ["#content"]},
        "www.news.example.org": {"related": "//div[@id='rel']"},
    }
    assert LinkRules.for_host(overrides, "example.org") == LinkRules(("div.xg",), ("#content",))
    assert LinkRules.for_host(overrides, "WWW.Example.org:8080") == LinkRules(
        ("div.xg",), ("#content",)
    )
    assert LinkRules.for_host(overrides, "a.b.example.org").related == ("div.xg",)
    assert LinkRules.for_host(overrides, "news.example.org") == LinkRules(("//div[@id='rel']",))
    assert LinkRules.for_host(overrides, "example.com") == LinkRules()
    with pytest.raises(ValueError, match="unknown"):
        LinkRules.for_host({"x.org": {"relatd": ["a"]}}, "x.org")
    with pytest.raises(ValueError, match="bad link selector"):
        LinkRules(related=("div[",))
    with pytest.raises(ValueError, match="bad link selector"):
        LinkRules(body=("//div[",))


# --- a realistic page -----------------------------------------------------------------------


def realistic_page(paragraphs: int = 40, teasers: int = 30, footer_links: int = 40) -> str:
    """A ~50-60 KB news page: header, menus, breadcrumb, article with every related markup,
    sidebar, teaser list and footer. Paths tell the expected region: /nav/, /body/, /rel/,
    /other/."""
    menu = "".join(
        f'<li class="menu-item"><a href="/nav/m{i}"><span class="label">Section {i}</span>'
        f'</a><ul class="sub-menu"><li><a href="/nav/m{i}/a">A</a></li></ul></li>'
        for i in range(25)
    )
    sub = "".join(f'<a href="/nav/s{i}">Sub {i}</a> ' for i in range(15))
    paras = "".join(
        f'<p>{PARAGRAPH} {PARAGRAPH} <a href="/body/p{i}?ref=in#c">link {i}</a>. {PARAGRAPH}</p>'
        if i % 2
        else f"<p>{PARAGRAPH} {PARAGRAPH}</p>"
        for i in range(paragraphs)
    )
    rel_class = "".join(f'<li><a href="/rel/x{i}">相关文章 {i}</a></li>' for i in range(8))
    rel_heading = "".join(f'<a href="/rel/h{i}">延伸閱讀 {i}</a><br>' for i in range(8))
    rel_en = "".join(f'<li><a href="/rel/e{i}">Related story {i}</a></li>' for i in range(8))
    side = "".join(
        f'<li><a href="/other/pop{i}"><img src="/i{i}.jpg" alt="Popular {i}"></a>'
        f'<a href="/other/pop{i}">Popular story number {i} about clothing</a></li>'
        for i in range(20)
    )
    tags = "".join(f'<a href="/other/tag{i}">tag{i}</a> ' for i in range(25))
    teaser = "".join(
        f'<div class="teaser"><div class="thumb"><a href="/other/t{i}"><img src="/t{i}.jpg"'
        f' alt=""></a></div><div class="txt"><h3><a href="/other/t{i}">Teaser headline {i}</a>'
        f'</h3><div class="meta"><span class="date">2024-01-{i % 28 + 1:02d}</span>'
        f'<span class="sep">|</span><span class="src">Source</span></div>'
        f"<p>{PARAGRAPH[:160]}</p><a class='more' href='/other/t{i}'>Read more</a></div></div>"
        for i in range(teasers)
    )
    foot = "".join(f'<li><a href="/nav/f{i}">Footer {i}</a></li>' for i in range(footer_links))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Interpretation Of Hangzhou'S "Ali Flavor"</title>
<link rel="stylesheet" href="/s.css"><script>var x = 1;</script></head>
<body class="single has-sidebar">
<div id="page">
<header id="masthead"><a href="/nav/home"><img src="/logo.png" alt="Site"></a>
  <div class="search"><form action="/search"><input name="q"></form></div></header>
<nav class="main-navigation" role="navigation"><ul class="menu">{menu}</ul></nav>
<div class="subnav">{sub}</div>
<div class="crumbs"><a href="/nav/home">Home</a> &gt; <a href="/nav/news">News</a></div>
<div id="content" class="site-content">
 <div class="content-area">
  <article class="post">
   <header class="entry-header"><h1>Interpretation Of Hangzhou'S "Ali Flavor"</h1>
     <span class="byline"><a href="/nav/author">Author</a></span></header>
   <div class="entry-content">{paras}
     <div class="xgwz"><ul>{rel_class}</ul></div>
     <div><strong>延伸閱讀：</strong><p>{rel_heading}</p></div>
     <div class="share-buttons"><a href="https://social.example.com/share?u=1">Share</a>
       <a href="javascript:void(0)">Print</a><a href="mailto:?subject=x">Mail</a></div>
   </div>
   <footer class="entry-footer"><a href="/nav/cat">Category</a></footer>
  </article>
  <section class="box"><h2>Related stories</h2><ul>{rel_en}</ul></section>
  <div class="list">{teaser}</div>
 </div>
 <aside id="secondary" class="widget-area"><h2>Most popular</h2><ul>{side}</ul>
   <div class="widget tagcloud">{tags}</div>
   <div class="ad"><a href="http://ads.example.com/click?id=1"><img src="/ad.gif" alt="Ad">
   </a></div>
 </aside>
</div>
<footer id="colophon"><ul>{foot}</ul><p>&copy; 2024 <a href="/nav/about">About</a></p></footer>
</div></body></html>"""


def expected_region(url: str) -> str:
    for prefix, region in (
        ("http://example.org/nav/", "navigation"),
        ("http://example.org/body/", "body"),
        ("http://example.org/rel/", "related"),
        ("http://example.org/other/", "other"),
        ("http://ads.example.com/", "other"),
        ("https://social.example.com/", "other"),
    ):
        if url.startswith(prefix):
            return region
    raise AssertionError(url)


def test_realistic_page() -> None:
    html = realistic_page()
    assert 45_000 < len(html.encode()) < 65_000
    tree = parse(html)
    got = extract_links(tree, BASE)
    assert len(got) > 150
    wrong = [(link.url, link.region) for link in got if link.region != expected_region(link.url)]
    assert wrong == []
    by_region = {r: sum(1 for link in got if link.region == r) for r in ("related", "body")}
    assert by_region == {"related": 24, "body": 20}
    assert "http://example.org/body/p1?ref=in" in follow_urls(got, "content")
    assert all(link.url.startswith("http") for link in got)


def test_tree_not_mutated() -> None:
    tree = parse(realistic_page())
    before = etree.tostring(tree, encoding="unicode")
    extract_links(tree, BASE, LinkRules(related=("div.box",), body=("//article",)))
    extract_links(tree, BASE)
    assert etree.tostring(tree, encoding="unicode") == before


def test_only_related_is_the_related_part_of_all_links() -> None:
    """``only_related`` skips typing the other links and finds exactly the related ones."""
    from crawler.sample_site._build import build_site

    routes, _ = build_site("http://127.0.0.1:8000")
    pages = [
        (f"http://127.0.0.1:8000{path}", route.body)
        for path, route in routes.items()
        if dict(route.headers).get("Content-Type", "").startswith("text/html")
    ]
    nested = (
        '<div class="related"><h3>Related</h3><ul class="related-list">'
        '<li><a href="/r1">R1</a></li><li><a href="/r2">R2</a></li></ul></div>'
    )
    several = "<p>Article text, long enough to be the article itself.</p>".join(
        f'<div class="related"><a href="/b{i}/1">B{i}</a> <a href="/b{i}/2">B{i}</a></div>'
        for i in range(5)
    )  # several blocks: their links in document order
    pages += [(BASE, realistic_page().encode()), (BASE, page(nested).encode())]
    pages += [(BASE, page(nested + several).encode())]
    with_related = 0
    for url, body in pages:
        tree = lxml.html.document_fromstring(body)
        everything = extract_links(tree, url)
        related = extract_links(tree, url, only_related=True)
        assert related == [link for link in everything if link.region == "related"], url
        with_related += bool(related)
    assert with_related >= 40
