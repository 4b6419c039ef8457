"""The memory caps of page analysis: the HTML parsed and the links kept, recorded when they cut."""

from __future__ import annotations

import lxml.html
import pytest
from scrapy.settings import Settings

from archive.analysis import build_analysis_records
from archive.extraction import (
    ANALYSE_MAXSIZE,
    MAX_LINKS,
    ExtractionOptions,
    HtmlPage,
    analyse_html,
    analyse_pages,
)
from archive.links import page_links
from archive.records import parse_warc_fields
from crawler.config import WarcloomConfig

HEAD = b"<html><head><title>Long page</title></head><body>"
PARAGRAPH = b"<p>Textile exporters reported steady orders for cotton yarn and fabric.</p>\n"
NO_TEXT = ExtractionOptions(with_text=False)


def long_page(paragraphs: int, tail: bytes = b"") -> bytes:
    return HEAD + PARAGRAPH * paragraphs + tail + b"</body></html>"


def test_the_html_analysed_is_cut_at_max_size() -> None:
    body = long_page(200, b'<p><a href="/late">late link</a> the end</p>')
    options = ExtractionOptions(max_size=4096)
    result = analyse_html(body, "http://example.org/a", options=options)
    cut = result.truncated["parse"]
    assert cut["bytes"] == len(body)
    assert 4096 - len(PARAGRAPH) <= cut["analysed"] <= 4096
    assert body[cut["analysed"] : cut["analysed"] + 3] == b"<p>"  # before a tag, not in one
    assert result.title == "Long page"
    assert "steady orders" in result.text and "the end" not in result.text
    assert [link.url for link in result.links] == []
    assert result.errors == {}
    assert result.metadata_fields()["analysis-truncated"] == {"parse": cut}

    whole = analyse_html(body, "http://example.org/a", options=ExtractionOptions(max_size=0))
    assert whole.truncated == {}
    assert "the end" in whole.text and [x.url for x in whole.links] == ["http://example.org/late"]
    assert "analysis-truncated" not in whole.metadata_fields()


def test_a_page_under_max_size_is_not_cut() -> None:
    body = long_page(10)
    result = analyse_html(
        body, "http://example.org/a", options=ExtractionOptions(max_size=len(body))
    )
    assert result.truncated == {}
    assert analyse_html(body, "http://example.org/a").truncated == {}


def test_the_cap_is_on_by_default() -> None:
    # 3 MiB of a comment: cheap to parse (comments are dropped), so the cut is all this costs
    body = HEAD + PARAGRAPH + b"<!--" + b"x" * (3 << 20) + b"-->" + PARAGRAPH + b"</body></html>"
    assert ExtractionOptions().max_size == ANALYSE_MAXSIZE == 2 << 20
    result = analyse_html(body, "http://example.org/a", options=NO_TEXT)
    assert result.truncated == {"parse": {"bytes": len(body), "analysed": ANALYSE_MAXSIZE}}


@pytest.mark.parametrize("limit", range(100_000, 100_004))
def test_a_multibyte_character_is_never_cut(limit: int) -> None:
    # no tag, line break or space in the 64 KiB before the cut: only the UTF-8 boundary is left
    body = b"<html><body><p>" + "纺织服装出口订单".encode() * 5000 + b"</p></body></html>"
    result = analyse_html(body, "http://example.org/zh", options=ExtractionOptions(max_size=limit))
    analysed = result.truncated["parse"]["analysed"]
    assert limit - 3 <= analysed <= limit
    body[:analysed].decode("utf-8")  # whole characters
    assert result.charset == "utf-8" and "\ufffd" not in result.text
    assert result.text.endswith(("纺", "织", "服", "装", "出", "口", "订", "单"))


def test_a_double_byte_charset_is_cut_between_characters() -> None:
    text = "这个产业的发展对经济很重要，纺织企业订单增长。" * 40
    body = ("<html><body>" + f"<p>{text}</p>\n" * 20 + "</body></html>").encode("gbk")
    options = ExtractionOptions(max_size=len(body) // 2)
    result = analyse_html(
        body, "http://example.org/gbk", content_type="text/html; charset=gbk", options=options
    )
    assert result.truncated["parse"]["analysed"] <= len(body) // 2
    assert result.charset == "gb18030" or result.charset == "gbk"
    assert "\ufffd" not in result.text and "纺织企业" in result.text


def test_a_utf16_page_is_cut_on_a_code_unit() -> None:
    body = ("<html><body>" + "<p>Textile orders grew.</p>\n" * 300 + "</body></html>").encode(
        "utf-16"
    )
    result = analyse_html(body, "http://example.org/u16", options=ExtractionOptions(max_size=4001))
    assert result.truncated["parse"]["analysed"] % 2 == 0
    assert "\ufffd" not in result.text and "Textile orders grew." in result.text


def links_page(n: int, repeat_first: int = 0) -> bytes:
    first = b'<a href="/item-0">Item 0</a>' * repeat_first
    items = b"".join(b'<li><a href="/item-%d">Item %d</a></li>' % (i, i) for i in range(n))
    return b"<html><body><ul>" + first + items + b"</ul></body></html>"


def test_links_are_kept_up_to_max_links_and_the_rest_counted() -> None:
    body = links_page(50, repeat_first=5)
    options = ExtractionOptions(max_links=10, with_text=False)
    result = analyse_html(body, "http://example.org/", options=options)
    assert [link.url for link in result.links] == [
        f"http://example.org/item-{i}" for i in range(10)
    ]
    # the repeats of item-0 are one link; from item-10 on, 40 link elements are only counted
    assert result.truncated == {"links": {"kept": 10, "beyond": 40}}
    assert result.metadata_fields()["analysis-truncated"] == {"links": {"kept": 10, "beyond": 40}}

    exact = analyse_html(links_page(10), "http://example.org/", options=options)
    assert len(exact.links) == 10 and exact.truncated == {}
    unlimited = ExtractionOptions(max_links=0, with_text=False)
    assert len(analyse_html(body, "http://example.org/", options=unlimited).links) == 50


def test_the_link_cap_is_on_by_default() -> None:
    result = analyse_html(links_page(MAX_LINKS + 5), "http://example.org/", options=NO_TEXT)
    assert len(result.links) == MAX_LINKS == 10_000
    assert result.truncated == {"links": {"kept": MAX_LINKS, "beyond": 5}}


def test_page_links_counts_only_related_links_past_the_cap() -> None:
    related = b"".join(b'<li><a href="/r%d">Related story %d</a></li>' % (i, i) for i in range(8))
    html = (
        b'<html><body><article><p>Body text.</p></article><div class="related"><h3>Related'
        b"</h3><ul>" + related + b'</ul></div><a href="/elsewhere">x</a></body></html>'
    )
    tree = lxml.html.document_fromstring(html)
    found = page_links(tree, "http://example.org/", only_related=True, max_links=3)
    assert [link.url for link in found.links] == [f"http://example.org/r{i}" for i in range(3)]
    assert found.beyond == 5


def test_both_cuts_are_recorded_in_the_metadata_record() -> None:
    from datetime import UTC, datetime

    body = links_page(30) + b"<p>" + b"tail " * 2000 + b"</p>"
    options = ExtractionOptions(max_size=len(body) - 1000, max_links=5)
    (result,) = analyse_pages([HtmlPage(body, "http://example.org/")], options)
    assert set(result.truncated) == {"parse", "links"}
    date = datetime(2024, 5, 1, tzinfo=UTC)
    fields = result.metadata_fields()
    (meta, *_) = build_analysis_records("http://example.org/", "<urn:uuid:x>", date, fields, "", "")
    parsed = parse_warc_fields(meta.raw_stream.read())
    assert parsed["analysis-truncated"] == {
        "parse": result.truncated["parse"],
        "links": {"kept": 5, "beyond": 25},
    }


def test_the_setting_sets_max_size() -> None:
    settings = Settings({"WARCLOOM_OUT": "/tmp/x", "WARCLOOM_ANALYSE_MAXSIZE": "1048576"})
    assert WarcloomConfig.from_settings(settings).extraction.max_size == 1 << 20
    assert WarcloomConfig.from_settings(Settings()).extraction.max_size == ANALYSE_MAXSIZE
    with pytest.raises(ValueError, match="max_size"):
        WarcloomConfig.from_settings(Settings({"WARCLOOM_ANALYSE_MAXSIZE": "-1"}))
