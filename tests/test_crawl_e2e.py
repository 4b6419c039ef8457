"""End to end: crawl the bundled sample site over real HTTP, read the WARC files back."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from crawl_helpers import FAST, ArchiveView, load_stats, warcloom

from archive.records import sha1_digest
from crawler.sample_site import SampleSite

COLLECTION = "news"
CONTACT = "https://example.org/archive-team"


@dataclass
class CrawlRun:
    site: SampleSite
    view: ArchiveView
    requests: list[str]
    stats: dict[str, Any]
    out: Path
    output: str


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("crawl")
    with SampleSite() as site:
        stats_path = out / "stats.json"
        output = warcloom(
            "crawl",
            site.url(site.manifest.seed_path),
            "--out",
            str(out),
            "--collection",
            COLLECTION,
            "--contact",
            CONTACT,
            "--stats-json",
            str(stats_path),
            *FAST,
            "-s",
            "WARCLOOM_WARC_MAX_SIZE=150000",  # several files: records of a page may straddle
        )
        requests = list(site.requests)
    view = ArchiveView.load(out / "collections" / COLLECTION / "archive")
    return CrawlRun(site, view, requests, load_stats(stats_path), out, output)


def test_every_reachable_article_is_captured_once_and_nothing_else(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    stats = crawl.stats
    responses = view.responses_by_url()
    manifest = site.manifest
    for article in manifest.articles:
        captures = [r for r in responses.get(site.url(article.path), []) if r.http_status == 200]
        if article.reachable:
            assert len(captures) == 1, article.path
        else:
            assert captures == [], f"{article.path} is not reachable by related links"
    assert stats["finish_reason"] == "finished"
    assert stats["warcloom/pages"] == sum(a.reachable for a in manifest.articles)


def test_disallowed_paths_are_never_fetched(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    requests = crawl.requests
    stats = crawl.stats
    prefix = site.manifest.disallowed_prefix
    assert "/robots.txt" in requests
    assert not [p for p in requests if p.startswith(prefix)]
    assert not [r for r in view.records if urlsplit(r.url).path.startswith(prefix)]
    assert stats["robotstxt/forbidden"] >= 1


def test_both_redirect_hops_are_archived(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    responses = view.responses_by_url()
    first, second, final = site.manifest.redirect_chain
    (hop1,) = responses[site.url(first)]
    (hop2,) = responses[site.url(second)]
    assert (hop1.http_status, hop2.http_status) == (301, 302)
    assert ("Location", second) in hop1.http_headers or (
        "Location",
        site.url(second),
    ) in hop1.http_headers
    (landing,) = responses[site.url(final)]
    assert landing.http_status == 200


def test_gzip_page_is_stored_gzipped_with_verifiable_digests(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    (record,) = view.responses_by_url()[site.url(site.manifest.gzip_path)]
    assert ("Content-Encoding", "gzip") in record.http_headers
    assert record.payload[:2] == b"\x1f\x8b"
    html = gzip.decompress(record.payload).decode("utf-8")
    assert site.manifest.article(site.manifest.gzip_path).title.split()[0] in html
    assert record.headers["WARC-Payload-Digest"] == sha1_digest(record.payload)
    assert ("Content-Length", str(len(record.payload))) in record.http_headers


def test_status_line_and_header_names_are_kept_as_received(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    (record,) = view.responses_by_url()[site.url(site.manifest.not_found_path)]
    assert record.http_status == 404
    assert ("x-served-by", "sample-news") in record.http_headers  # casing kept
    assert record.status_line == "HTTP/1.1 404 No Such Article"


def test_chunked_page_is_stored_whole(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    (record,) = view.responses_by_url()[site.url(site.manifest.chunked_path)]
    article = site.manifest.article(site.manifest.chunked_path)
    assert article.paragraphs[-1].encode() in record.payload.replace(b"&#39;", b"'")
    assert ("Content-Length", str(len(record.payload))) in record.http_headers
    # de-chunked body: the header that said "chunked" is kept under another name
    assert ("X-Crawler-Transfer-Encoding", "chunked") in record.http_headers
    assert not [n for n, _ in record.http_headers if n.lower() == "transfer-encoding"]


def test_errors_and_non_html_are_archived_but_not_extracted(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    stats = crawl.stats
    responses = view.responses_by_url()
    manifest = site.manifest
    assert [r.http_status for r in responses[site.url(manifest.not_found_path)]] == [404]
    assert {r.http_status for r in responses[site.url(manifest.server_error_path)]} == {500}
    (pdf,) = responses[site.url(manifest.pdf_path)]
    assert pdf.payload.startswith(b"%PDF-")
    metadata_targets = {r.url for r in view.of_type("metadata")}
    assert site.url(manifest.pdf_path) not in metadata_targets
    assert site.url(manifest.not_found_path) not in metadata_targets
    assert stats["warcloom/not_extracted/non_html"] >= 1


def test_request_records_are_linked_and_complete(crawl: CrawlRun) -> None:
    view = crawl.view
    by_id = view.by_id()
    for response in view.of_type("response"):
        request = by_id[response.headers["WARC-Concurrent-To"]]
        assert request.type == "request"
        assert request.headers["WARC-Concurrent-To"] == response.id
        assert request.headers["WARC-Date"] == response.headers["WARC-Date"]
        assert response.headers["WARC-IP-Address"] == "127.0.0.1"
        head = request.payload  # request block payload is empty for GET; check the header list
        assert head == b""
        names = [name.lower() for name, _ in request.http_headers]
        assert {"host", "user-agent", "accept-encoding"} <= set(names)
        user_agent = dict(request.http_headers)["User-Agent"]
        assert user_agent == f"warcloom/{version('warcloom')} (+{CONTACT})"


def test_related_titles_are_links_not_text_and_paragraphs_are_all_there(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    responses = view.responses_by_url()
    checked = 0
    for article in site.manifest.articles:
        if not article.reachable:
            continue
        (response,) = [r for r in responses[site.url(article.path)] if r.http_status == 200]
        text = view.text(response)
        for paragraph in article.paragraphs:
            assert paragraph in text, (article.path, paragraph[:60])
        related = [
            link for link in view.metadata_fields(response)["links"] if link["region"] == "related"
        ]
        related_text = {link["text"] for link in related}
        for title in article.related_titles:
            assert title not in text.split("\n\n", 1)[1], (article.path, title)
            assert title in related_text, (article.path, title)
        checked += 1
    assert checked >= 50


def test_language_tags_are_right_on_every_page(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    responses = view.responses_by_url()
    seen = set()
    for article in site.manifest.articles:
        if not article.reachable:
            continue
        (response,) = [r for r in responses[site.url(article.path)] if r.http_status == 200]
        fields = view.metadata_fields(response)
        assert fields["languages"][0]["tag"] == article.language, article.path
        conversion = view.referring("conversion")[response.id]
        expected = {"en": "eng", "zh-Hans": "zho", "zh-Hant": "zho"}[article.language]
        assert conversion.headers["WARC-Identified-Content-Language"].split(",")[0] == expected
        seen.add(article.language)
    assert seen == {"en", "zh-Hans", "zh-Hant"}


def test_mixed_pages_carry_both_languages(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    responses = view.responses_by_url()
    mixed = [
        a
        for a in site.manifest.articles
        if a.reachable
        and a.language == "en"
        and any("\u4e00" <= c <= "\u9fff" for p in a.paragraphs for c in p)
    ]
    assert mixed
    for article in mixed:
        (response,) = [r for r in responses[site.url(article.path)] if r.http_status == 200]
        tags = [entry["tag"] for entry in view.metadata_fields(response)["languages"]]
        assert tags[0] == "en" and any(t.startswith("zh") for t in tags[1:]), tags


def test_metadata_record_fields(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    (seed,) = view.responses_by_url()[site.url(site.manifest.seed_path)]
    fields = view.metadata_fields(seed)
    assert fields["hops-from-seed"] == 0
    assert fields["extractor"]["name"] == "trafilatura"
    assert fields["declared-languages"]["html"]
    assert fields["charset"]
    assert fields["title"] == site.manifest.article(site.manifest.seed_path).title
    regions = {link["region"] for link in fields["links"]}
    assert {"related", "navigation"} <= regions


def test_legacy_charsets_are_decoded(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    responses = view.responses_by_url()
    legacy = [
        a for a in site.manifest.articles if a.reachable and a.charset in ("gbk", "big5", None)
    ]
    assert {a.charset for a in legacy} >= {"gbk", "big5", None}
    for article in legacy:
        (response,) = [r for r in responses[site.url(article.path)] if r.http_status == 200]
        assert article.paragraphs[0] in view.text(response), article.path


def test_every_file_starts_with_warcinfo_and_passes_warcio_check(crawl: CrawlRun) -> None:
    view = crawl.view
    assert len(view.files) >= 2  # rotation happened
    warcio = str(Path(sys.executable).parent / "warcio")
    for path in view.files:
        result = subprocess.run([warcio, "check", "-v", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
        assert "digest pass" in result.stdout
    for info in view.of_type("warcinfo"):
        fields = info.payload.decode()
        for name in ("software:", "isPartOf: news", "robots: obey", "conformsTo:", "format:"):
            assert name in fields


def test_index_is_sorted_and_carries_languages_and_titles(crawl: CrawlRun) -> None:
    site = crawl.site
    view = crawl.view
    out = crawl.out
    lines = (out / "collections" / COLLECTION / "indexes" / "index.cdxj").read_text().splitlines()
    assert lines == sorted(lines)
    entries = {}
    for line in lines:
        payload = line.split(" ", 2)[2]
        entries.setdefault(json.loads(payload)["url"], json.loads(payload))
    assert len(entries) == len(view.responses_by_url())
    seed = entries[site.url(site.manifest.seed_path)]
    assert seed["languages"] == "eng"
    assert seed["title"] == site.manifest.article(site.manifest.seed_path).title
    hant = next(a for a in site.manifest.articles if a.reachable and a.language == "zh-Hant")
    assert entries[site.url(hant.path)]["languages"].startswith("zho")


@pytest.mark.parametrize("source", ["sitemap", "feed"])
def test_sitemap_and_feed_seeds_with_depth_limit(tmp_path: Path, source: str) -> None:
    with SampleSite() as site:
        manifest = site.manifest
        path = manifest.sitemap_path if source == "sitemap" else manifest.rss_path
        stats_path = tmp_path / "stats.json"
        warcloom(
            "crawl",
            f"--{source}",
            site.url(path),
            "--depth",
            "1",
            "--out",
            str(tmp_path),
            "--stats-json",
            str(stats_path),
            *FAST,
        )
        expected = (
            {site.url(a.path) for a in manifest.articles}
            if source == "sitemap"
            else {site.url(p) for p in manifest.rss_paths}
        )
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    analysed = {r.url for r in view.of_type("conversion")}
    # every listed article, including those no related link reaches, and nothing deeper
    assert analysed == expected
    assert load_stats(stats_path)["warcloom/scope/too_deep"] > 0


def test_progress_line_only_when_asked_or_on_a_terminal(crawl: CrawlRun, tmp_path: Path) -> None:
    assert "\x1b[K" not in crawl.output  # piped: quiet
    assert "by language: en:" in crawl.output  # the closing summary
    with SampleSite() as site:
        output = warcloom(
            "crawl",
            site.url(site.manifest.seed_path),
            "--out",
            str(tmp_path),
            *FAST,
            "-s",
            "WARCLOOM_PROGRESS=on",
            "-s",
            "DOWNLOAD_DELAY=0.03",
        )
    # text-mode pipes turn the carriage return into a newline: split on the erase code
    lines = [line for line in output.split("\x1b[K") if line.startswith("pages ")]
    assert lines, output[-2000:]
    assert "/s  queued " in lines[-1] and "WARC " in lines[-1]


def test_per_site_link_rules_from_settings_reach_the_spider(tmp_path: Path) -> None:
    with SampleSite() as site:
        rules = json.dumps({"127.0.0.1": {"related": ["div.box.tags"]}})
        warcloom(
            "crawl",
            site.url(site.manifest.seed_path),
            "--depth",
            "1",
            "--out",
            str(tmp_path),
            *FAST,
            "-s",
            f"WARCLOOM_LINK_RULES={rules}",
        )
        seed_url = site.url(site.manifest.seed_path)
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    (seed,) = view.responses_by_url()[seed_url]
    related = [link for link in view.metadata_fields(seed)["links"] if link["region"] == "related"]
    # the tag cloud is related reading by the rule, next to the block found on its own
    assert any("/tag/" in link["url"] for link in related)
    assert any("/news/" in link["url"] for link in related)
    # and it was followed as such
    assert any("/tag/" in r.url for r in view.of_type("request"))


def test_scrapy_crawl_articles_through_scrapy_cfg(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    scrapy = Path(sys.executable).parent / "scrapy"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        settings = [f"WARCLOOM_OUT={tmp_path}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]
        result = subprocess.run(
            [str(scrapy), "crawl", "articles", "-a", f"seeds={seed}", "-a", "depth=1"]
            + [flag for value in settings for flag in ("-s", value)],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        related = len(site.manifest.article(site.manifest.seed_path).related_paths)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warcloom summary" in result.stderr
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    analysed = {r.url for r in view.of_type("conversion")}
    assert seed in analysed and 1 < len(analysed) <= 1 + related
