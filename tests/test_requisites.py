"""Page requisites: what a page loads (images, stylesheets and what they import, fonts,
scripts) is found in HTML and CSS, fetched once per crawl within the policy's hosts, archived
and never analysed; a recrawl stores the unchanged ones as revisits."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import lxml.html
import pytest
from crawl_helpers import FAST, ArchiveView, load_stats, warcloom
from hypothesis import given
from hypothesis import strategies as st
from news_site import NewsSite
from PIL import Image

from archive.collection import Collection
from archive.links import css_requisites, page_requisites
from archive.records import REVISIT_NOT_MODIFIED
from archive.replay import make_app
from crawler.requisites import RequisitePolicy, registrable_domain
from crawler.sample_site import SampleSite
from crawler.sample_site._media import WIRE_PHOTO, cdn_routes

PAGE = """<html><head><base href="http://a.org/x/">
<link rel="stylesheet" href="s.css"><link rel="shortcut icon" href="/f.ico">
<link rel="preload" as="font" href="f.woff2"><link rel="canonical" href="/c">
<link rel="alternate" href="/feed.xml"><link rel="preload" as="fetch" href="/api">
<style>/* url(commented.png) */ @import "imp.css"; body{background:url( 'bg.png' )}</style>
</head><body><img src="a.png" srcset="a1.png 1x, a2.png 2x" data-src="lazy.png">
<picture><source srcset="p.webp 1x"><img src="p.png"></picture>
<img src="data:image/png;base64,AAAA"><div style="background-image:url(d.png)"></div>
<video poster="v.jpg" src="v.mp4"></video><script src="j.js"></script><script>x()</script>
<a href="not-a-requisite.html">link</a><img src="a.png"></body></html>"""


def test_a_pages_requisites_in_document_order_each_once() -> None:
    found = page_requisites(lxml.html.fromstring(PAGE), "http://a.org/page")
    expected = "s.css /f.ico f.woff2 imp.css bg.png a.png lazy.png a1.png a2.png p.webp p.png "
    expected += "d.png v.mp4 v.jpg j.js"
    absolute = [
        f"http://a.org{p}" if p[0] == "/" else f"http://a.org/x/{p}" for p in expected.split()
    ]
    assert found == absolute


def test_a_stylesheets_imports_fonts_and_images_not_its_comments() -> None:
    css = (
        '@import url("print.css") print; @import "base.css";\n'
        '@font-face{src:url(f.woff2) format("woff2"), url("f.woff")}\n'
        "/* url(old.png) */ a{background:url(i.png)} b{content:'url(no.png)'}\n"
        "c{background:url(data:image/gif;base64,R0lG)}"
    )
    found = css_requisites(css, "http://a.org/css/site.css")
    names = ["print.css", "base.css", "f.woff2", "f.woff", "i.png"]
    assert found == [f"http://a.org/css/{name}" for name in names]


@given(st.text())
def test_css_of_any_text_gives_http_urls_and_never_raises(css: str) -> None:
    for url in css_requisites(css, "http://a.org/s.css"):
        assert url.startswith(("http://", "https://"))


@given(st.text(alphabet=st.sampled_from("<>/=\"' abcimgsrcstylelinkurl()rel:;.,{}@x-")))
def test_html_of_any_text_gives_http_urls_and_never_raises(markup: str) -> None:
    if not markup.strip():
        return
    try:
        tree = lxml.html.fromstring(markup)
    except Exception:  # lxml refuses some of these: the analysis records that, not us
        return
    for url in page_requisites(tree, "http://a.org/p"):
        assert url.startswith(("http://", "https://"))


def test_policy_by_registrable_domain_and_named_hosts() -> None:
    assert registrable_domain("news.example.co.uk") == "example.co.uk"
    assert registrable_domain("user.github.io") == "user.github.io"  # a private suffix
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    page = "https://www.example.co.uk/a"
    same_site = RequisitePolicy()
    assert same_site.allows(page, "https://static.example.co.uk/s.css")
    assert not same_site.allows(page, "https://cdn.other.net/i.png")
    assert RequisitePolicy("all").allows(page, "https://cdn.other.net/i.png")
    named = RequisitePolicy("all", frozenset({"other.net"}))
    assert named.allows(page, "https://cdn.other.net/i.png")
    assert not named.allows(page, "https://ads.tracker.com/p.gif")
    assert not RequisitePolicy("none").allows(page, "https://www.example.co.uk/s.css")
    with pytest.raises(ValueError, match="requisites must be one of"):
        RequisitePolicy("some")  # type: ignore[arg-type]


class _Cdn(BaseHTTPRequestHandler):
    routes = cdn_routes()

    def do_GET(self) -> None:
        route = self.routes.get(self.path)
        self.send_response(200 if route else 404)
        for name, value in route.headers if route else ():
            self.send_header(name, value)
        body = route.body if route else b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def cdn() -> Iterator[str]:
    """A second host (another loopback address) serving the wire photo."""
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Cdn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _crawl(site: SampleSite, out: Path, *args: str) -> dict:
    stats = out.parent / f"{out.name}-stats.json"
    seed = site.url(site.manifest.seed_path)
    warcloom(
        "crawl", seed, "--out", str(out), "--allow-private", "--stats-json", str(stats),
        *args, *FAST,
    )  # fmt: skip
    return load_stats(stats)


def _captured(view: ArchiveView, kind: str = "response") -> list[str]:
    return [r.url for r in view.of_type(kind)]


@pytest.fixture(scope="module")
def same_site(tmp_path_factory: pytest.TempPathFactory, cdn: str) -> tuple[SampleSite, Path, dict]:
    out = tmp_path_factory.mktemp("requisites") / "out"
    with SampleSite(cdn_url=cdn) as site:
        stats = _crawl(site, out)
        return site, out, stats


def test_every_requisite_of_the_site_is_archived_once(same_site: tuple) -> None:
    site, out, stats = same_site
    view = ArchiveView.load(out / "collections" / "default" / "archive")
    responses = _captured(view)
    css = site.url("/static/site.css")
    assert responses.count(css) == 1  # loaded by every page, fetched once
    for path in ("/static/print.css", "/static/fonts/newsreader.woff2", "/static/img/paper.png"):
        assert responses.count(site.url(path)) == 1, path  # found in the stylesheet
    for path in ("/static/logo.gif", "/static/site.js"):
        assert responses.count(site.url(path)) == 1, path
    keys = [p.rsplit("/", 1)[1].removesuffix(".html") for p in site.manifest.pictured_paths]
    assert len(keys) == 3
    for n, key in enumerate(keys):  # picture, srcset (but the lazy one's) and <source>
        assert site.url(f"/static/img/{key}.png") in responses
        assert site.url(f"/static/img/{key}.webp") in responses
        assert (site.url(f"/static/img/{key}-2x.png") in responses) == (n != 1)
    requisites = [u for u in responses if "/static/" in u]
    assert stats["warcloom/requisites"] == len(set(requisites)) == len(requisites) == 15
    assert stats["warcloom/requisites/bytes"] > 0
    assert stats["warcloom/requisites/not_in_scope"] >= 1  # the CDN's photo


def test_requisites_are_not_analysed_and_third_party_hosts_are_refused(same_site: tuple) -> None:
    _, out, stats = same_site
    view = ArchiveView.load(out / "collections" / "default" / "archive")
    analysed = {r.url for r in view.of_type("metadata") if "WARC-Refers-To" in r.headers}
    assert not {u for u in analysed if "/static/" in u}
    assert not [u for u in _captured(view) if WIRE_PHOTO in u]
    assert stats["warcloom/pages"] == 62  # the pages as before: requisites are not pages
    output = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "check", str(out / "collections/default/archive")],
        capture_output=True,
        text=True,
    )
    assert output.returncode == 0, output.stdout + output.stderr
    warcio = str(Path(sys.executable).parent / "warcio")
    for path in view.files:
        assert subprocess.run([warcio, "check", str(path)]).returncode == 0


def test_all_fetches_third_party_hosts_and_named_hosts_only_those(tmp_path: Path, cdn: str) -> None:
    with SampleSite(cdn_url=cdn) as site:
        every = _crawl(site, tmp_path / "all", "--requisites", "all")
        named = _crawl(
            site, tmp_path / "named", "--requisites", "all", "--requisites-hosts", "cdn.example"
        )
        none = _crawl(site, tmp_path / "none", "--requisites", "none")
    view = ArchiveView.load(tmp_path / "all" / "collections" / "default" / "archive")
    assert f"{cdn}{WIRE_PHOTO}" in _captured(view)
    assert every["warcloom/requisites"] == 16
    assert named["warcloom/requisites"] == 15
    assert "warcloom/requisites" not in none
    assert none["warcloom/pages"] == every["warcloom/pages"] == 62


def test_requisites_count_for_no_depth(tmp_path: Path) -> None:
    with SampleSite() as site:
        stats = _crawl(site, tmp_path / "out", "--depth", "1")
    view = ArchiveView.load(tmp_path / "out" / "collections" / "default" / "archive")
    # the seed's stylesheet (hop 1) imports print.css and loads a font (hop 2): both fetched
    for path in ("/static/site.css", "/static/print.css", "/static/fonts/newsreader.woff2"):
        assert site.url(path) in _captured(view), path
    assert stats["warcloom/scope/too_deep"] > 0  # while pages two hops away were not


def test_a_requisite_over_its_own_size_cap_is_not_archived_the_pages_are(tmp_path: Path) -> None:
    with SampleSite() as site:
        stats = _crawl(site, tmp_path / "out", "-s", "WARCLOOM_REQUISITE_MAXSIZE=300")
    view = ArchiveView.load(tmp_path / "out" / "collections" / "default" / "archive")
    big = [u for u in _captured(view) if u.endswith("-2x.png")]
    assert big == []  # 640x360: more than 300 bytes
    assert stats["warcloom/pages"] == 62
    assert stats["warcloom/fetch_errors"] >= 2


def test_a_recrawl_stores_unchanged_requisites_as_revisits(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with SampleSite() as site:
        _crawl(site, out)
        first_files = set((out / "collections/default/archive").glob("*.warc.gz"))
        stats = _crawl(site, out)
    view = ArchiveView.load(out / "collections" / "default" / "archive")
    view.records = [
        r for r in view.records if Path(view.files[0]).parent / r.filename not in first_files
    ]
    revisited = _captured(view, "revisit")
    for path in ("/static/site.css", "/static/print.css", "/static/fonts/newsreader.woff2"):
        assert site.url(path) in revisited, path  # the stylesheet's own requisites too
    assert stats["warcloom/requisites"] == 15


def test_requisites_not_modified_are_revisits_and_a_stylesheets_font_still_is(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with NewsSite(styled=True) as site:
        args = ["crawl", site.url("/"), "--out", str(out), "--follow", "all", "--allow-private"]
        args += FAST
        warcloom(*args)
        first_files = set((out / "collections/default/archive").glob("*.warc.gz"))
        warcloom(*args)
    view = ArchiveView.load(out / "collections" / "default" / "archive")
    second = [
        r for r in view.of_type("revisit") if view.files[0].parent / r.filename not in first_files
    ]
    profiles = {r.url: r.headers["WARC-Profile"] for r in second}
    for path in ("/static/mill.css", "/static/mill.woff2"):  # the font: from the stored CSS
        assert profiles[site.url(path)] == REVISIT_NOT_MODIFIED, path
    responses = [r.url for r in view.of_type("response")]
    assert responses.count(site.url("/static/mill.css")) == 1


CHROMIUM = Path("/usr/bin/chromium")


def _screenshot(url: str, path: Path) -> Image.Image:
    """Headless Chromium's picture of ``url`` once its resources are loaded."""
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--window-size=1024,1400", "--virtual-time-budget=5000", f"--screenshot={path}", url,
    ]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    with Image.open(path) as image:
        return image.convert("RGB")


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
)
def test_replay_in_a_browser_loads_every_requisite_from_the_archive_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    served: list[tuple[str, str]] = []
    with SampleSite() as site:
        _crawl(site, out)
        page = site.url(site.manifest.pictured_paths[0])
        live = _screenshot(page, tmp_path / "live.png")
        app = make_app(out / "collections" / "default")

        def logged(environ: dict, start_response: Callable) -> Iterable[bytes]:
            def start(status: str, headers: list, exc_info: object = None) -> object:
                query = environ.get("QUERY_STRING")
                served.append((environ["PATH_INFO"] + (f"?{query}" if query else ""), status))
                return start_response(status, headers, exc_info)

            return app(environ, start)

        server = make_server("127.0.0.1", 0, logged, handler_class=_QuietWsgi)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        site.requests.clear()  # the live site is the sentinel: nothing may reach it now
        try:
            replayed = _screenshot(
                f"http://127.0.0.1:{server.server_port}/{page}", tmp_path / "r.png"
            )
        finally:
            server.shutdown()
            server.server_close()
        assert site.requests == []
    archived = {}  # what the page asked of the archive, by URL, and the answers
    for target, status in served:
        if target[1:2].isdigit():
            archived.setdefault(target.split("/", 2)[2], set()).add(status[:3])
    key = site.manifest.pictured_paths[0].rsplit("/", 1)[1].removesuffix(".html")
    for path in (
        "/static/site.css", "/static/print.css", "/static/fonts/newsreader.woff2",
        "/static/img/paper.png", f"/static/img/{key}.webp", "/static/logo.gif",
    ):  # fmt: skip
        # answered (a redirect first when captured at another second than the page)
        assert "200" in archived.get(site.url(path), ()) <= {"200", "302"}, path
    coll = Collection.open(out)
    for url, statuses in archived.items():  # a miss is a URL not archived (a script built it)
        assert statuses <= {"200", "302"} or not coll.captures(url), (url, statuses)
    assert live.size == replayed.size
    same = sum(a == b for a, b in zip(live.getdata(), replayed.getdata(), strict=True))
    assert same / (live.size[0] * live.size[1]) > 0.99


class _QuietWsgi(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
