"""Decoding HTML bodies: the declared charset first, a detected one when it does not fit.

Browsers and Scrapy decode with the charset the page declares (header, BOM, ``<meta>``).
Pages whose declaration is wrong (GBK bytes labelled UTF-8 is common on Chinese sites)
then turn into replacement characters: when more than ``MAX_UNDECODABLE`` of the text is
lost, charset_normalizer's best guess is used instead, if it loses less.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_to_unicode

__all__ = ["DecodedHtml", "decode_html"]

MAX_UNDECODABLE = 0.005
_REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class DecodedHtml:
    """Text of a body, the charset that produced it and, if different, the declared one."""

    text: str
    charset: str
    declared: str | None = None


def decode_html(body: bytes, content_type: str | None) -> DecodedHtml:
    """Decode ``body`` as Scrapy would, falling back to detection on a wrong declaration."""
    charset, text = html_to_unicode(content_type, body)
    charset = _canonical(charset)
    lost = text.count(_REPLACEMENT)
    if lost <= len(text) * MAX_UNDECODABLE:
        return DecodedHtml(text, charset)
    guess = charset_normalizer.from_bytes(body).best()
    if guess is None or guess.encoding is None:
        return DecodedHtml(text, charset)
    detected = str(guess)
    if detected.count(_REPLACEMENT) >= lost:
        return DecodedHtml(text, charset)
    return DecodedHtml(detected, _canonical(guess.encoding), declared=charset)


def _canonical(name: str) -> str:
    """Python's name of a codec (``utf8`` -> ``utf-8``, ``GB2312`` -> ``gb2312``)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name
