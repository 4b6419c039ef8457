"""Decoding: declared charsets win, a wrong declaration falls back to detection."""

from __future__ import annotations

from archive.charset import decode_html

ARTICLE = "<html><head><meta charset='{}'><title>纺织</title></head><body><p>{}</p></body></html>"
TEXT = "常熟服装城推出线上批发平台，商户订单回升。这个产业的发展对经济很重要。" * 4


def test_declared_charset_is_used() -> None:
    body = ARTICLE.format("gbk", TEXT).encode("gbk")
    decoded = decode_html(body, "text/html; charset=gbk")
    assert TEXT in decoded.text
    assert decoded.charset in ("gbk", "gb18030") and decoded.declared is None


def test_undeclared_utf8() -> None:
    body = f"<html><body><p>{TEXT}</p></body></html>".encode()
    decoded = decode_html(body, "text/html")
    assert TEXT in decoded.text and decoded.charset == "utf-8"


def test_wrong_declaration_falls_back_to_detection() -> None:
    body = ARTICLE.format("utf-8", TEXT).encode("gbk")  # says UTF-8, is GBK
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert TEXT in decoded.text
    assert decoded.charset in ("gbk", "gb18030", "gb2312")
    assert decoded.declared == "utf-8"


def test_a_few_bad_bytes_keep_the_declared_charset() -> None:
    body = ARTICLE.format("utf-8", TEXT).encode() + b"\xff"
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert decoded.charset == "utf-8" and decoded.declared is None
    assert TEXT in decoded.text


def test_binary_garbage_never_raises() -> None:
    body = bytes(range(256)) * 40
    decoded = decode_html(body, "text/html")
    assert isinstance(decoded.text, str) and decoded.charset
