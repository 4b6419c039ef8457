"""Property-based tests (hypothesis): language tags, the link pass and page analysis never
raise on any text and keep their promises. Example counts are moderate and there is no
deadline, so nothing depends on the machine's speed."""

from __future__ import annotations

import html
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.extraction import HtmlPage, analyse_pages
from archive.languages import tag_languages, tag_languages_many
from archive.links import Link, LinkRules, extract_links, follow_urls
from tests.test_languages import EN_ARTICLE, FR_PARAGRAPH, JA_ARTICLE, ZH_HANT_ARTICLE, assert_valid

PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = [
    *" ".join([*EN_ARTICLE, FR_PARAGRAPH]).split()[:60],
    *(p[i : i + 6] for p in (*ZH_HANT_ARTICLE, *JA_ARTICLE) for i in range(0, 60, 6)),
    "서울시는", "대중교통", "Привет", "новости", "مرحبا", "العالم", "Ελλάδα", "שלום",
    "ภาษาไทย", "नमस्ते", "https://example.com/a?b=1", "x@example.org", "1234", "!!!", "😀",
]  # fmt: skip

any_char = st.characters(exclude_categories=["Cs"]) | st.characters(categories=["Cs"])
whitespace = st.text(st.sampled_from(" \t\n\r\x0b\x0c\x85\xa0\u2003\u2028\u3000"), min_size=1)
controls = st.text(st.characters(categories=["Cc", "Cf"]), min_size=1)
mixed_script = st.lists(st.sampled_from(WORDS), min_size=1, max_size=80).map(" ".join)
huge = st.builds(lambda part, n: part * n, mixed_script, st.integers(50, 400))
#: paragraphs of every kind: arbitrary Unicode (lone surrogates too), whitespace only, one
#: character, control characters, mixed scripts, huge
paragraph = st.one_of(
    st.text(any_char, max_size=300),
    whitespace,
    any_char,
    controls,
    mixed_script,
    st.builds(lambda a, b: a + b, whitespace, mixed_script),  # the IndexError's shape
    huge,
)
pages = st.lists(paragraph, max_size=12)


# --- language tags -------------------------------------------------------------------------------


@PROPERTIES
@given(pages, st.integers(0, 40))
@example(["A\ud800"], 0)  # a lone surrogate once reached numpy's UTF-32 view and raised
def test_tag_languages_never_raises_and_gives_valid_tags(page: list[str], min_chars: int) -> None:
    assert_valid(tag_languages(page, min_chars=min_chars), len(page))


@PROPERTIES
@given(st.lists(pages, max_size=4))
def test_pages_tagged_together_are_tagged_as_alone(batch: list[list[str]]) -> None:
    assert tag_languages_many(batch) == [tag_languages(page) for page in batch]


# --- the link pass -------------------------------------------------------------------------------

href = st.one_of(
    st.text(any_char, max_size=60),
    st.sampled_from(["/a", "b/c", "../d", "?q=1", "#top", "//other.org/x", "mailto:x@y.z"]),
    st.builds(lambda s: "http://example.org/" + s, st.text(any_char, max_size=30)),
    st.builds(lambda s: "https://例え.jp/" + s, st.text(any_char, max_size=30)),
)
block = st.one_of(
    st.builds(lambda h, t: f'<a href="{h}">{t}</a>', href, paragraph),
    st.builds(lambda h, t: f"<a href='{html.escape(h)}'>{html.escape(t)}</a>", href, paragraph),
    st.builds(lambda t: f"<p>{html.escape(t)}</p>", paragraph),
    st.builds(lambda h: f'<base href="{html.escape(h)}">', href),
    st.sampled_from(
        [
            "<nav>",
            "</nav>",
            "<article>",
            "</article>",
            "<h2>Related articles</h2><ul>",
            "<h3>相关阅读</h3>",
            "</ul>",
            '<div class="related-posts">',
            "</div>",
            "<footer>",
            '<area href="/map">',
        ]
    ),
)
document = st.lists(block, max_size=30).map(lambda parts: "<html><body>" + "".join(parts))
base_url = st.one_of(
    st.sampled_from(["http://example.org/news/a.html", "https://例え.jp/パス/", "", "not a url"]),
    st.text(any_char, max_size=40),
)


def parsed(markup: str) -> Any:
    from archive.extraction import _parse

    return _parse(markup)


@PROPERTIES
@given(document, base_url)
def test_the_link_pass_never_raises_and_keeps_its_promises(markup: str, base: str) -> None:
    tree = parsed(markup)
    links = extract_links(tree, base, LinkRules())
    assert len({(link.url, link.region) for link in links}) == len(links)
    for link in links:
        assert link.url.startswith(("http://", "https://")) and "#" not in link.url
        assert link.region in ("related", "body", "navigation", "other")
        assert Link.from_json(link.to_json()) == link
    related = [link for link in links if link.region == "related"]
    assert extract_links(tree, base, LinkRules(), only_related=True) == related
    for mode in ("related", "content", "all"):
        urls = follow_urls(links, mode)
        assert len(set(urls)) == len(urls) and set(urls) <= {link.url for link in links}


# --- page analysis -------------------------------------------------------------------------------


def as_body(markup: str) -> bytes:
    return markup.encode("utf-8", "surrogatepass")  # lone surrogates: invalid UTF-8 bytes


html_page = st.one_of(
    document.map(as_body),
    st.lists(paragraph, max_size=10).map(
        lambda ps: as_body("<html><body><article>" + "".join(f"<p>{p}</p>" for p in ps))
    ),
    st.binary(max_size=2000),
)


@PROPERTIES
@given(st.lists(html_page, max_size=5))
def test_analyse_pages_never_raises_and_keeps_the_text(bodies: list[bytes]) -> None:
    """One result per page, and the text, title and links do not depend on whether the
    language tagging works: with tagging broken, each page is tagged und, error recorded."""
    from archive.languages import _tagging

    pages = [HtmlPage(body, f"http://example.org/{i}") for i, body in enumerate(bodies)]
    results = analyse_pages(pages)
    assert len(results) == len(pages)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_tagging, "_tagging", broken_tagging)
        broken = analyse_pages(pages)
    for result, without in zip(results, broken, strict=True):
        assert (without.text, without.title, without.links) == (
            result.text,
            result.title,
            result.links,
        )
        assert set(without.errors) - {"languages"} == set(result.errors)
        if result.languages is not None:
            assert without.errors["languages"] == "RuntimeError: tagging is broken"
            assert without.languages is not None and without.languages.primary() == "und"


def broken_tagging(*args: Any) -> Any:
    raise RuntimeError("tagging is broken")
    yield  # a generator, as the stage it replaces
