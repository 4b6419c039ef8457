"""Rendering without a browser: the settings, which pages are rendered, the records of a
rendering, and the refusal at start when Chromium is missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.settings import BaseSettings

from archive.records import HttpExchange, parse_warc_fields, record_id, serialize
from crawler.render import RenderOptions, chromium_problem
from crawler.render._browser import BrowserFailure, Rendering
from crawler.render._pages import browser_may_fetch, rendering_records

ROOT = Path(__file__).resolve().parent.parent


def _options(**values: object) -> RenderOptions:
    return RenderOptions.from_settings(BaseSettings(values))


def test_defaults_render_nothing():
    options = _options()
    assert (options.mode, options.min_words, options.contexts) == ("never", 50, 2)
    assert options.chromium == "/usr/bin/chromium"
    assert not options.enabled and not options.wants("http://a.example/", 0)
    assert chromium_problem(options) is None  # not asked when nothing is rendered


def test_auto_renders_short_pages_and_matching_urls():
    options = _options(WARCLOOM_RENDER="auto", WARCLOOM_RENDER_URLS=r"/live/")
    assert options.wants("http://a.example/news/1.html", 49)
    assert not options.wants("http://a.example/news/1.html", 50)
    assert options.wants("http://a.example/live/1.html", 500)
    assert not options.wants("http://a.example/news/1.html", None)  # no text extracted
    assert _options(WARCLOOM_RENDER="always").wants("http://a.example/", 10_000)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"WARCLOOM_RENDER": "sometimes"}, "WARCLOOM_RENDER must be one of"),
        ({"WARCLOOM_RENDER_URLS": "(unclosed"}, "bad regex in WARCLOOM_RENDER_URLS"),
        ({"WARCLOOM_RENDER_CONTEXTS": "0"}, "WARCLOOM_RENDER_CONTEXTS must be at least 1"),
        ({"WARCLOOM_RENDER_TIMEOUT": "0.5"}, "WARCLOOM_RENDER_TIMEOUT must be at least 1"),
        ({"WARCLOOM_RENDER_MIN_WORDS": "-1"}, "WARCLOOM_RENDER_MIN_WORDS must be at least 0"),
    ],
)
def test_bad_settings_are_refused(values: dict[str, str], message: str):
    with pytest.raises(ValueError, match=message):
        _options(**values)


def test_missing_chromium_is_said(tmp_path: Path):
    options = _options(WARCLOOM_RENDER="auto", WARCLOOM_CHROMIUM=str(tmp_path / "none"))
    problem = chromium_problem(options)
    assert problem is not None and "apt-get install chromium" in problem


@pytest.mark.parametrize("mode", ["auto", "always"])
def test_crawl_without_chromium_stops_at_start_with_exit_2(tmp_path: Path, mode: str):
    missing = tmp_path / "no-chromium"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            "http://127.0.0.1:9/",
            "--out",
            str(tmp_path / "out"),
            "--render",
            mode,
            "-s",
            f"WARCLOOM_CHROMIUM={missing}",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"needs Chromium at {missing}" in lines[0]
    assert not (tmp_path / "out").exists()


def _rendering() -> Rendering:
    date = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    exchange = HttpExchange(
        url="http://a.example/story.json",
        method="GET",
        request_target="/story.json",
        request_headers=[(b"Host", b"a.example"), (b"Accept", b"*/*")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        response_headers=[
            (b"Content-Type", b"application/json"),
            (b"X-Crawler-Content-Encoding", b"gzip"),
        ],
        body=b'{"paragraphs": ["one"]}',
        date=date,
        status_line="HTTP/1.1 200 OK",
    )
    failure = BrowserFailure(
        url="http://a.example/stalls.png",
        method="GET",
        request_target="/stalls.png",
        request_headers=[(b"Host", b"a.example")],
        request_body=b"",
        date=date,
        error="the body was still arriving when the page was taken",
    )
    return Rendering(
        "http://a.example/page.html",
        exchanges=[exchange],
        failures=[failure],
        dom="<html><body><p>one</p></body></html>",
        screenshot=b"\x89PNG\r\n\x1a\nfake",
        taken=date,
    )


def test_rendering_records_link_to_the_page_and_each_other():
    page_response = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    records, dom_id, screenshot_id = rendering_records(_rendering(), page_response)
    kinds = [r.rec_type for r in records]
    assert kinds == [
        "request",
        "response",
        "metadata",
        "request",
        "metadata",
        "resource",
        "resource",
    ]
    request, response, metadata, failed, error, dom, shot = records
    concurrent = [v for k, v in response.rec_headers.headers if k == "WARC-Concurrent-To"]
    assert set(concurrent) == {page_response, record_id(request)}
    assert request.rec_headers.get_header("WARC-Concurrent-To") == record_id(response)
    meta_fields = parse_warc_fields(metadata.raw_stream.read())
    assert meta_fields == {"via": "browser", "page": "http://a.example/page.html"}
    assert metadata.rec_headers.get_header("WARC-Refers-To") == record_id(response)
    assert failed.rec_headers.get_header("WARC-Concurrent-To") == page_response
    error_fields = parse_warc_fields(error.raw_stream.read())
    assert error_fields["via"] == "browser" and "still arriving" in error_fields["fetch-error"]
    assert dom.rec_headers.get_header("WARC-Target-URI") == "urn:dom:http://a.example/page.html"
    assert dom.content_type == "text/html; charset=utf-8"
    assert shot.rec_headers.get_header("WARC-Target-URI") == (
        "urn:screenshot:http://a.example/page.html"
    )
    assert shot.content_type == "image/png"
    for resource in (dom, shot):
        assert resource.rec_headers.get_header("WARC-Refers-To") == page_response
    assert (dom_id, screenshot_id) == (record_id(dom), record_id(shot))
    for record in records:
        serialize(record)  # digests and lengths fill in


def test_a_rendering_without_dom_or_screenshot_has_no_resources():
    rendering = _rendering()
    rendering.dom = rendering.screenshot = None
    records, dom_id, screenshot_id = rendering_records(rendering, "<urn:uuid:x>")
    assert "resource" not in {r.rec_type for r in records}
    assert dom_id is None and screenshot_id is None


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://93.184.215.14/x.js", True),
        ("https://[2606:4700::6810:84e5]/x.js", True),
        ("http://127.0.0.1:8000/x.json", True),  # the seed's host
        ("http://127.0.0.2:8000/x.json", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        ("http://[::ffff:10.0.0.1]/x", False),
        ("http://localhost:8000/x", False),
        ("ftp://93.184.215.14/x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_what_the_browser_may_fetch(url: str, allowed: bool):
    exempt = frozenset({"127.0.0.1"})
    assert asyncio.run(browser_may_fetch(url, exempt, allow_private=False)) is allowed
    if url.startswith("http"):
        assert asyncio.run(browser_may_fetch(url, frozenset(), allow_private=True))


def test_render_is_refused_when_answering_from_an_archive():
    settings = BaseSettings({"WARCLOOM_RENDER": "auto", "WARCLOOM_FROM_ARCHIVE": "/some/coll"})
    problem = chromium_problem(RenderOptions.from_settings(settings), settings)
    assert problem is not None and "--from-archive" in problem
