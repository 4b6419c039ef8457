"""Script classification of a paragraph, by a cheap character-range scan.

Hangul means Korean, kana means Japanese, Han means Chinese, with zh-Hans vs zh-Hant decided
from characters that exist in only one of the two forms (CC-CEDICT sets shipped by ``zhon``,
loaded on first use). Latin is told apart from the other scripts, which are named by the first
word of their Unicode character names (``GREEK``, ``HEBREW``...).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

__all__ = ["CJK_WEIGHT", "Para", "scan", "word_count", "zh_variant"]

CJK_WEIGHT = 3  # one Han character carries about as much as three Latin letters

_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff"
_HIRAGANA = "\u3040-\u309f\U0001b000-\U0001b16f"
_KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = "\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"

_URL_RE = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)
_NON_LETTER_RE = re.compile(r"[\W\d_]+")
_CJK_RE = re.compile(f"[{_HANGUL}{_HIRAGANA}{_KATAKANA}{_HAN}]+")
_HANGUL_RE = re.compile(f"[{_HANGUL}]+")
_HIRAGANA_RE = re.compile(f"[{_HIRAGANA}]+")
_KATAKANA_RE = re.compile(f"[{_KATAKANA}]+")
_LATIN_RE = re.compile(f"[{_LATIN}]+")
_HAN_RE = re.compile(f"[^{_HAN}]+")  # removes everything but Han


@dataclass
class Para:
    """One paragraph as scanned: its letters and the script group they fall in."""

    index: int
    text: str  # URLs removed, for langdetect
    letters: int
    group: str | None  # "ko", "ja", "han", "LATIN", a Unicode script name, or None
    script_share: float  # fraction of the letters in the group's script
    cjk: int = 0  # Han, kana and Hangul letters
    trad: int = 0  # traditional-only characters
    simp: int = 0  # simplified-only characters

    @property
    def size(self) -> int:
        """Letters in Latin-letter equivalents: a CJK character counts ``CJK_WEIGHT`` times."""
        return self.letters + (CJK_WEIGHT - 1) * self.cjk


def scan(index: int, text: str) -> Para:
    """Classify paragraph ``index``; URLs, e-mail addresses, digits and punctuation ignored."""
    if "://" in text or "www." in text or "@" in text:
        text = _URL_RE.sub(" ", text)
    letters = _NON_LETTER_RE.sub("", text)
    n = len(letters)
    if not n:
        return Para(index, text, 0, None, 0.0)
    if letters.isascii():
        return Para(index, text, n, "LATIN", 1.0)
    rest = _CJK_RE.sub("", letters)
    cjk = n - len(rest)
    if cjk and cjk * CJK_WEIGHT >= len(rest):
        hangul = _count(_HANGUL_RE, letters)
        hiragana = _count(_HIRAGANA_RE, letters)
        kana = hiragana + _count(_KATAKANA_RE, letters)
        if hangul * 4 >= cjk:
            return Para(index, text, n, "ko", cjk / n, cjk)
        if hiragana * 10 >= cjk or kana * 3 >= cjk:
            return Para(index, text, n, "ja", cjk / n, cjk)
        trad_only, simp_only = hanzi_sets()
        han = _HAN_RE.sub("", letters)
        trad = sum(ch in trad_only for ch in han)
        simp = sum(ch in simp_only for ch in han)
        return Para(index, text, n, "han", cjk / n, cjk, trad, simp)
    other = _LATIN_RE.sub("", rest)
    if len(other) * 2 <= len(rest):
        return Para(index, text, n, "LATIN", (len(rest) - len(other)) / n, cjk)
    return Para(index, text, n, _script_name(other), len(other) / n, cjk)


def zh_variant(trad: int, simp: int) -> str | None:
    """zh-Hant or zh-Hans from traditional-only and simplified-only counts; None on a tie."""
    if trad > simp:
        return "zh-Hant"
    if simp > trad:
        return "zh-Hans"
    return None


@functools.cache
def hanzi_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(traditional-only, simplified-only) characters from CC-CEDICT, via zhon."""
    from zhon import cedict

    trad, simp = set(cedict.traditional), set(cedict.simplified)
    return frozenset(trad - simp), frozenset(simp - trad)


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(text) - len(pattern.sub("", text))


def _script_name(letters: str) -> str:
    names = Counter(unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0] for ch in letters[:64])
    return names.most_common(1)[0][0]


# Han (with extensions and compatibility forms), kana: scripts written without spaces
_CJK = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)


# CJK and full-width punctuation: separators, not words
_CJK_PUNCTUATION = re.compile("[\u3000-\u303f\uff01-\uff20\uff3b-\uff40\uff5b-\uff65]")


def word_count(text: str) -> int:
    """Words of a text: each Han or kana character counts as one (Chinese and Japanese are
    written without spaces between words), the rest by whitespace-separated tokens; CJK
    punctuation separates."""
    text = _CJK_PUNCTUATION.sub(" ", text)
    characters = len(_CJK.findall(text))
    return characters + len(_CJK.sub(" ", text).split())
