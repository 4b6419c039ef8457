"""archive.replay through its WSGI interface: the demo collection, foreign and damaged WARCs,
and the safety rules (nothing outside the collection, 400s and 502s instead of crashes)."""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from warc_fixtures import (
    Capture,
    WarcBuilder,
    corrupted_copy,
    html_page,
    http_response_bytes,
    lang,
    make_collection,
    member_offsets,
    write_arc,
    write_warc,
)

from archive.collection import Collection
from archive.index import IndexEntry, lookup, write_index
from archive.reader import read_record_at
from archive.replay import make_app

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------
# helpers


@dataclass
class Resp:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def call(app, target: str, *, method: str = "GET", headers: dict[str, str] | None = None):
    """One request through the WSGI app, the way waitress hands it over (REQUEST_URI raw)."""
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": target,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "HTTP_HOST": "127.0.0.1:8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
        "wsgi.errors": sys.stderr,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen: dict[str, object] = {}

    def start_response(status: str, hdrs: list[tuple[str, str]], exc_info=None):
        assert isinstance(status, str) and re.match(r"^\d{3} ", status + " ")
        for k, v in hdrs:
            assert isinstance(v, str)
            v.encode("latin-1")  # PEP 3333
            assert k.lower() not in ("transfer-encoding", "connection", "keep-alive"), k
        seen["status"], seen["headers"] = status, hdrs

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Resp(int(str(seen["status"])[:3]), list(seen["headers"]), body)  # type: ignore[arg-type]


def build_demo(base: Path) -> Path:
    """The demo crawl of the bundled sample site, once per test session (shared by files)."""
    out = base / "replay-demo"
    done = out / "done"
    if not done.exists():
        subprocess.run(
            [sys.executable, "-m", "crawler.cli", "demo", "--out", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
        done.touch()
    return out / "collections" / "default"


@dataclass
class Demo:
    coll: Path
    host: str  # "http://127.0.0.1:PORT" of the crawled site
    gzip_path: str
    redirect_chain: tuple[str, ...]
    article_path: str
    article_title: str
    related_paths: tuple[str, ...]
    not_found_path: str

    def url(self, path: str) -> str:
        return self.host + path

    def entry(self, path: str) -> IndexEntry:
        return lookup(self.coll / "indexes" / "index.cdxj", self.url(path))[0]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from crawler.sample_site import SampleSite

    coll = build_demo(tmp_path_factory.getbasetemp())
    first = (coll / "indexes" / "index.cdxj").read_text().splitlines()[0]
    host = re.match(r"https?://[^/]+", json.loads(first.split(" ", 2)[2])["url"]).group(0)
    with SampleSite() as site:
        m = site.manifest
    article = next(a for a in m.articles if a.related_paths and a.language == "en")
    return Demo(
        coll,
        host,
        m.gzip_path,
        m.redirect_chain,
        article.path,
        article.title,
        article.related_paths,
        m.not_found_path,
    )


@pytest.fixture(scope="session")
def demo_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory):
    return make_app(demo.coll, cache_dir=tmp_path_factory.mktemp("replay-cache"))


def _live_urls(html: str, host: str) -> list[str]:
    """URL attributes of a rewritten page that still point at the crawled site."""
    return [
        m.group(2)
        for m in re.finditer(r"""\s(href|src|action|srcset|poster)\s*=\s*["']?([^"'\s>]+)""", html)
        if m.group(2).startswith((host, "//"))
    ]


# ---------------------------------------------------------------------------
# the demo collection


def test_home_lists_pages_with_titles_and_languages(demo, demo_app):
    resp = call(demo_app, "/")
    assert resp.status == 200
    assert "eng" in resp.text and "zho" in resp.text
    one = call(demo_app, "/?" + urlencode({"prefix": demo.url(demo.article_path)})).text
    assert html.escape(demo.article_title) in one
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", one)

    only_zh = call(demo_app, "/?" + urlencode({"lang": "zho"})).text
    only_en = call(demo_app, "/?" + urlencode({"lang": "eng"})).text
    assert demo.url(demo.article_path) not in only_zh
    assert demo.url(demo.article_path) in only_en

    prefix = demo.url("/news/2014/03/")
    listed = call(demo_app, "/?" + urlencode({"prefix": prefix})).text
    urls = re.findall(r"<td class='url'><a href='[^']*'>([^<]+)</a>", listed)
    assert urls and all(u.startswith(prefix) for u in urls)


def test_home_pages_through_the_index(demo, demo_app):
    seen, target = [], "/"
    for _ in range(10):
        text = call(demo_app, target).text
        seen += re.findall(r"<td class='url'><a href='[^']*'>([^<]+)</a>", text)
        more = re.search(r"<a href='(/\?[^']*)'>next page", text)
        if not more:
            break
        target = more.group(1).replace("&amp;", "&")
    assert len(seen) == len(set(seen)) >= 60  # 66 articles, most of them captured


def test_article_replays_rewritten_inside_the_archive(demo, demo_app):
    url = demo.url(demo.article_path)
    ts = demo.entry(demo.article_path).timestamp
    resp = call(demo_app, f"/{ts}/{url}")
    assert resp.status == 200
    assert resp.header("Memento-Datetime")
    assert 'rel="original"' in resp.header("Link")
    assert "default-src 'self'" in resp.header("Content-Security-Policy")
    html = resp.text
    assert "<title>" in html and _live_urls(html, demo.host) == []
    related = demo.url(demo.related_paths[0]) if demo.related_paths[0].startswith("/") else None
    if related:
        assert f'href="/{ts}/{related}"' in html


def test_nearest_capture_redirects_to_its_timestamp(demo, demo_app):
    url = demo.url(demo.article_path)
    ts = demo.entry(demo.article_path).timestamp
    resp = call(demo_app, f"/{ts[:4]}/{url}")
    assert resp.status == 302
    assert resp.header("Location") == f"/{ts}/{url}"
    gate = call(demo_app, f"/{url}")
    assert gate.status == 302 and gate.header("Location") == f"/{ts}/{url}"


def test_timegate_honours_accept_datetime_and_rejects_garbage(demo, demo_app):
    url = demo.url(demo.article_path)
    ts = demo.entry(demo.article_path).timestamp
    moment = datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    wanted = {"Accept-Datetime": format_datetime(moment, usegmt=True)}
    gate = call(demo_app, f"/{url}", headers=wanted)
    assert gate.status == 302 and gate.header("Location") == f"/{ts}/{url}"
    bad = call(demo_app, f"/{url}", headers={"Accept-Datetime": "not a date"})
    assert bad.status == 400


def test_gzip_page_is_decoded_for_the_browser_and_raw_in_id(demo, demo_app):
    url = demo.url(demo.gzip_path)
    entry = demo.entry(demo.gzip_path)
    page = call(demo_app, f"/{entry.timestamp}/{url}")
    assert page.status == 200
    assert page.header("Content-Encoding") is None
    assert b"<html" in page.body.lower()
    assert int(page.header("Content-Length")) == len(page.body)

    raw = call(demo_app, f"/{entry.timestamp}id_/{url}")
    assert raw.header("Content-Encoding") == "gzip"
    with read_record_at(demo.coll / "archive" / entry.filename, entry.offset, entry.length) as ref:
        stored = ref.record.raw_stream.read()
    assert raw.body == stored  # byte for byte
    assert gzip.decompress(raw.body).startswith(page.body[:20])


def test_redirect_chain_stays_in_the_archive(demo, demo_app):
    first, middle, _last = demo.redirect_chain
    ts = demo.entry(first).timestamp
    resp = call(demo_app, f"/{ts}/{demo.url(first)}")
    assert resp.status == 301
    assert resp.header("Location") == f"/{ts}/{demo.url(middle)}"
    assert resp.header("X-Archive-Orig-Location") == demo.url(middle)
    hops = [resp.status]
    target = resp.header("Location")
    for _ in range(5):
        resp = call(demo_app, target)
        hops.append(resp.status)
        if resp.status not in (301, 302):
            break
        target = resp.header("Location")
        assert target.startswith("/")
    assert hops[:2] == [301, 302] or hops[:3] == [301, 302, 302] or 302 in hops
    assert hops[-1] == 200


def test_uncaptured_url_is_an_archive_404(demo_app):
    resp = call(demo_app, "/20240101000000/http://not-captured.example/x")
    assert resp.status == 404
    assert "Not in this archive" in resp.text
    assert "live web" in resp.text


def test_original_404_status_is_kept(demo, demo_app):
    entries = lookup(demo.coll / "indexes" / "index.cdxj", demo.url(demo.not_found_path))
    if not entries:
        pytest.skip("the demo did not capture the 404 page")
    resp = call(demo_app, f"/{entries[0].timestamp}/{demo.url(demo.not_found_path)}")
    assert resp.status == 404 and "Not in this archive" not in resp.text


def test_reader_view(demo, demo_app):
    url = demo.url(demo.article_path)
    ts = demo.entry(demo.article_path).timestamp
    resp = call(demo_app, f"/reader/{ts}/{url}")
    assert resp.status == 200, resp.text
    text = resp.text
    assert "conversion record" in text
    assert "100%" in text or "%" in text  # language shares
    related = text.index("Related reading")
    assert related < text.index("Navigation")
    # related links lead to their own captures' reader views
    rel = demo.related_paths[0]
    if rel.startswith("/"):
        assert "/reader/" in text and demo.url(rel) in text
    assert "Captures of this URL (1)" in text


def test_cdx_server(demo, demo_app):
    url = demo.url(demo.article_path)
    lines = call(demo_app, "/cdx?" + urlencode({"url": url})).text.splitlines()
    assert len(lines) == 1
    _key, _ts, data = lines[0].split(" ", 2)
    assert json.loads(data)["url"] == url

    js = call(
        demo_app,
        "/cdx?"
        + urlencode(
            {"url": demo.url("/news/"), "matchType": "prefix", "output": "json", "limit": "5"}
        ),
    )
    rows = [json.loads(line) for line in js.text.splitlines()]
    assert len(rows) == 5 and all(r["url"].startswith(demo.url("/news/")) for r in rows)
    assert {"urlkey", "timestamp", "offset", "filename"} <= set(rows[0])

    filt = call(
        demo_app,
        "/cdx?"
        + urlencode([("url", demo.host + "/*"), ("filter", "status:30."), ("output", "json")]),
    )
    statuses = {json.loads(line)["status"] for line in filt.text.splitlines()}
    assert statuses == {"301", "302"}
    assert call(demo_app, "/cdx").status == 400
    assert call(demo_app, "/cdx?url=x&matchType=nope").status == 400


def test_timemap(demo, demo_app):
    url = demo.url(demo.article_path)
    ts = demo.entry(demo.article_path).timestamp
    resp = call(demo_app, f"/timemap/link/{url}")
    assert resp.status == 200
    assert resp.header("Content-Type") == "application/link-format"
    assert f"/{ts}/{url}>" in resp.text and 'rel="original"' in resp.text
    assert resp.text.count("memento") == 1


# ---------------------------------------------------------------------------
# safety


@pytest.mark.parametrize(
    "target",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2F..%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/20240101000000id_/file:///etc/passwd",
        "/20240101000000id_/../../../etc/passwd",
        "/reader/20240101000000/..%2f..%2fetc/passwd",
        "/cdx?url=file:///etc/passwd",
    ],
)
def test_request_paths_never_reach_files(demo_app, target):
    resp = call(demo_app, target)
    assert resp.status in (400, 404) or (target.startswith("/cdx") and resp.body == b"")
    assert b"root:" not in resp.body


@pytest.mark.parametrize(
    "target",
    [
        "/2024x/http://example.com/",
        "/123456789012345/http://example.com/",
        "/2024zz_/http://example.com/",
        "/20240101/http://[::1/",
        "/20240101/http://exa mple.com/",
        "/20240101/http://example.com:99999/",
        "/20240101/http:///",
        "/reader/2024x/http://example.com/",
        "/diff?url=http://example.com/&a=x&b=2024",
    ],
)
def test_malformed_urls_and_timestamps_are_400(demo_app, target):
    resp = call(demo_app, target)
    assert resp.status == 400, (target, resp.status)
    assert "text/html" in resp.header("Content-Type")


def _one_capture_collection(tmp_path: Path) -> tuple[Path, list[Capture]]:
    coll = make_collection(tmp_path)
    caps = write_warc(
        coll / "archive" / "a.warc.gz",
        [
            Capture(
                "http://example.com/",
                html_page("Home", "<a href='/b'>b</a>"),
                title="Home",
                languages=[lang("en", "eng", 1.0)],
                text="Hello.",
            ),
            Capture("http://example.com/b", html_page("B")),
        ],
    )
    Collection.open(coll).rebuild_index()
    return coll, caps


def test_index_naming_files_outside_the_collection_gives_502(tmp_path):
    coll, _ = _one_capture_collection(tmp_path)
    secret = tmp_path / "secret.warc.gz"
    (coll / "archive" / "a.warc.gz").rename(secret)
    (coll / "archive" / "a.warc.gz").symlink_to(secret)  # a link leading outside
    index = coll / "indexes" / "index.cdxj"
    lines = index.read_text().splitlines()
    e0 = IndexEntry.from_line(lines[0])
    bad = []
    for i, name in enumerate(["../../secret.warc.gz", str(secret), "a.warc.gz"]):
        fields = {**e0.fields, "filename": name}
        bad.append(IndexEntry(f"com,example)/x{i}", e0.timestamp, fields).to_line())
    write_index(sorted(lines + bad), index)
    app = make_app(coll, cache_dir=tmp_path / "cache")
    for i in range(3):
        resp = call(app, f"/{e0.timestamp}id_/http://example.com/x{i}")
        assert resp.status == 502, resp.text
        assert "outside the collection" in resp.text
        assert b"Hello" not in resp.body


def test_corrupt_record_gives_502_with_the_reason(tmp_path):
    coll, _ = _one_capture_collection(tmp_path)
    path = coll / "archive" / "a.warc.gz"
    offsets = member_offsets(path)
    index_of_response = next(i for i, (_, _, t) in enumerate(offsets) if t == "response")
    damaged, _ = corrupted_copy(path, tmp_path / "damaged.warc.gz", index_of_response)
    os.replace(damaged, path)
    app = make_app(coll, cache_dir=tmp_path / "cache")
    entry = lookup(coll / "indexes" / "index.cdxj", "http://example.com/")[0]
    for target in (
        f"/{entry.timestamp}/http://example.com/",
        f"/{entry.timestamp}id_/http://example.com/",
        f"/reader/{entry.timestamp}/http://example.com/",
    ):
        resp = call(app, target)
        assert resp.status == 502
        assert "unreadable record" in resp.text and "gzip" in resp.text
    (coll / "archive" / "a.warc.gz").unlink()
    assert call(app, f"/{entry.timestamp}/http://example.com/").status == 502


def test_broken_content_encoding_gives_502(tmp_path):
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders

    coll = make_collection(tmp_path)
    url = "http://example.com/z"
    body = b"not gzip at all"
    with WarcBuilder(coll / "archive" / "z.warc.gz") as b:
        b.warcinfo()
        http = StatusAndHeaders(
            "200 OK",
            [
                ("Content-Type", "text/html"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(body))),
            ],
            protocol="HTTP/1.1",
        )
        rec = b.writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": "2024-05-01T10:00:00Z"},
        )
        b.writer.write_record(rec)
    Collection.open(coll).rebuild_index()
    app = make_app(coll, cache_dir=tmp_path / "cache")
    resp = call(app, f"/20240501100000/{url}")
    assert resp.status == 502 and "Content-Encoding" in resp.text
    assert call(app, f"/20240501100000id_/{url}").body == body


# ---------------------------------------------------------------------------
# WARCs written by other tools


def test_foreign_warc10_arc_and_revisit(tmp_path):
    coll = make_collection(tmp_path)
    original = Capture(
        "http://example.com/page",
        html_page("Page", "first <img src='i.png'>"),
        date="2024-05-01T10:00:00Z",
    )
    with WarcBuilder(coll / "archive" / "wget.warc", gzip=False, version="1.0") as b:
        b.warcinfo()
        b.request_response(original)
        b.revisit(Capture("http://example.com/page"), original, "2024-06-01T10:00:00Z")
        b.resource("http://example.com/note.txt", b"a resource", "text/plain")
    write_arc(
        coll / "archive" / "old.arc.gz",
        [("http://example.org/", "20030101120000", http_response_bytes(b"<p>arc page</p>"))],
        compress=True,
    )
    Collection.open(coll).rebuild_index()
    app = make_app(coll, cache_dir=tmp_path / "cache")

    first = call(app, "/20240501100000/http://example.com/page")
    assert first.status == 200 and b"first" in first.body
    assert b"src='/20240501100000/http://example.com/i.png'" in first.body
    again = call(app, "/20240601100000/http://example.com/page")
    assert again.status == 200 and b"first" in again.body  # payload of the original
    assert call(app, "/20240601100000id_/http://example.com/page").body == original.body

    arc = call(app, "/20030101120000/http://example.org/")
    assert arc.status == 200 and b"arc page" in arc.body
    res = call(app, "/20240501100000/http://example.com/note.txt")
    assert res.status == 200 and res.body == b"a resource"
    assert res.header("Content-Type") == "text/plain"

    # the reader view extracts on the fly when there is no conversion record
    reader = call(app, "/reader/20240501100000/http://example.com/page")
    assert reader.status == 200
    assert "Captures of this URL (2)" in reader.text
    diff = call(
        app,
        "/diff?"
        + urlencode(
            {"url": "http://example.com/page", "a": "20240501100000", "b": "20240601100000"}
        ),
    )
    assert diff.status == 200


def test_reader_diff_between_captures_uses_conversion_text(tmp_path):
    coll = make_collection(tmp_path)
    write_warc(
        coll / "archive" / "one.warc.gz",
        [
            Capture(
                "http://example.com/n",
                html_page("News"),
                date="2024-05-01T10:00:00Z",
                title="News",
                languages=[lang("en", "eng", 0.8), lang("fr", "fra", 0.2)],
                text="Line one.\nOld line.",
            ),
        ],
    )
    write_warc(
        coll / "archive" / "two.warc.gz",
        [
            Capture(
                "http://example.com/n",
                html_page("News"),
                date="2024-06-01T10:00:00Z",
                title="News",
                languages=[lang("en", "eng", 1.0)],
                text="Line one.\nNew line.",
            ),
        ],
    )
    Collection.open(coll).rebuild_index()
    app = make_app(coll, cache_dir=tmp_path / "cache")
    reader = call(app, "/reader/20240501100000/http://example.com/n").text
    assert "Old line." in reader and "New line." not in reader
    assert "80%" in reader and "20%" in reader
    diff = call(
        app,
        "/diff?"
        + urlencode({"url": "http://example.com/n", "a": "20240501100000", "b": "20240601100000"}),
    ).text
    assert "Old&nbsp;line." in diff and "New&nbsp;line." in diff

    # a file added later is picked up by the side index
    write_warc(
        coll / "archive" / "three.warc.gz",
        [
            Capture(
                "http://example.com/n",
                html_page("News"),
                date="2024-07-01T10:00:00Z",
                title="News",
                text="Third text.",
            ),
        ],
    )
    Collection.open(coll).rebuild_index()
    import archive.collection._sideindex as side

    side._RECHECK_SECONDS = 0.0
    try:
        assert "Third text." in call(app, "/reader/20240701100000/http://example.com/n").text
    finally:
        side._RECHECK_SECONDS = 2.0


def test_html_rewriting_details():
    from archive.replay._rewrite import ArchiveUrls, rewrite_css, rewrite_html

    urls = ArchiveUrls("/pre", "20240101000000")
    page = (
        "<HTML><head><base href='/sub/'><style>a{background:url(\"bg.png\")}</style>"
        "<link rel=stylesheet href=a.css integrity='sha384-x'>"
        "<meta http-equiv='refresh' content='0; url=/next'></head>"
        "<body background=b.png><img src='i.png' srcset='a.png 1x, b.png 2x'>"
        "<a href='http://other.org/x?a=1&amp;b=2'>x</a><a href='#top'>t</a>"
        "<a href='javascript:void(0)'>j</a><a href='mailto:a@b'>m</a>"
        "<script>var s = \"<a href='/y'>\";</script>&copy; caf\u00e9</BODY></HTML>"
    )
    out = rewrite_html(page, "http://example.com/dir/p.html", urls)
    p = "/pre/20240101000000/"
    assert f'url("{p}http://example.com/sub/bg.png")' in out
    assert f'href="{p}http://example.com/sub/a.css"' in out
    assert "data-archive-integrity" in out and " integrity=" not in out
    assert f"url={p}http://example.com/next" in out
    assert f'background="{p}http://example.com/sub/b.png"' in out
    assert f"{p}http://example.com/sub/a.png 1x, {p}http://example.com/sub/b.png 2x" in out
    assert f"href='{p}http://other.org/x?a=1&amp;b=2'" in out
    assert "href='#top'" in out and "javascript:void(0)" in out and "mailto:a@b" in out
    assert "var s = \"<a href='/y'>\";" in out  # scripts untouched
    assert out.endswith("&copy; caf\u00e9</BODY></HTML>")  # the rest byte for byte
    css = rewrite_css("@import 'x.css'; p{background:url(y.png)}", "http://e.com/c/s.css", urls)
    assert css == f"@import '{p}http://e.com/c/x.css'; p{{background:url({p}http://e.com/c/y.png)}}"


def test_head_and_unsupported_methods(demo_app):
    assert call(demo_app, "/", method="HEAD").body == b""
    assert call(demo_app, "/", method="POST").status == 405


def test_open_collection_accepts_out_dir_and_collection(tmp_path):
    from archive.collection import CollectionNotFound

    def find_collection(path, name=None):
        return Collection.open(path, name, need_index=True).root

    coll, _ = _one_capture_collection(tmp_path)
    assert find_collection(tmp_path) == coll
    assert find_collection(coll) == coll
    make_collection(tmp_path, "other")
    Collection.open(tmp_path / "collections" / "other").rebuild_index()
    with pytest.raises(CollectionNotFound, match="several"):
        find_collection(tmp_path)
    assert find_collection(tmp_path, "other") == tmp_path / "collections" / "other"


def test_encoded_query_strings_are_kept(tmp_path):
    coll = make_collection(tmp_path)
    url = "http://example.com/search?q=a%2Fb&x=%E4%B8%AD"
    write_warc(coll / "archive" / "q.warc.gz", [Capture(url, html_page("Q"))])
    Collection.open(coll).rebuild_index()
    app = make_app(coll, cache_dir=tmp_path / "cache")
    resp = call(app, f"/20240501100000/{url}")
    assert resp.status == 200 and b"<title>Q</title>" in resp.body
    assert call(app, "/20240501100000/" + quote("http://example.com/search?q=zzz")).status == 404


def test_id_replay_keeps_the_payload_but_no_header_that_acts_on_the_archive(tmp_path):
    from warc_fixtures import WarcBuilder

    from archive.records import HttpExchange, build_capture

    coll = make_collection(tmp_path)
    body = b"<html><script src='https://live.example/x.js'></script>hi</html>"
    hostile = [
        (b"Content-Type", b"text/html; charset=utf-8"),
        (b"Set-Cookie", b"session=1; Path=/"),
        (b"Content-Security-Policy", b"default-src *"),
        (b"Refresh", b"0; url=https://live.example/"),
        (b"Location", b"https://live.example/elsewhere"),
        (b"Link", b"<https://live.example/a.js>; rel=preload"),
        (b"Clear-Site-Data", b'"*"'),
        (b"Access-Control-Allow-Origin", b"*"),
        (b"X-Odd", b"a\x00b"),
    ]
    exchange = HttpExchange(
        url="http://example.com/page",
        method="GET",
        request_target="/page",
        request_headers=[(b"Host", b"example.com")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=302,
        response_headers=hostile,
        body=body,
        date=datetime(2024, 5, 1, 10, tzinfo=UTC),
        ip_address="127.0.0.1",
    )
    with WarcBuilder(coll / "archive" / "h.warc.gz") as b:
        response, request = build_capture(exchange)
        b.writer.write_record(request)
        b.writer.write_record(response)
    Collection.open(coll).rebuild_index()
    app = make_app(coll, cache_dir=tmp_path / "cache")
    resp = call(app, "/20240501100000id_/http://example.com/page")
    assert resp.status == 302 and resp.body == body
    names = {name.lower() for name, _ in resp.headers}
    for raw in ("set-cookie", "refresh", "clear-site-data", "access-control-allow-origin"):
        assert raw not in names
        assert f"x-archive-orig-{raw}" in names
    links = [v for k, v in resp.headers if k.lower() == "link"]  # the memento links only
    assert links and all("live.example" not in v for v in links)
    assert "x-archive-orig-link" in names
    csp = [v for k, v in resp.headers if k.lower() == "content-security-policy"]
    assert csp and all("default-src *" not in v for v in csp)
    location = [v for k, v in resp.headers if k.lower() == "location"]
    assert location == ["/20240501100000id_/https://live.example/elsewhere"]
    assert all("\x00" not in v for _, v in resp.headers)
    assert ("Content-Type", "text/html; charset=utf-8") in resp.headers


@pytest.mark.parametrize("target", ["*", "word", "http:"])
def test_odd_request_targets_are_400_not_500(tmp_path, target):
    coll, _ = _one_capture_collection(tmp_path)
    app = make_app(coll, cache_dir=tmp_path / "cache")
    assert call(app, target).status == 400


def test_an_unreadable_capture_is_a_502_naming_file_and_offset_not_the_server_path(tmp_path):
    from warc_fixtures import corrupted_copy

    coll = make_collection(tmp_path)
    caps = [Capture(f"http://example.com/{i}", html_page(f"P{i}")) for i in range(3)]
    good = write_warc(tmp_path / "good.warc.gz", caps) and tmp_path / "good.warc.gz"
    name = "a.warc.gz"
    shutil.copyfile(good, coll / "archive" / name)
    Collection.open(coll).rebuild_index()
    # the response of the second capture: the fourth record after warcinfo
    damaged, offset = corrupted_copy(good, tmp_path / "bad.warc.gz", record_index=4)
    shutil.copyfile(damaged, coll / "archive" / name)
    app = make_app(coll, cache_dir=tmp_path / "cache")
    resp = call(app, "/20240501100000id_/http://example.com/1")
    assert resp.status == 502
    assert f"{name} at offset {offset}" in resp.text
    assert str(tmp_path) not in resp.text


def test_home_language_filter_takes_bcp47_tags_and_shows_them(demo, demo_app):
    def listed(lang: str) -> list[str]:
        text = call(demo_app, "/?" + urlencode({"lang": lang})).text
        return re.findall(r"<td class='url'><a href='[^']*'>([^<]+)</a>", text)

    assert listed("zh") == listed("zh-Hant") == listed("zh-Hans") == listed("zho") != []
    assert listed("en") == listed("EN") == listed("eng") != []
    home = call(demo_app, "/").text
    assert "<span class='lang' title='zho'>zh</span>" in home
