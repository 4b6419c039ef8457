"""Routes that test a crawler rather than fill the corpus: a redirect chain, gzip and chunked
bodies, a 404 and a 500, a PDF, the bad inputs (tag soup, wrong charset, binary, huge, reset,
stalled, short) and the links of the SSRF page."""

from __future__ import annotations

import gzip
import random

from crawler.sample_site._chrome import SITE_NAME, escape_text
from crawler.sample_site._content import ArticleText
from crawler.sample_site._html import render_article, render_list
from crawler.sample_site._types import Page, Route, html_route

__all__ = [
    "BAD_PATHS",
    "NOT_FOUND_PATH",
    "PDF_PATH",
    "PDF_TITLE",
    "SERVER_ERROR_PATH",
    "bad_input_links",
    "bad_input_routes",
    "error_html",
    "error_routes",
    "not_found_route",
    "ssrf_links",
    "ssrf_targets",
    "transport_routes",
]

NOT_FOUND_PATH = "/news/2015/03/cotton-futures-weekly-review.html"
SERVER_ERROR_PATH = "/news/2015/04/yarn-index-live.html"
PDF_PATH = "/files/2014/zhejiang-textile-export-report.pdf"
PDF_TITLE = "Zhejiang Textile Export Report 2014 (PDF)"
BAD_PATHS = {
    "malformed": "/bad/malformed.html",
    "wrong_charset": "/bad/wrong-charset.html",
    "binary": "/bad/binary.html",
    "huge": "/bad/huge.html",
    "reset": "/bad/reset",
    "stall": "/bad/stall",
    "short": "/bad/short",
}
_BAD_TITLES = {
    "binary": "Fabric Sample Catalogue (Scanned)",
    "huge": "Complete Fabric Price List",
    "reset": "Live Auction Feed",
    "stall": "Trade Fair Live Blog",
    "short": "Daily Market Briefing",
}
_SSRF_TITLES = (
    "Cloud Provider Briefing",
    "Intranet Supplier Portal",
    "Router Admin Guide For Factories",
    "Local Order Desk",
    "Mirror Of This Article",
    "Localhost Dashboard",
)


def transport_routes(
    routes: dict[str, Route], gzip_path: str, chunked_path: str
) -> dict[str, Route]:
    """Two rendered articles served again: one gzip-encoded, one with chunked transfer."""
    gz = routes[gzip_path]
    ch = routes[chunked_path]
    return {
        gzip_path: Route(
            200,
            (*gz.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")),
            gzip.compress(gz.body, mtime=0),
        ),
        chunked_path: Route(200, ch.headers, ch.body, "chunked"),
    }


def error_routes(base_url: str, redirect_chain: tuple[str, str, str]) -> dict[str, Route]:
    """A 301 (absolute Location) then a 302 (relative) to the chain's last article, a 500 and
    the PDF. The 404 is not a route: every unknown path gets `not_found_route()`."""
    go_path, moved_path, final_path = redirect_chain
    return {
        go_path: Route(
            301,
            (("Location", base_url + moved_path), ("Content-Type", "text/html; charset=utf-8")),
            error_html(301, "Moved Permanently"),
        ),
        moved_path: Route(
            302,
            (("Location", final_path), ("Content-Type", "text/html; charset=utf-8")),
            error_html(302, "Found"),
        ),
        SERVER_ERROR_PATH: html_route(error_html(500, "Internal Server Error"), status=500),
        PDF_PATH: Route(
            200,
            (("Content-Type", "application/pdf"),),
            _pdf_bytes("Zhejiang Textile Export Report 2014"),
        ),
    }


def bad_input_links(malformed: Page, wrong: Page) -> list[tuple[str, str, str]]:
    """The related links of the bad-input hub: one to each bad input."""
    links = [("", malformed.text.title, malformed.path), ("", wrong.text.title, wrong.path)]
    return links + [("", title, BAD_PATHS[name]) for name, title in _BAD_TITLES.items()]


def bad_input_routes(
    malformed: Page,
    wrong: Page,
    base_url: str,
    nav_only: str,
    popular: list[tuple[str, str]],
    stall_links: list[tuple[str, str]],
    short_body: bytes,
) -> dict[str, Route]:
    """Tag soup; an article in GBK declared as UTF-8; binary noise as text/html; a huge page;
    a page whose body stalls halfway; a truncated body (`short_body` cut at 1000 of a declared
    5000 bytes); a connection reset."""
    noise = bytearray(random.Random(7).randbytes(8192))
    noise[::97] = bytes(len(noise[::97]))
    stall_html = render_list("Trade Fair Live Blog", stall_links, nav_only, base_url)
    return {
        malformed.path: html_route(_malformed_html(malformed.text)),
        wrong.path: html_route(render_article(wrong, base_url, nav_only, popular), codec="gbk"),
        BAD_PATHS["binary"]: html_route(bytes(noise)),
        BAD_PATHS["huge"]: html_route(_huge_html(base_url)),
        BAD_PATHS["stall"]: html_route(stall_html, mode="stall"),
        BAD_PATHS["short"]: Route(
            200,
            (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "5000")),
            short_body[:1000],
            "short",
        ),
        BAD_PATHS["reset"]: Route(200, (), b"", "reset"),
    }


def ssrf_targets(base_url: str) -> tuple[str, ...]:
    """Links a crawler must not follow: metadata, private and loopback addresses, and this
    server under another loopback address."""
    port = base_url.rsplit(":", 1)[-1]
    return (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1/admin",
        "http://[::1]/",
        f"http://127.0.0.2:{port}/x",
        "http://localhost.localdomain/",
    )


def ssrf_links(targets: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """The related links of the SSRF page, one to each target."""
    return [("", t, u) for t, u in zip(_SSRF_TITLES, targets, strict=True)]


def _pdf_bytes(text: str) -> bytes:
    """A one-page PDF with a correct xref table, built by hand."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _malformed_html(text: ArticleText) -> str:
    """Tag soup: unclosed and mismatched tags, stray close tags, markup inside a script."""
    p = text.paragraphs
    return f"""<html><head><title>{escape_text(text.title)}</title>
<meta charset="utf-8"></head></head>
<body><div id="header"><a href="/">Home</a> <a href="/section/news.html">News</div></div>
<div class="main"><table><tr><td>
<h1>{escape_text(text.title)}</h2>
<div class="content"><p>{escape_text(p[0])}
<p>{escape_text(p[1])}</span></p></div>
</div></td><p><b><i>{escape_text(p[2])}</b></i>
<div><p>{escape_text(p[3])}
</table></div></div></div>
<div class="footer">Copyright &copy 2015 <a href="/about/about-us.html">About us
<script>var x = "</div>"; if (a < b && c > d) {{ x = '<p>'; }}</script>
"""


def _huge_html(base_url: str) -> str:
    """A 3 MB price table."""
    rows = []
    fabrics = ("chiffon", "poplin", "denim", "jersey", "twill", "satin", "canvas", "velvet")
    size = 0
    i = 0
    while size < 3_000_000:
        row = (
            f"<tr><td>{i:06d}</td><td>Lot {i} {fabrics[i % 8]} {40 + i % 90}s</td>"
            f"<td>{(i * 37) % 1000 / 10:.1f} yuan/m</td>"
            f"<td>Keqiao market, stall {i % 4000}</td></tr>\n"
        )
        rows.append(row)
        size += len(row)
        i += 1
    table = "".join(rows)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Complete fabric price list - {SITE_NAME}</title>"
        f'<link rel="canonical" href="{base_url}/bad/huge.html"></head>\n<body>'
        f"<h1>Complete Fabric Price List</h1>\n<p>Quotes collected from the Keqiao market this "
        f"week, every lot listed.</p>\n<table>\n{table}</table></body></html>\n"
    )


def error_html(status: int, message: str) -> bytes:
    """The small HTML body of a redirect or an error."""
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{status} {message}</title>'
        f"</head><body><h1>{status} {message}</h1><p>{SITE_NAME}</p></body></html>\n"
    ).encode()


def not_found_route() -> Route:
    """A 404 with a non-standard reason phrase and a lower-case header name, as some
    servers send: a wire-faithful capture keeps both."""
    page = html_route(error_html(404, "Not Found"), status=404)
    headers = (*page.headers, ("x-served-by", "sample-news"))
    return Route(404, headers, page.body, reason="No Such Article")
