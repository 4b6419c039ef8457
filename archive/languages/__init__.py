"""Page language tags: script first, langdetect only for what the script cannot tell.

The public names live in :mod:`archive.languages._tagging` (the tags and how a page is
tagged). It uses two private modules: :mod:`archive.languages._scripts`, the character-range
scan that classifies a paragraph by script (and zh-Hans vs zh-Hant; also how its words are
counted: :func:`word_count`), and
:mod:`archive.languages._langdetect`, langdetect's profiles and estimator on numpy arrays.
"""

from __future__ import annotations

from ._scripts import word_count
from ._tagging import (
    LANGDETECT_TAGS,
    SCRIPT_TAGS,
    UNDETERMINED,
    LanguageShare,
    LanguageTags,
    ParagraphLanguage,
    bcp47,
    iso639_3,
    tag_languages,
    tag_languages_many,
)

__all__ = [
    "LANGDETECT_TAGS",
    "SCRIPT_TAGS",
    "UNDETERMINED",
    "LanguageShare",
    "LanguageTags",
    "ParagraphLanguage",
    "bcp47",
    "iso639_3",
    "tag_languages",
    "tag_languages_many",
    "word_count",
]
