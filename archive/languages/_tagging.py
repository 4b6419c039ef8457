"""How a page is tagged: script first, langdetect only for what the script cannot tell.

Each paragraph is classified by a cheap character-range scan (:mod:`._scripts`). Hangul means
Korean, kana means Japanese, Han means Chinese, zh-Hans or zh-Hant by the characters that exist
in only one of the two forms. Scripts used by a single language (Greek, Hebrew, Thai, ...) are
tagged directly. Latin and other shared scripts go to langdetect (:mod:`._langdetect`, seeded
on its own, never globally): once per script on a proportional sample of the page, and per
paragraph only when that page-level answer is uncertain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import _langdetect
from ._scripts import Para, scan, zh_variant

__all__ = [
    "LanguageShare",
    "LanguageTags",
    "ParagraphLanguage",
    "bcp47",
    "iso639_3",
    "tag_languages",
    "tag_languages_many",
]

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

#: ISO 639-3 code per tag; plain ``zh`` is Chinese whose variant could not be told.
_CODES: dict[str, str] = {
    **dict(LANGDETECT_TAGS.values()),
    **dict(SCRIPT_TAGS.values()),
    "zh": "zho",
}

#: Script groups tagged by their script alone: kana (Japanese), Hangul (Korean) and the above.
_ONE_LANGUAGE_GROUPS: dict[str, str] = {
    "ja": "ja",
    "ko": "ko",
    **{group: tag for group, (tag, _) in SCRIPT_TAGS.items()},
}

_SAMPLE_CHARS = 1000  # page-level sample per script: ~170 words
_SAMPLE_PARTS = 7  # one per langdetect trial: paragraphs in other languages split the vote
_PARAGRAPH_CHARS = 600  # per-paragraph langdetect sample, when the page is mixed
# Page-level langdetect probability that skips per-paragraph calls: one trial per part may
# stray on a short part (names, numbers); two of seven disagreeing mean a mixed page.
_CONFIDENT = 1 - 1.5 / _SAMPLE_PARTS


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
        codes = list(dict.fromkeys(lang.code for lang in self.languages))
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


#: What tagging a page asks langdetect for (texts, or parts of one text) and gets back.
_Asks = list[list[str]]
_Answers = list[list[tuple[str, float]]]
_Tagging = Generator[_Asks, _Answers, "LanguageTags"]


def tag_languages(paragraphs: Sequence[str], *, min_chars: int = 20) -> LanguageTags:
    """Tag a page's languages from its text paragraphs (e.g. trafilatura's output lines).

    Letters are counted after removing URLs, e-mail addresses, digits and punctuation; toward
    ``min_chars`` a Han, kana or Hangul character counts as three letters (a 7-character Chinese
    sentence is as much evidence as a 21-letter English one). A paragraph under ``min_chars`` is
    tagged ``und`` on its own but its letters count for the page when its script reaches
    ``min_chars`` on the page. Shares are by letters (unweighted) of the text that could be
    judged; a page with none gets a single ``und``. Never raises on odd text.
    """
    return tag_languages_many([paragraphs], min_chars=min_chars)[0]


def tag_languages_many(
    pages: Sequence[Sequence[str]], *, min_chars: int = 20
) -> list[LanguageTags]:
    """:func:`tag_languages` of each page; the pages' langdetect calls are made together
    (:func:`._langdetect.detect_many`), which changes no page's tags."""
    taggings = [_tagging(paragraphs, max(min_chars, 1)) for paragraphs in pages]
    tags: dict[int, LanguageTags] = {}
    asks: dict[int, _Asks] = {}

    def advance(i: int, answers: _Answers | None) -> None:
        try:
            asks[i] = next(taggings[i]) if answers is None else taggings[i].send(answers)
        except StopIteration as done:
            tags[i] = done.value

    for i in range(len(pages)):
        advance(i, None)
    while asks:
        waiting = sorted(asks.items())
        asks.clear()
        answers = _langdetect.detect_many([text for _, texts in waiting for text in texts])
        start = 0
        for i, texts in waiting:
            advance(i, answers[start : start + len(texts)])
            start += len(texts)
    return [tags[i] for i in range(len(pages))]


def _tagging(paragraphs: Sequence[str], min_chars: int) -> _Tagging:
    """One page's tagging: yields what it asks langdetect, receives the answers."""
    paras = [scan(i, text) for i, text in enumerate(paragraphs)]
    groups: dict[str, list[Para]] = {}
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
        if group == "han":
            _judge_han(members, weights, found)
        elif tag := _ONE_LANGUAGE_GROUPS.get(group):
            for para in members:
                weights[tag] += para.letters
                found[para.index] = (tag, para.script_share)
        else:
            yield from _judge_langdetect(members, min_chars, weights, found)

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
    para: Para, found: dict[int, tuple[str, float]], min_chars: int
) -> ParagraphLanguage:
    if para.size >= min_chars and para.index in found:
        tag, confidence = found[para.index]
        return ParagraphLanguage(para.index, tag, _code(tag), round(confidence, 3))
    return ParagraphLanguage(para.index, UND, UND, 0.0)


def _judge_han(
    members: list[Para], weights: Counter[str], found: dict[int, tuple[str, float]]
) -> None:
    """zh-Hans / zh-Hant per paragraph from its own characters, else from the page's."""
    trad = sum(p.trad for p in members)
    simp = sum(p.simp for p in members)
    page_variant = zh_variant(trad, simp) or "zh"
    page_ratio = max(trad, simp) / (trad + simp) if trad + simp else 1.0
    for para in members:
        own = zh_variant(para.trad, para.simp)
        if own is not None:
            tag, ratio = own, max(para.trad, para.simp) / (para.trad + para.simp)
        else:
            tag, ratio = page_variant, page_ratio
        weights[tag] += para.letters
        found[para.index] = (tag, para.script_share * ratio)


def _judge_langdetect(
    members: list[Para],
    min_chars: int,
    weights: Counter[str],
    found: dict[int, tuple[str, float]],
) -> Generator[_Asks, _Answers, None]:
    """One langdetect call on a sample of the script's text; per paragraph only if uncertain.

    The sample is cut in consecutive parts, one per trial, so a page whose paragraphs differ in
    language gets a split vote (hence per-paragraph calls) whatever the random draws.
    """
    texts = [p.text for p in members]
    (probs,) = yield [_langdetect.sample(texts, _SAMPLE_CHARS, _SAMPLE_PARTS)]
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
    results = yield [_langdetect.sample([para.text], _PARAGRAPH_CHARS) for para in long]
    for para, result in zip(long, results, strict=True):
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


def _from_langdetect(lang: str) -> str:
    return LANGDETECT_TAGS.get(lang, (UND, UND))[0]


def _code(tag: str) -> str:
    return _CODES.get(tag, UND)


def iso639_3(tag: str) -> str | None:
    """The ISO 639-3 code of a BCP 47 tag we give (``zh-Hant`` -> ``zho``, ``en`` ->
    ``eng``), or of a code itself (``zho``); None for anything else. Case is ignored."""
    wanted = tag.strip().lower()
    for known, code in _CODES.items():
        if wanted in (known.lower(), code):
            return code
    return None


def bcp47(code: str) -> str:
    """The shortest BCP 47 tag of an ISO 639-3 code (``zho`` -> ``zh``), or the code."""
    tags = [tag for tag, known in _CODES.items() if known == code]
    return min(tags, key=len) if tags else code
