"""Page language tags: script first, langdetect only for what the script cannot tell.

Each paragraph is classified by a cheap character-range scan. Hangul means Korean, kana means
Japanese, Han means Chinese, with zh-Hans vs zh-Hant decided from characters that exist in only
one of the two forms (CC-CEDICT sets shipped by ``zhon``). Scripts used by a single language
(Greek, Hebrew, Thai, ...) are tagged directly. Latin and other shared scripts go to langdetect:
once per script on a proportional sample of the page, and per paragraph only when that page-level
answer is uncertain. langdetect runs from this module's own seeded factory, built lazily once per
process, so results never depend on a global seed set (or not set) by someone else.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

__all__ = ["LanguageShare", "LanguageTags", "ParagraphLanguage", "tag_languages"]

UND = "und"

#: langdetect's 55 profiles -> (BCP 47 tag, ISO 639-3 code). Macrolanguage codes where
#: langdetect's profile is the macrolanguage (ara, fas, est, lav, nep, nor, sqi, swa, zho).
LANGDETECT_TAGS: dict[str, tuple[str, str]] = {
    "af": ("af", "afr"),
    "ar": ("ar", "ara"),
    "bg": ("bg", "bul"),
    "bn": ("bn", "ben"),
    "ca": ("ca", "cat"),
    "cs": ("cs", "ces"),
    "cy": ("cy", "cym"),
    "da": ("da", "dan"),
    "de": ("de", "deu"),
    "el": ("el", "ell"),
    "en": ("en", "eng"),
    "es": ("es", "spa"),
    "et": ("et", "est"),
    "fa": ("fa", "fas"),
    "fi": ("fi", "fin"),
    "fr": ("fr", "fra"),
    "gu": ("gu", "guj"),
    "he": ("he", "heb"),
    "hi": ("hi", "hin"),
    "hr": ("hr", "hrv"),
    "hu": ("hu", "hun"),
    "id": ("id", "ind"),
    "it": ("it", "ita"),
    "ja": ("ja", "jpn"),
    "kn": ("kn", "kan"),
    "ko": ("ko", "kor"),
    "lt": ("lt", "lit"),
    "lv": ("lv", "lav"),
    "mk": ("mk", "mkd"),
    "ml": ("ml", "mal"),
    "mr": ("mr", "mar"),
    "ne": ("ne", "nep"),
    "nl": ("nl", "nld"),
    "no": ("no", "nor"),
    "pa": ("pa", "pan"),
    "pl": ("pl", "pol"),
    "pt": ("pt", "por"),
    "ro": ("ro", "ron"),
    "ru": ("ru", "rus"),
    "sk": ("sk", "slk"),
    "sl": ("sl", "slv"),
    "so": ("so", "som"),
    "sq": ("sq", "sqi"),
    "sv": ("sv", "swe"),
    "sw": ("sw", "swa"),
    "ta": ("ta", "tam"),
    "te": ("te", "tel"),
    "th": ("th", "tha"),
    "tl": ("tl", "tgl"),
    "tr": ("tr", "tur"),
    "uk": ("uk", "ukr"),
    "ur": ("ur", "urd"),
    "vi": ("vi", "vie"),
    "zh-cn": ("zh-Hans", "zho"),
    "zh-tw": ("zh-Hant", "zho"),
}

#: Scripts written (on the web, overwhelmingly) in one language: tagged without langdetect.
#: Keys are the first word of the Unicode character name.
SCRIPT_TAGS: dict[str, tuple[str, str]] = {
    "GREEK": ("el", "ell"),
    "HEBREW": ("he", "heb"),
    "THAI": ("th", "tha"),
    "GUJARATI": ("gu", "guj"),
    "GURMUKHI": ("pa", "pan"),
    "TAMIL": ("ta", "tam"),
    "TELUGU": ("te", "tel"),
    "KANNADA": ("kn", "kan"),
    "MALAYALAM": ("ml", "mal"),
    "BENGALI": ("bn", "ben"),
    "GEORGIAN": ("ka", "kat"),
    "ARMENIAN": ("hy", "hye"),
    "KHMER": ("km", "khm"),
    "LAO": ("lo", "lao"),
    "MYANMAR": ("my", "mya"),
    "SINHALA": ("si", "sin"),
}

_CJK_TAGS: dict[str, tuple[str, str]] = {
    "ko": ("ko", "kor"),
    "ja": ("ja", "jpn"),
    "zh-Hans": ("zh-Hans", "zho"),
    "zh-Hant": ("zh-Hant", "zho"),
    "zh": ("zh", "zho"),
}

_CODES: dict[str, str] = {
    tag: code
    for tag, code in (*LANGDETECT_TAGS.values(), *SCRIPT_TAGS.values(), *_CJK_TAGS.values())
}

_SAMPLE_CHARS = 1000  # page-level sample per script: ~170 words; langdetect cost is ~linear in it
_PARAGRAPH_CHARS = 600  # per-paragraph langdetect sample, when the page is mixed
_CONFIDENT = 0.90  # page-level langdetect probability that skips per-paragraph calls
_CJK_WEIGHT = 3  # one Han character carries about as much as three Latin letters

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


@dataclass(frozen=True)
class LanguageShare:
    """One language of a page and its share of the judged letters (0..1, 3 places)."""

    tag: str
    code: str
    share: float


@dataclass(frozen=True)
class ParagraphLanguage:
    """The language of one input paragraph; ``und`` with confidence 0 when not judged."""

    index: int
    tag: str
    code: str
    confidence: float


@dataclass(frozen=True)
class LanguageTags:
    """Languages of a page, most first, and of each of its paragraphs."""

    languages: tuple[LanguageShare, ...]
    paragraphs: tuple[ParagraphLanguage, ...] = ()

    def primary(self) -> str:
        """BCP 47 tag of the main language, ``und`` when undetermined."""
        return self.languages[0].tag if self.languages else UND

    def iso639_3(self, limit: int = 3) -> list[str]:
        """ISO 639-3 codes, most first, without repeats (zh-Hans and zh-Hant are both ``zho``)."""
        codes: list[str] = []
        for lang in self.languages:
            if lang.code not in codes:
                codes.append(lang.code)
        return codes[: max(limit, 0)]

    def to_json(self) -> dict[str, Any]:
        """A plain dict of lists, strings and numbers."""
        return {
            "languages": [{"tag": s.tag, "code": s.code, "share": s.share} for s in self.languages],
            "paragraphs": [
                {"index": p.index, "tag": p.tag, "code": p.code, "confidence": p.confidence}
                for p in self.paragraphs
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LanguageTags:
        """Rebuild from :meth:`to_json` output."""
        return cls(
            languages=tuple(
                LanguageShare(str(d["tag"]), str(d["code"]), float(d["share"]))
                for d in data["languages"]
            ),
            paragraphs=tuple(
                ParagraphLanguage(
                    int(d["index"]), str(d["tag"]), str(d["code"]), float(d["confidence"])
                )
                for d in data.get("paragraphs", ())
            ),
        )


UNDETERMINED = LanguageTags(languages=(LanguageShare(UND, UND, 1.0),))


@dataclass
class _Para:
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
        """Letters in Latin-letter equivalents: a CJK character counts ``_CJK_WEIGHT`` times."""
        return self.letters + (_CJK_WEIGHT - 1) * self.cjk


@functools.cache
def _detector_factory() -> DetectorFactory:
    """langdetect's profiles, loaded once per process in sorted order, with our own seed."""
    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    profiles = []
    for name in names:
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as fh:
            profiles.append(fh.read())
    factory = DetectorFactory()
    factory.load_json_profile(profiles)
    factory.set_seed(0)  # instance attribute: the class-level (global) seed is left alone
    return factory


@functools.cache
def _hanzi_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(traditional-only, simplified-only) characters from CC-CEDICT, via zhon."""
    from zhon import cedict

    trad, simp = set(cedict.traditional), set(cedict.simplified)
    return frozenset(trad - simp), frozenset(simp - trad)


class _Detector(Detector):
    """langdetect's ``Detector`` with the same results, bit for bit, in less time.

    The same arithmetic in the same order and the same calls on the seeded random generator;
    only the interpreter overhead goes: per-character loops become regular expressions, the
    n-gram buffer and the character normalisation are inlined (normalisation memoised per
    character), and the probability updates run as list comprehensions over local names.
    ``tests/test_languages.py`` checks the results against the stock class.
    """

    _SPACES = re.compile(" {2,}")
    _AZ = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z' (the six ASCII signs between too)
    _ABOVE_U0300 = re.compile("[^\x00-\u02ff]")
    _NORMALISED: ClassVar[dict[str, str]] = {}  # NGram.normalize per character
    _ARRAYS: ClassVar[dict[str, Any]] = {}  # the profile's vector per n-gram, as numpy arrays

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # the stock loop keeps a space only after a non-space (the first character always)
        self.text += self._SPACES.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        # langdetect compares a block number with a block name here, so every character from
        # U+0300 up counts as non-Latin: counted the same way
        latin = len(self._AZ.findall(self.text))
        non_latin = len(self._ABOVE_U0300.findall(self.text))
        if latin * 2 < non_latin:
            self.text = self._AZ.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        known = self.word_lang_prob_map
        memo = self._NORMALISED
        result: list[str] = []
        append = result.append
        grams = " "
        capital = False
        for ch in self.text:
            norm = memo.get(ch)
            if norm is None:
                norm = memo[ch] = NGram.normalize(ch)
            last = grams[-1]
            if last == " ":
                grams = " "
                capital = False
                if norm == " ":
                    continue
            elif len(grams) >= 3:
                grams = grams[1:]
            grams += norm
            if norm.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            if norm != " " and norm in known:
                append(norm)
            if len(grams) >= 2:
                w = grams[-2:]
                if w in known:
                    append(w)
                if len(grams) >= 3 and grams in known:
                    append(grams)
        return result

    def _detect_block(self) -> None:
        import numpy as np

        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        arrays = self._ARRAYS
        known = self.word_lang_prob_map
        vectors = []
        for w in ngrams:
            vector = arrays.get(w)
            if vector is None:
                vector = arrays[w] = np.array(known[w], dtype=np.float64)
            vectors.append(vector)
        n_trial = self.n_trial
        langprob = [0.0] * len(self.langlist)
        rnd = self.random
        rnd.seed(self.seed)
        choice = rnd.choice
        limit, threshold, base = self.ITERATION_LIMIT, self.CONV_THRESHOLD, self.BASE_FREQ
        for _ in range(n_trial):
            prob = np.array(self._init_probability(), dtype=np.float64)
            alpha = self.alpha + rnd.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / base
            i = 0
            while True:
                # element by element: prob[k] * (weight + vector[k]), as langdetect's loop
                prob *= weight + choice(vectors)
                if i % 5 == 0:
                    # langdetect's sum is left to right (numpy's is pairwise): sum a list
                    prob /= sum(prob.tolist())
                    if prob.max() > threshold or i >= limit:
                        break
                i += 1
            langprob = [a + p / n_trial for a, p in zip(langprob, prob.tolist(), strict=True)]
        self.langprob = langprob


def _detect(text: str) -> list[tuple[str, float]]:
    """langdetect probabilities, most first; empty when it cannot tell."""
    detector = _Detector(_detector_factory())
    detector.append(text)
    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException:
        return []


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(text) - len(pattern.sub("", text))


def _script_name(letters: str) -> str:
    names = Counter(unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0] for ch in letters[:64])
    return names.most_common(1)[0][0]


def _scan(index: int, text: str) -> _Para:
    if "://" in text or "www." in text or "@" in text:
        text = _URL_RE.sub(" ", text)
    letters = _NON_LETTER_RE.sub("", text)
    n = len(letters)
    if not n:
        return _Para(index, text, 0, None, 0.0)
    if letters.isascii():
        return _Para(index, text, n, "LATIN", 1.0)
    rest = _CJK_RE.sub("", letters)
    cjk = n - len(rest)
    if cjk and cjk * _CJK_WEIGHT >= len(rest):
        hangul = _count(_HANGUL_RE, letters)
        hiragana = _count(_HIRAGANA_RE, letters)
        kana = hiragana + _count(_KATAKANA_RE, letters)
        if hangul * 4 >= cjk:
            return _Para(index, text, n, "ko", cjk / n, cjk)
        if hiragana * 10 >= cjk or kana * 3 >= cjk:
            return _Para(index, text, n, "ja", cjk / n, cjk)
        trad_only, simp_only = _hanzi_sets()
        han = _HAN_RE.sub("", letters)
        trad = sum(ch in trad_only for ch in han)
        simp = sum(ch in simp_only for ch in han)
        return _Para(index, text, n, "han", cjk / n, cjk, trad, simp)
    other = _LATIN_RE.sub("", rest)
    if len(other) * 2 <= len(rest):
        return _Para(index, text, n, "LATIN", (len(rest) - len(other)) / n, cjk)
    return _Para(index, text, n, _script_name(other), len(other) / n, cjk)


def _sample(texts: list[str], budget: int) -> str:
    """Join texts; past the budget, take a prefix of each in proportion to its length."""
    total = sum(len(t) for t in texts)
    if total <= budget:
        return "\n".join(texts)
    parts = []
    for text in texts:
        keep = budget * len(text) // total + 1
        if keep < len(text):
            cut = text[:keep]
            text = cut.rsplit(None, 1)[0] if " " in cut else cut
        parts.append(text)
    return "\n".join(parts)


def _from_langdetect(lang: str) -> str:
    return LANGDETECT_TAGS.get(lang, (UND, UND))[0]


def _code(tag: str) -> str:
    return _CODES.get(tag, UND)


def _zh_variant(trad: int, simp: int) -> str | None:
    if trad > simp:
        return "zh-Hant"
    if simp > trad:
        return "zh-Hans"
    return None


def tag_languages(paragraphs: Sequence[str], *, min_chars: int = 20) -> LanguageTags:
    """Tag a page's languages from its text paragraphs (e.g. trafilatura's output lines).

    Letters are counted after removing URLs, e-mail addresses, digits and punctuation; toward
    ``min_chars`` a Han, kana or Hangul character counts as three letters (a 7-character Chinese
    sentence is as much evidence as a 21-letter English one). A paragraph under ``min_chars`` is
    tagged ``und`` on its own but its letters count for the page when its script reaches
    ``min_chars`` on the page. Shares are by letters (unweighted) of the text that could be
    judged; a page with none gets a single ``und``. Never raises on odd text.
    """
    min_chars = max(min_chars, 1)
    paras = [_scan(i, text) for i, text in enumerate(paragraphs)]
    groups: dict[str, list[_Para]] = {}
    for para in paras:
        if para.group is not None:
            groups.setdefault(para.group, []).append(para)

    # Han-only paragraphs on a page that is mostly Japanese (or Korean) are kanji (hanja)
    # headlines and captions of that page, not Chinese.
    han = groups.get("han")
    if han:
        han_letters = sum(p.letters for p in han)
        host = max(("ja", "ko"), key=lambda g: sum(p.letters for p in groups.get(g, ())))
        host_letters = sum(p.letters for p in groups.get(host, ()))
        if host_letters > han_letters:
            ratio = host_letters / (host_letters + han_letters)
            for para in groups.pop("han"):
                para.group, para.script_share = host, para.script_share * ratio
                groups[host].append(para)
            groups[host].sort(key=lambda p: p.index)

    weights: Counter[str] = Counter()  # judged letters per tag
    found: dict[int, tuple[str, float]] = {}  # paragraph index -> (tag, confidence)
    for group, members in groups.items():
        if sum(p.size for p in members) < min_chars:
            continue
        if group in ("ko", "ja"):
            for para in members:
                weights[group] += para.letters
                found[para.index] = (group, para.script_share)
        elif group == "han":
            _judge_han(members, weights, found)
        elif group in SCRIPT_TAGS:
            tag = SCRIPT_TAGS[group][0]
            for para in members:
                weights[tag] += para.letters
                found[para.index] = (tag, para.script_share)
        else:
            _judge_langdetect(members, min_chars, weights, found)

    judged = sum(weights.values())
    per_paragraph = tuple(_paragraph(p, found, min_chars) for p in paras)
    if judged <= 0:
        return LanguageTags(UNDETERMINED.languages, per_paragraph)
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    languages = tuple(
        LanguageShare(tag, _code(tag), round(weight / judged, 3))
        for tag, weight in ranked
        if round(weight / judged, 3) > 0
    )
    return LanguageTags(languages, per_paragraph)


def _paragraph(
    para: _Para, found: dict[int, tuple[str, float]], min_chars: int
) -> ParagraphLanguage:
    if para.size >= min_chars and para.index in found:
        tag, confidence = found[para.index]
        return ParagraphLanguage(para.index, tag, _code(tag), round(confidence, 3))
    return ParagraphLanguage(para.index, UND, UND, 0.0)


def _judge_han(
    members: list[_Para], weights: Counter[str], found: dict[int, tuple[str, float]]
) -> None:
    """zh-Hans / zh-Hant per paragraph from its own characters, else from the page's."""
    trad = sum(p.trad for p in members)
    simp = sum(p.simp for p in members)
    page_variant = _zh_variant(trad, simp) or "zh"
    page_ratio = max(trad, simp) / (trad + simp) if trad + simp else 1.0
    for para in members:
        own = _zh_variant(para.trad, para.simp)
        if own is not None:
            tag, ratio = own, max(para.trad, para.simp) / (para.trad + para.simp)
        else:
            tag, ratio = page_variant, page_ratio
        weights[tag] += para.letters
        found[para.index] = (tag, para.script_share * ratio)


def _judge_langdetect(
    members: list[_Para],
    min_chars: int,
    weights: Counter[str],
    found: dict[int, tuple[str, float]],
) -> None:
    """One langdetect call on a sample of the script's text; per paragraph only if uncertain."""
    probs = _detect(_sample([p.text for p in members], _SAMPLE_CHARS))
    if not probs:
        return
    top, top_prob = _from_langdetect(probs[0][0]), probs[0][1]
    long = [p for p in members if p.size >= min_chars]
    if top_prob >= _CONFIDENT or len(long) <= 1:
        for para in members:
            weights[top] += para.letters
            found[para.index] = (top, top_prob)
        return
    own: Counter[str] = Counter()
    for para in long:
        result = _detect(_sample([para.text], _PARAGRAPH_CHARS))
        if result:
            tag = _from_langdetect(result[0][0])
            own[tag] += para.letters
            found[para.index] = (tag, result[0][1])
    short = sum(p.letters for p in members if p.size < min_chars)
    # Short paragraphs' letters follow the mix of the long ones (or the page-level guess).
    mix = own or Counter({_from_langdetect(lang): prob for lang, prob in probs})
    total = sum(mix.values())
    weights.update(own)
    for tag, value in mix.items():
        weights[tag] += short * value / total
