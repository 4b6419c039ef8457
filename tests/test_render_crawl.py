"""Rendering with Debian's Chromium: crawls of the sample site's scripted pages with and
without ``--render``, what they archive, and the browser's bounds (restart, crash).

Skipped, with the reason, where Chromium or Playwright is missing (``.ci/run`` installs
Chromium). Timeouts are generous: nothing here depends on the machine's speed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from crawl_helpers import FAST, ArchiveView, Record, warcloom
from warcio.archiveiterator import ArchiveIterator

from archive.collection import Collection
from archive.records import parse_warc_fields
from crawler.render import RenderOptions, chromium_problem
from crawler.sample_site import SampleSite
from crawler.sample_site._scripted import SCRIPTED_PATHS, STORY_PARAGRAPHS

_PROBLEM = chromium_problem(RenderOptions(mode="always"))
pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=f"no browser here: {_PROBLEM}")

WARCIO = Path(sys.executable).with_name("warcio")
RENDER_TIMEOUT = 15  # seconds: the never-loading page costs this, a real page needs ~1


@dataclass
class Crawled:
    site_url: str
    coll: Collection
    view: ArchiveView
    stats: dict
    output: str

    def url(self, name: str) -> str:
        return self.site_url + SCRIPTED_PATHS[name]

    def raw(self, name: str) -> Record:
        (response,) = [r for r in self.view.of_type("response") if r.url == self.url(name)]
        return response

    def page_fields(self, name: str) -> dict:
        return self.view.metadata_fields(self.raw(name))


def _crawl(site: SampleSite, out: Path, *render: str) -> Crawled:
    stats = out / "stats.json"
    output = warcloom(
        "crawl",
        site.url(SCRIPTED_PATHS["article"]),
        site.url(SCRIPTED_PATHS["never_loads"]),
        "--out",
        str(out),
        "--stats-json",
        str(stats),
        *FAST,
        "-s",
        f"WARCLOOM_RENDER_TIMEOUT={RENDER_TIMEOUT}",
        *render,
        timeout=600,
    )
    coll = Collection.under(out, "default")
    view = ArchiveView.load(coll.archive_dir)
    return Crawled(site.base_url, coll, view, json.loads(stats.read_text()), output)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Crawled]:
    base = tmp_path_factory.mktemp("render")
    # the stalled image waits far longer than a page may take to load
    with SampleSite(stall_seconds=RENDER_TIMEOUT * 20) as site:
        return {
            "never": _crawl(site, base / "never"),
            "auto": _crawl(site, base / "auto", "--render", "auto"),
        }


def test_without_render_the_scripted_article_has_no_text(crawls):
    plain = crawls["never"]
    text = plain.view.text(plain.raw("article"))
    assert not any(paragraph in text for paragraph in STORY_PARAGRAPHS)
    assert plain.url("json") not in {r.url for r in plain.view.records}
    assert not [r for r in plain.view.records if r.url.startswith("urn:")]


def test_auto_render_gives_the_full_text_and_archives_the_json(crawls):
    auto = crawls["auto"]
    article = auto.raw("article")  # the raw capture is kept: one response of the page
    text = auto.view.text(article)
    assert all(paragraph in text for paragraph in STORY_PARAGRAPHS)
    fields = auto.page_fields("article")
    assert fields["languages"][0]["tag"] == "en"
    rendered = fields["rendered"]
    assert rendered["problem"] is None and rendered["responses"] >= 1

    (json_response,) = [r for r in auto.view.of_type("response") if r.url == auto.url("json")]
    assert json_response.http_status == 200
    assert json.loads(json_response.payload)["paragraphs"] == list(STORY_PARAGRAPHS)
    assert article.id in _concurrent(auto.view, json_response)
    assert auto.view.metadata_fields(json_response) == {
        "via": "browser",
        "page": auto.url("article"),
    }
    requests = [r for r in auto.view.of_type("request") if r.url == auto.url("json")]
    assert len(requests) == 1
    sent = {name.lower(): value for name, value in requests[0].http_headers}
    assert sent["host"] == auto.site_url.removeprefix("http://") and "referer" in sent


def test_dom_and_screenshot_are_resources_referring_to_the_raw_response(crawls):
    auto = crawls["auto"]
    article = auto.raw("article")
    by_id = auto.view.by_id()
    rendered = auto.page_fields("article")["rendered"]
    dom, shot = by_id[rendered["dom"]], by_id[rendered["screenshot"]]
    assert dom.type == shot.type == "resource"
    assert dom.url == f"urn:dom:{auto.url('article')}"
    assert dom.headers["Content-Type"] == "text/html; charset=utf-8"
    assert STORY_PARAGRAPHS[0] in dom.payload.decode("utf-8")
    assert shot.url == f"urn:screenshot:{auto.url('article')}"
    assert shot.headers["Content-Type"] == "image/png"
    assert shot.payload.startswith(b"\x89PNG\r\n\x1a\n")
    assert dom.headers["WARC-Refers-To"] == shot.headers["WARC-Refers-To"] == article.id


def test_a_page_that_never_loads_costs_its_timeout_not_the_crawl(crawls):
    auto = crawls["auto"]
    assert auto.stats["finish_reason"] == "finished"
    assert auto.stats["warcloom/render/timeouts"] == 1
    assert auto.stats["warcloom/render/pages"] == 2
    assert "rendered: 2 page(s)" in auto.output and "timed out: 1" in auto.output
    rendered = auto.page_fields("never_loads")["rendered"]
    assert "did not finish loading" in rendered["problem"]
    assert rendered["dom"] and rendered["screenshot"]  # taken as it was
    image = auto.url("stalled_image")
    errors = [
        parse_warc_fields(r.payload)
        for r in auto.view.of_type("metadata")
        if r.url == image and "WARC-Refers-To" not in r.headers
    ]
    assert errors and errors[0]["via"] == "browser" and errors[0]["fetch-error"]
    # and the scripted article, crawled in the same run, has its text
    assert STORY_PARAGRAPHS[-1] in auto.view.text(auto.raw("article"))


def test_warcio_and_warcloom_check_pass(crawls):
    for crawled in crawls.values():
        for path in crawled.view.files:
            run = subprocess.run([str(WARCIO), "check", str(path)], capture_output=True)
            assert run.returncode == 0, run.stdout
        warcloom("check", str(crawled.coll.archive_dir))


def test_index_is_right_and_replay_serves_the_browser_json(crawls, tmp_path: Path):
    from test_replay import call

    from archive.replay import make_app

    auto = crawls["auto"]
    rebuilt = tmp_path / "index.cdxj"
    warcloom("index", str(auto.coll.archive_dir), "-o", str(rebuilt))
    assert rebuilt.read_text() == auto.coll.index_path.read_text()
    lines = [line for line in rebuilt.read_text().splitlines() if auto.url("json") in line]
    assert len(lines) == 1 and '"status": "200"' in lines[0]
    page_lines = [line for line in rebuilt.read_text().splitlines() if line.startswith("1,0,0,127")]
    article_lines = [line for line in page_lines if auto.url("article") in line]
    assert len(article_lines) == 1 and "Rainwater" in article_lines[0]  # title joined in

    app = make_app(auto.coll.root, cache_dir=tmp_path / "cache")
    timestamp = lines[0].split(" ")[1]
    answer = call(app, f"/{timestamp}id_/{auto.url('json')}")
    assert answer.status == 200
    assert json.loads(answer.body)["paragraphs"][0] == STORY_PARAGRAPHS[0]
    # the page's script asks for "/scripted/dye-works.json": found by its Referer
    referer = f"http://127.0.0.1:8080/{timestamp}/{auto.url('article')}"
    moved = call(app, SCRIPTED_PATHS["json"], headers={"Referer": referer})
    assert moved.status == 302
    assert moved.header("Location") == f"/{timestamp}/{auto.url('json')}"
    stranger = call(app, SCRIPTED_PATHS["json"], headers={"Referer": "http://elsewhere/x"})
    assert stranger.status == 404
    home = call(app, "/")
    assert auto.url("article") in home.text and "urn:dom:" not in home.text


def test_replayed_in_chromium_the_page_script_finds_its_json_in_the_archive(crawls, tmp_path):
    from playwright.async_api import async_playwright
    from waitress import create_server

    from archive.replay import make_app

    auto = crawls["auto"]  # the live site is gone: only the archive can answer
    lines = auto.coll.index_path.read_text().splitlines()
    (line,) = [x for x in lines if f'"url": "{auto.url("article")}"' in x]
    app = make_app(auto.coll.root, cache_dir=tmp_path / "cache")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    page_url = (
        f"http://127.0.0.1:{server.effective_port}/{line.split(' ')[1]}/{auto.url('article')}"
    )

    async def story() -> tuple[str, list[int]]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=RenderOptions().chromium)
            try:
                page = await browser.new_page()
                statuses: list[int] = []
                page.on("response", lambda response: statuses.append(response.status))
                await page.goto(page_url, timeout=120_000)
                last = STORY_PARAGRAPHS[-1][:40]
                await page.wait_for_function(
                    f"document.body.innerText.includes({json.dumps(last)})", timeout=120_000
                )
                return await page.inner_text("#story"), statuses
            finally:
                await browser.close()

    try:
        text, statuses = asyncio.run(story())
    finally:
        server.close()
    assert all(paragraph in text for paragraph in STORY_PARAGRAPHS)
    assert 404 not in statuses


def test_export_gives_the_rendered_text_once_per_page(crawls, tmp_path: Path):
    auto = crawls["auto"]
    out = tmp_path / "pages.jsonl"
    warcloom("export", str(auto.coll.root), "--format", "jsonl", "--out", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    urls = sorted(row["url"] for row in rows)
    assert urls == sorted([auto.url("article"), auto.url("never_loads")])
    (article,) = [row for row in rows if row["url"] == auto.url("article")]
    assert STORY_PARAGRAPHS[2] in article["text"]


def test_browser_restarts_after_n_pages_and_after_a_crash():
    from crawler.render._browser import ChromiumRenderer, Document

    async def allow(url: str) -> bool:
        return False  # the documents below need nothing from the network

    async def run() -> list[int]:
        options = RenderOptions(mode="always", restart_after=2, timeout=RENDER_TIMEOUT)
        renderer = ChromiumRenderer(options, allow)
        html = [("Content-Type", "text/html; charset=utf-8")]
        launches = []
        try:
            for number in range(4):
                body = f"<html><body><p>page {number}</p></body></html>".encode()
                document = Document(f"http://127.0.0.1:9/{number}.html", 200, html, body)
                rendering = await renderer.render(document)
                assert rendering.problem is None and f"page {number}" in (rendering.dom or "")
                launches.append(renderer.launches)
            assert renderer._current is not None
            await renderer._current.browser.close()  # as if it had crashed
            rendering = await renderer.render(document)
            assert rendering.problem is None
            launches.append(renderer.launches)
        finally:
            await renderer.close()
        return launches

    assert asyncio.run(run()) == [1, 1, 2, 2, 3]


def _concurrent(view: ArchiveView, record: Record) -> list[str]:
    """Every WARC-Concurrent-To of a record (the header repeats; the view keeps one)."""
    for path in view.files:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_headers.get_header("WARC-Record-ID") == record.id:
                    return [v for k, v in rec.rec_headers.headers if k == "WARC-Concurrent-To"]
    return []


def test_a_refused_request_is_archived_as_a_failure_not_fetched():
    from crawler.render._browser import ChromiumRenderer, Document
    from crawler.render._pages import browser_may_fetch

    async def allow(url: str) -> bool:
        return await browser_may_fetch(url, frozenset({"127.0.0.1"}), allow_private=False)

    async def run():
        renderer = ChromiumRenderer(RenderOptions(mode="always", timeout=RENDER_TIMEOUT), allow)
        body = b'<html><body><p>x</p><img src="http://169.254.169.254/latest/x.png"></body></html>'
        html = [("Content-Type", "text/html")]
        try:
            return await renderer.render(Document("http://127.0.0.1:9/p.html", 200, html, body))
        finally:
            await renderer.close()

    rendering = asyncio.run(run())
    assert rendering.exchanges == []
    (failure,) = rendering.failures
    assert failure.url == "http://169.254.169.254/latest/x.png"
    assert failure.error == "refused: not a public address"


def test_always_on_the_sample_site_keeps_every_page_text_and_charset(tmp_path: Path):
    """Pages that need no script read the same rendered as raw: GBK, Big5 and a page
    declaring no charset included (the browser is told the charset the analysis found)."""
    plain, rendered = tmp_path / "plain", tmp_path / "rendered"
    warcloom("demo", "--out", str(plain), timeout=600)
    output = warcloom(
        "demo", "--out", str(rendered), "--render", "always",
        "-s", f"WARCLOOM_RENDER_TIMEOUT={RENDER_TIMEOUT * 4}", timeout=900,
    )  # fmt: skip
    assert "timed out: 0, errors: 0" in output

    def pages(out: Path) -> dict[str, tuple]:
        coll = Collection.under(out, "default")
        export = tmp_path / f"{out.name}.jsonl"
        warcloom("export", str(coll.root), "--format", "jsonl", "--out", str(export))
        rows = [json.loads(line) for line in export.read_text().splitlines()]
        by_path: dict[str, tuple] = {
            row["url"].split("/", 3)[3]: (row["title"], row["languages"], row["text"])
            for row in rows
        }
        return by_path | {"index charsets": tuple(sorted(_charsets(coll)))}

    assert pages(rendered) == pages(plain)


def _charsets(coll: Collection) -> list[str]:
    """The charset of every indexed page, in index order."""
    return [
        json.loads(line.split(" ", 2)[2]).get("charset", "")
        for line in coll.index_path.read_text().splitlines()
        if '"mime": "text/html"' in line and not line.startswith("urn:")
    ]
