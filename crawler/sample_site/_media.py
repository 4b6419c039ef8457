"""The sample site's media: what every page loads (logo, ad, script, and a stylesheet with an
``@import``, a web font and a background image), the pictures of a few articles (``srcset``,
``<picture>``, a lazy-loaded one), and a wire photo on another host (a CDN) when the site is
given one. Images are real PNGs, so a browser draws them."""

from __future__ import annotations

import struct
import zlib

from crawler.sample_site._types import Route

__all__ = ["PICTURED", "WIRE_PHOTO", "cdn_routes", "figure_html", "png", "static_routes"]

#: how many articles carry a picture (the first English ones of the reachable pool)
PICTURED = 3
WIRE_PHOTO = "/wire/photo.png"  # served by the CDN host

_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_CSS = (
    b'@import url("/static/print.css") print;\n'
    b"@font-face{font-family:Newsreader;"
    b'src:url("/static/fonts/newsreader.woff2") format("woff2")}\n'
    b"body{font-family:Newsreader,serif;background:#fff url(/static/img/paper.png) repeat-x}\n"
    b".sidebar{float:right;width:300px}.ad{margin:8px 0}\n"
    b"figure img{width:320px;height:180px}\n"
)
_PRINT_CSS = b".sidebar,.ad,.share{display:none}\n"
_FONT = b"wOF2\x00\x01\x00\x00" + bytes(56)  # a woff2 signature: archived, not drawn
_JS = (
    b"(function(){var c=window.siteConfig||{};"
    b"if(c.lang){document.documentElement.lang=c.lang;}})();\n"
)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _image(body: bytes, kind: str = "image/png") -> Route:
    return Route(200, (("Content-Type", kind), ("Cache-Control", "max-age=86400")), body)


def static_routes(pictured: list[str]) -> dict[str, Route]:
    """The assets every page loads, and the pictures of the articles keyed ``pictured``."""
    routes = {
        "/static/logo.gif": _image(_GIF, "image/gif"),
        "/static/ad-300x250.gif": _image(_GIF, "image/gif"),
        "/static/site.css": Route(200, (("Content-Type", "text/css"),), _CSS),
        "/static/print.css": Route(200, (("Content-Type", "text/css"),), _PRINT_CSS),
        "/static/fonts/newsreader.woff2": _image(_FONT, "font/woff2"),
        "/static/img/paper.png": _image(png(8, 8, (250, 248, 240))),
        "/static/site.js": Route(200, (("Content-Type", "application/javascript"),), _JS),
    }
    for n, key in enumerate(pictured):
        colour = ((60 + 70 * n) % 256, 120, (200 - 50 * n) % 256)
        routes[f"/static/img/{key}.png"] = _image(png(320, 180, colour))
        routes[f"/static/img/{key}-2x.png"] = _image(png(640, 360, colour))
        routes[f"/static/img/{key}.webp"] = _image(png(320, 180, colour), "image/webp")
    return routes


def cdn_routes() -> dict[str, Route]:
    """What the CDN host serves: the wire photo."""
    return {WIRE_PHOTO: _image(png(320, 180, (30, 30, 30)))}


def figure_html(n: int, key: str, alt: str, cdn_url: str | None) -> str:
    """The picture of the ``n``-th pictured article (the second one is lazy-loaded; the
    first also shows the wire photo from the CDN, when there is one)."""
    src = f"/static/img/{key}.png"
    if n == 1:
        img = f'<img data-src="{src}" src="/static/img/paper.png" alt="{alt}" loading="lazy">'
    else:
        img = f'<img src="{src}" srcset="{src} 1x, /static/img/{key}-2x.png 2x" alt="{alt}">'
    picture = f'<picture><source srcset="/static/img/{key}.webp" type="image/webp">{img}</picture>'
    wire = ""
    if n == 0 and cdn_url:
        wire = f'\n<figure class="wire"><img src="{cdn_url}{WIRE_PHOTO}" alt="Wire photo"></figure>'
    return f'<figure class="lead">{picture}</figure>{wire}'
