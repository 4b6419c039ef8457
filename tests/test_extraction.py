"""Tests for archive.extraction: a batch of pages analyses each page as it would alone."""

from __future__ import annotations

from typing import Any

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
    assert [r.errors for r in together[5:7]] == [{"parse": "empty document"}] * 2
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
    assert result.errors == {}
    assert "Cotton prices rose" in result.text
    assert [x.url for x in result.links] == ["http://example.org/a/1.html"]
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []


def english_page(*extra: str) -> bytes:
    """An article long enough that a short paragraph's langdetect sample is a character or two."""
    from tests.test_languages import EN_ARTICLE

    paragraphs = [f"{p} {q}" for p in EN_ARTICLE for q in EN_ARTICLE]
    body = "".join(f"<p>{p}</p>" for p in [*paragraphs, *extra])
    return (
        "<html><head><title>Budget vote</title></head><body><article><h1>Budget vote</h1>"
        f"{body}<p>More on <a href='/budget'>the budget</a>.</p></article></body></html>"
    ).encode()


def test_a_paragraph_opening_with_links_keeps_the_page() -> None:
    """Issue 11, item 8: the langdetect sample of "https://... https://... See the map" was
    whitespace and tagging raised IndexError, which cost the page its text, title, links."""
    page = english_page("https://example.com/a https://example.com/b See the map")
    result = analyse_html(page, "http://example.org/budget")
    assert result.errors == {}
    assert result.title == "Budget vote" and "See the map" in result.text
    assert result.languages is not None and result.languages.primary() == "en"
    assert [x.url for x in result.links] == ["http://example.org/budget"]


def raising(exc: Exception) -> Any:
    def stage(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return stage


def test_a_language_tagging_failure_costs_only_the_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The failing page is tagged und with the error recorded (down to the metadata record);
    the other pages of the batch get the tags they get alone."""
    from archive.languages import _langdetect, _tagging

    pages = [HtmlPage(english_page(), f"http://example.org/{i}") for i in range(3)]
    pages[1] = HtmlPage(english_page("Tagging this page fails."), "http://example.org/1")
    expected = analyse_pages(pages)
    real = _langdetect.detect_many

    def failing(texts: list[Any]) -> list[list[tuple[str, float]]]:
        if any("Tagging this page fails" in "".join(text) for text in texts):
            raise IndexError("list index out of range")
        return real(texts)

    monkeypatch.setattr(_langdetect, "detect_many", failing)
    monkeypatch.setattr(_tagging, "_SAMPLE_CHARS", 100_000)  # every paragraph in the sample
    results = analyse_pages(pages)
    assert [results[0], results[2]] == [expected[0], expected[2]]
    failed = results[1]
    assert failed.errors == {"languages": "IndexError: list index out of range"}
    assert failed.languages is not None and failed.languages.primary() == "und"
    assert failed.languages.iso639_3() == ["und"]
    for kept in ("title", "text", "links", "author", "date", "charset"):
        assert getattr(failed, kept) == getattr(expected[1], kept), kept
    assert failed.text and failed.links
    fields = failed.metadata_fields()
    assert fields["analysis-errors"] == {"languages": "IndexError: list index out of range"}
    assert fields["languages"] == [{"tag": "und", "code": "und", "share": 1.0}]
    assert "analysis-errors" not in results[0].metadata_fields()


def test_a_link_pass_failure_costs_only_the_links(monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.links

    pages = [HtmlPage(english_page(), "http://example.org/a")]
    expected = analyse_pages(pages)[0]
    monkeypatch.setattr(archive.links, "page_links", raising(RecursionError("too deep")))
    result = analyse_pages(pages)[0]
    assert result.errors == {"links": "RecursionError: too deep"}
    assert result.links == ()
    assert (result.title, result.text, result.languages) == (
        expected.title,
        expected.text,
        expected.languages,
    )
    assert result.languages is not None and result.languages.primary() == "en"
    assert result.metadata_fields()["analysis-errors"] == {"links": "RecursionError: too deep"}


def test_a_text_extraction_failure_keeps_the_links(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    page = HtmlPage(english_page(), "http://example.org/a")
    monkeypatch.setattr(trafilatura, "bare_extraction", raising(ValueError("bad tree")))
    result = analyse_pages([page])[0]
    assert result.errors == {"text": "ValueError: bad tree"}
    assert [x.url for x in result.links] == ["http://example.org/budget"]
    assert result.text == "" and result.languages is None
