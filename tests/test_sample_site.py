"""The bundled sample site, checked over real HTTP."""

from __future__ import annotations

import gzip
import http.client
import re
import socket
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html import unescape

import pytest

from crawler.sample_site import SampleSite

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSite]:
    with SampleSite(stall_seconds=3.0) as s:
        yield s


def _get(site: SampleSite, path: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def _raw(site: SampleSite, request: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", site.port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_api_and_base_url(site: SampleSite) -> None:
    assert site.base_url == f"http://127.0.0.1:{site.port}"
    assert site.url("/robots.txt") == site.base_url + "/robots.txt"
    with pytest.raises(RuntimeError):
        _ = SampleSite().manifest


def test_corpus_shape(site: SampleSite) -> None:
    m = site.manifest
    assert len(m.articles) >= 60
    assert len(m.by_language("zh-Hans")) >= 8
    assert len(m.by_language("zh-Hant")) >= 8
    mixed = [
        a
        for a in m.by_language("en")
        if any(CJK.search(p) for p in a.paragraphs) and not CJK.search(a.title)
    ]
    assert len(mixed) >= 2
    paragraphs = [p for a in m.articles for p in a.paragraphs]
    assert len(paragraphs) == len(set(paragraphs))
    assert all(4 <= len(a.paragraphs) <= 10 for a in m.articles if a.language == "en")
    assert all(3 <= len(a.related_paths) <= 8 for a in m.articles)
    for a in m.by_language("zh-Hant"):
        assert "這" in "".join(a.paragraphs) or "臺" in "".join((*a.paragraphs, a.title))
        assert "这" not in "".join(a.paragraphs)
    charsets = {a.charset for a in m.articles}
    assert {"utf-8", "gbk", "big5", None} <= charsets


def test_every_article_serves_its_title_and_paragraphs(site: SampleSite) -> None:
    m = site.manifest
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    for art in m.articles:
        conn.request("GET", art.path)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, art.path
        if resp.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        html = body.decode(art.charset or "utf-8")
        text = _text(html)
        assert art.title in text
        for par in art.paragraphs:
            assert par in text, (art.path, par[:40])
        for href in art.related_paths:
            assert f'href="{href}"' in html
        for title in art.related_titles:
            assert title in text
        for marker in ("<nav", "<footer", "application/ld+json", "Share to WeChat", "<form"):
            assert marker in html
    conn.close()
    assert len(site.requests) >= len(m.articles)


def test_gbk_and_big5_pages(site: SampleSite) -> None:
    m = site.manifest
    gbk = [a for a in m.articles if a.charset == "gbk"]
    big5 = [a for a in m.articles if a.charset == "big5"]
    assert len(gbk) >= 2
    assert len(big5) >= 2
    for art in gbk + big5:
        _, headers, body = _get(site, art.path)
        declared = headers["Content-Type"].lower() + body[:2000].decode("ascii", "replace").lower()
        assert f"charset={art.charset}" in declared or f'charset="{art.charset}"' in declared
        assert art.title in body.decode(art.charset)
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")


def test_page_without_charset(site: SampleSite) -> None:
    (art,) = [a for a in site.manifest.articles if a.charset is None]
    _, headers, body = _get(site, art.path)
    assert headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()
    assert art.title in body.decode("utf-8")


def test_gzip_article(site: SampleSite) -> None:
    m = site.manifest
    _, headers, body = _get(site, m.gzip_path, {"Accept-Encoding": "identity"})
    assert headers["Content-Encoding"] == "gzip"
    assert int(headers["Content-Length"]) == len(body)
    assert m.article(m.gzip_path).title.encode() in gzip.decompress(body)
    assert any(m.gzip_path in a.related_paths for a in m.articles if a.reachable)


def test_chunked_article(site: SampleSite) -> None:
    m = site.manifest
    raw = _raw(
        site,
        f"GET {m.chunked_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
    )
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    body, chunks = b"", 0
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body, rest, chunks = body + rest[:size], rest[size + 2 :], chunks + 1
    assert chunks >= 3
    assert m.article(m.chunked_path).title.encode() in body
    assert any(m.chunked_path in a.related_paths for a in m.articles if a.reachable)


def test_redirect_chain(site: SampleSite) -> None:
    m = site.manifest
    first, second, final = m.redirect_chain
    status, headers, _ = _get(site, first)
    assert status == 301
    assert headers["Location"] == site.url(second)
    status, headers, _ = _get(site, second)
    assert status == 302
    assert headers["Location"] == final
    status, _, body = _get(site, final)
    assert status == 200
    info = m.article(final)
    assert info.reachable
    assert info.title in body.decode()
    assert any(first in a.related_paths for a in m.articles)
    assert not any(final in a.related_paths for a in m.articles)
    with urllib.request.urlopen(site.url(first), timeout=5) as resp:
        assert resp.url == site.url(final)


def test_reachability(site: SampleSite) -> None:
    m = site.manifest
    reachable = [a for a in m.articles if a.reachable]
    assert len(reachable) >= 50
    assert len(reachable) < len(m.articles)
    assert m.article(m.seed_path).reachable
    assert not m.article(m.nav_only_path).reachable
    _, _, seed_html = _get(site, m.seed_path)
    assert f'href="{m.nav_only_path}"'.encode() in seed_html
    unreachable = {a.path for a in m.articles if not a.reachable}
    assert unreachable <= set(m.rss_paths) | {a.path for a in m.articles}
    assert any(CJK.search(t) for a in m.by_language("en") for t in a.related_titles), (
        "English pages should list some Chinese related titles"
    )


def test_robots_private_and_discovery_files(site: SampleSite) -> None:
    m = site.manifest
    status, _, body = _get(site, m.robots_path)
    assert status == 200
    text = body.decode()
    assert "User-agent: *" in text
    assert f"Disallow: {m.disallowed_prefix}" in text
    for path in m.private_paths:
        assert path.startswith(m.disallowed_prefix)
        assert _get(site, path)[0] == 200
        assert any(path in a.related_paths for a in m.articles if a.reachable)

    status, _, body = _get(site, m.sitemap_path)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in ET.fromstring(body).findall("s:url/s:loc", ns)}
    assert locs == {site.url(a.path) for a in m.articles}
    assert len(ET.fromstring(body).findall("s:url/s:lastmod", ns)) == len(m.articles)

    status, _, body = _get(site, m.rss_path)
    items = ET.fromstring(body).findall("channel/item")
    assert len(items) == 20
    assert [i.findtext("link") for i in items] == [site.url(p) for p in m.rss_paths]


def test_error_pages_and_pdf(site: SampleSite) -> None:
    m = site.manifest
    status, headers, body = _get(site, m.not_found_path)
    assert status == 404
    assert b"<html" in body
    status, headers, body = _get(site, m.server_error_path)
    assert status == 500
    assert b"<html" in body
    status, headers, body = _get(site, m.pdf_path)
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-1.4")
    assert body.rstrip().endswith(b"%%EOF")
    xref = int(body.rsplit(b"startxref", 1)[1].split()[0])
    assert body[xref:].startswith(b"xref")
    linked = {p for a in m.articles for p in a.related_paths}
    assert {m.not_found_path, m.server_error_path, m.pdf_path} <= linked


def test_bad_inputs_linked_only_from_their_page(site: SampleSite) -> None:
    m = site.manifest
    hub = m.article(m.bad_input_page)
    assert set(hub.related_paths) == set(m.bad_input_paths)
    for art in m.articles:
        assert not set(art.related_paths) & set(m.bad_input_paths)
    assert m.bad_input_page not in {a.path for a in m.articles}


def test_bad_input_responses(site: SampleSite) -> None:
    m = site.manifest
    status, _, body = _get(site, m.malformed_path)
    assert status == 200
    assert m.article(m.malformed_path).paragraphs[0].encode() in body

    status, headers, body = _get(site, m.wrong_charset_path)
    assert "utf-8" in headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert m.article(m.wrong_charset_path).title in body.decode("gbk")

    status, headers, body = _get(site, m.binary_path)
    assert headers["Content-Type"].startswith("text/html")
    assert b"\x00" in body

    status, _, body = _get(site, m.huge_path)
    assert len(body) > 2_500_000

    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        _get(site, m.reset_path)

    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("GET", m.short_path)
    resp = conn.getresponse()
    assert resp.getheader("Content-Length") == "5000"
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()


def test_stall_sends_part_then_waits(site: SampleSite) -> None:
    with socket.create_connection(("127.0.0.1", site.port), timeout=0.3) as sock:
        sock.sendall(f"GET {site.manifest.stall_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        started = time.monotonic()
        data = b""
        with pytest.raises(TimeoutError):
            while chunk := sock.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert 0 < len(body) < length
    assert time.monotonic() - started < 2


def test_ssrf_page_links(site: SampleSite) -> None:
    m = site.manifest
    info = m.article(m.ssrf_page)
    assert info.related_paths == m.ssrf_targets
    assert f"http://127.0.0.2:{site.port}/x" in m.ssrf_targets
    _, _, body = _get(site, m.ssrf_page)
    for url in m.ssrf_targets:
        assert f'href="{url}"'.encode() in body


def test_request_log(site: SampleSite) -> None:
    _get(site, "/section/chinese.html?variant=hant")
    assert "/section/chinese.html?variant=hant" in site.requests
    assert site.leaked == []


def test_proxy_mode_records_leaks() -> None:
    with SampleSite(proxy=True) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
        conn.request("GET", "http://169.254.169.254/latest/meta-data/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 502
        conn.request("GET", proxy.url(proxy.manifest.seed_path))
        resp = conn.getresponse()
        assert resp.status == 200
        assert proxy.manifest.article(proxy.manifest.seed_path).title.encode() in resp.read()
        conn.close()

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.base_url}))
        with pytest.raises(urllib.error.HTTPError) as err:
            opener.open("http://10.0.0.1/", timeout=5)
        assert err.value.code == 502
        err.value.close()
        assert proxy.leaked == ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"]
        assert proxy.requests == [proxy.manifest.seed_path]
