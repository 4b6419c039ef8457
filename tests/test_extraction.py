"""Tests for archive.extraction: a batch of pages analyses each page as it would alone."""

from __future__ import annotations

import pytest

from archive.extraction import ExtractionOptions, HtmlPage, analyse_html, analyse_pages
from crawler.sample_site._build import build_site

BAD_PAGES = [
    HtmlPage(b"", "http://example.org/empty"),
    HtmlPage(b"   \n\t ", "http://example.org/blank"),
    HtmlPage(bytes(range(256)) * 40, "http://example.org/binary", "application/octet-stream"),
    HtmlPage(b"<html><body><p>unclosed <div><table><tr><td>cell", "http://example.org/broken"),
    HtmlPage(
        "<html><body><p>这个产业的发展对经济很重要</p></body></html>".encode("gbk"),
        "http://example.org/gbk-labelled-utf8",
        "text/html; charset=utf-8",
    ),
    HtmlPage(b'<?xml version="1.0" encoding="utf-8"?><html><p>x</p></html>', "http://e.org/x"),
]


def sample_pages() -> list[HtmlPage]:
    routes, _ = build_site("http://127.0.0.1:8000")
    pages = []
    for path, route in routes.items():
        headers = dict(route.headers)
        ctype = headers.get("Content-Type", "")
        small = len(route.body) < 200_000  # the 3 MB page alone would take most of the time
        if ctype.startswith("text/html") and "Content-Encoding" not in headers and small:
            url = f"http://127.0.0.1:8000{path}"
            pages.append(HtmlPage(route.body, url, ctype, headers.get("Content-Language")))
    return pages


@pytest.mark.parametrize(
    "options",
    [
        ExtractionOptions(),
        ExtractionOptions(links="related"),
        ExtractionOptions(links="none"),
        ExtractionOptions(with_text=False),
    ],
    ids=["all-links", "related-links", "no-links", "no-text"],
)
def test_a_batch_analyses_each_page_as_alone(options: ExtractionOptions) -> None:
    pages = sample_pages()
    assert len(pages) > 60
    pages[5:5] = BAD_PAGES  # bad input in the middle of a batch harms no other page
    together = analyse_pages(pages, options)
    alone = [
        analyse_html(
            p.body,
            p.url,
            content_type=p.content_type,
            content_language=p.content_language,
            options=options,
        )
        for p in pages
    ]
    assert together == alone
    assert [r.error for r in together[5:7]] == ["empty document"] * 2
    if options.with_text:
        assert sum(bool(r.text) for r in together) > 60
        assert sum(r.languages is not None for r in together) > 60


def test_empty_batch() -> None:
    assert analyse_pages([]) == []


def test_a_fragment_is_analysed_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """A body without <html> is read as a document's body: its text and links are found,
    and nothing is logged as an error (trafilatura's own loader rejects a lone element)."""
    body = (
        b"<p>Cotton prices rose again this week as mills in Jiangsu reported strong orders "
        b"for <a href='/a/1.html'>yarn exports</a>.</p>"
    )
    with caplog.at_level("INFO"):
        result = analyse_html(body, "http://example.org/fragment")
    assert result.error is None
    assert "Cotton prices rose" in result.text
    assert [x.url for x in result.links] == ["http://example.org/a/1.html"]
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []
