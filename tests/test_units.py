"""Small pure units: settings parsing, seed sources, the address guard, the summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.config import WarcloomConfig
from crawler.progress import format_summary
from crawler.safety import _literal_verdict, is_public_address
from crawler.seeds import feed_links, read_seeds_file, sitemap_entries


def config(**values: object) -> WarcloomConfig:
    return WarcloomConfig.from_settings(Settings(values))


def test_config_defaults_and_layout() -> None:
    cfg = config(WARCLOOM_OUT="/data", WARCLOOM_COLLECTION="news")
    assert cfg.follow == "related" and cfg.extract and not cfg.extract_inline
    assert cfg.coll.archive_dir == Path("/data/collections/news/archive")
    assert cfg.coll.index_path == Path("/data/collections/news/indexes/index.cdxj")
    assert cfg.workers >= 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"WARCLOOM_FOLLOW": "everything"}, "WARCLOOM_FOLLOW"),
        ({"WARCLOOM_WARC_MAX_SIZE": 10}, "WARCLOOM_WARC_MAX_SIZE"),
        ({"WARCLOOM_EXTRACT": False, "WARCLOOM_EXTRACT_INLINE": True}, "INLINE"),
        ({"WARCLOOM_PROGRESS": "loud"}, "WARCLOOM_PROGRESS"),
        ({"WARCLOOM_COLLECTION": "../etc"}, "WARCLOOM_COLLECTION"),
        ({"WARCLOOM_INCLUDE": ["("]}, "regex"),
        ({"WARCLOOM_LINK_RULES": {"example.org": {"sidebar": ["x"]}}}, "LINK_RULES"),
    ],
)
def test_config_rejects_bad_and_contradictory_values(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config(**values)


def test_config_parses_link_rules_and_patterns() -> None:
    cfg = config(
        WARCLOOM_LINK_RULES={"example.org": {"related": "div.xg", "body": ["#c", "//main"]}},
        WARCLOOM_INCLUDE="/news/,/world/",
    )
    assert cfg.link_rules == {"example.org": {"related": ("div.xg",), "body": ("#c", "//main")}}
    assert [p.pattern for p in cfg.include] == ["/news/", "/world/"]


def test_seeds_file(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("# news\nhttp://a.example/1\n\n  http://b.example/2  \n")
    assert read_seeds_file(path) == ["http://a.example/1", "http://b.example/2"]


def test_sitemap_and_sitemap_index() -> None:
    urlset = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://a.example/1</loc></url><url><loc>http://a.example/2</loc></url></urlset>"""
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://a.example/s1.xml</loc></sitemap></sitemapindex>"""
    assert sitemap_entries(urlset) == (["http://a.example/1", "http://a.example/2"], [])
    assert sitemap_entries(index) == ([], ["http://a.example/s1.xml"])


def test_feeds_rss_and_atom() -> None:
    rss = b"""<rss version="2.0"><channel><item><link>/a/1</link></item>
      <item><link>http://a.example/a/2</link></item><item><link>/a/1</link></item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link rel="alternate" href="http://a.example/x"/><link rel="edit" href="/edit"/></entry>
      <entry><link href="y"/></entry></feed>"""
    assert feed_links(rss, "http://a.example/feed") == [
        "http://a.example/a/1",
        "http://a.example/a/2",
    ]
    assert feed_links(atom, "http://a.example/f/") == ["http://a.example/x", "http://a.example/f/y"]
    assert feed_links(b"not xml at all", "http://a.example/") == []


@pytest.mark.parametrize(
    ("host", "verdict"),
    [
        ("169.254.169.254", False),
        ("10.0.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("localhost", False),
        ("localhost.localdomain", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("example.org", None),
    ],
)
def test_address_verdicts(host: str, verdict: bool | None) -> None:
    assert _literal_verdict(host) is verdict


def test_is_public_address_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        is_public_address("not-an-ip")


def test_summary_lists_status_languages_and_failures() -> None:
    text = format_summary(
        {
            "warcloom/captures": 5,
            "warcloom/pages": 3,
            "warcloom/captures/status/200": 4,
            "warcloom/captures/status/404": 1,
            "warcloom/pages/lang/en": 2,
            "warcloom/pages/lang/zh-Hant": 1,
            "warcloom/files": 1,
            "warcloom/bytes": 12345,
            "warcloom/fetch_errors": 2,
        }
    )
    assert "200: 4, 404: 1" in text
    assert "en: 2, zh-Hant: 1" in text
    assert "12,345 bytes" in text
    assert "fetch errors: 2" in text


def test_crawler_config_is_parsed_once_per_crawler() -> None:
    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider

    from crawler.config import crawler_config

    crawler = Crawler(Spider, Settings({"WARCLOOM_COLLECTION": "once"}))
    first = crawler_config(crawler)
    assert first.collection == "once"
    assert crawler_config(crawler) is first
    other = Crawler(Spider, Settings({"WARCLOOM_COLLECTION": "other"}))
    assert crawler_config(other).collection == "other"


def _addon_settings(**values: object) -> Settings:
    from crawler.addon import WarcloomAddon

    settings = Settings(values)
    WarcloomAddon().update_settings(settings)
    return settings


def test_compressed_text_responses_go_on_as_plain_responses(monkeypatch) -> None:
    """HttpCompressionMiddleware decodes what capture hands on, and gives the decoded
    body its class again, without inferring the charset of the compressed bytes."""
    import gzip

    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
    from scrapy.http import HtmlResponse, Request, Response, TextResponse
    from scrapy.utils.test import get_crawler

    from crawler.capture import _decoded_after_capture, _plain

    assert _decoded_after_capture(_addon_settings())
    assert not _decoded_after_capture(_addon_settings(COMPRESSION_ENABLED=False))
    html = '<html><head><meta charset="gbk"></head><body><p>纺织</p></body></html>'
    body = gzip.compress(html.encode("gbk"))
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    request = Request("http://example.org/a")
    received = HtmlResponse(
        "http://example.org/a", body=body, headers=headers, request=request, flags=["x"]
    )
    plain = _plain(received)
    assert type(plain) is Response
    assert (plain.body, plain.flags, plain.request, plain.status) == (body, ["x"], request, 200)

    def inferred(self: TextResponse) -> str:
        raise AssertionError("the charset of compressed bytes was inferred")

    monkeypatch.setattr(TextResponse, "_body_inferred_encoding", inferred)
    decoding = HttpCompressionMiddleware.from_crawler(get_crawler())
    decoded = decoding.process_response(request, plain)
    assert isinstance(decoded, HtmlResponse)
    assert decoded.text == html and decoded.encoding == "gb18030"  # w3lib's name for gbk


def test_addon_lowers_concurrent_items_unless_the_project_sets_it() -> None:
    assert _addon_settings().getint("CONCURRENT_ITEMS") == 4
    project = Settings()
    project.set("CONCURRENT_ITEMS", 50, "project")
    from crawler.addon import WarcloomAddon

    WarcloomAddon().update_settings(project)
    assert project.getint("CONCURRENT_ITEMS") == 50
