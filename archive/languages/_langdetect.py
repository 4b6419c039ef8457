"""langdetect's profiles, features and estimator, run on numpy arrays by a faster ``Detector``.

The profiles are read lazily, once per process, straight into arrays (langdetect's factory
builds a dict of lists, three times slower to load), in sorted order and with a seed of our
own, so results never depend on a global seed set (or not set) by someone else, and importing
this module changes nothing. :class:`FastDetector` is several times faster than the stock
detector.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

__all__ = ["FastDetector", "Model", "detect", "detect_many", "sample", "stock_factory"]

_STRATUM = "\ue000"  # ends a part of the text (a private-use character: a space to langdetect)
_BLOCK_CHECKS = 10  # convergence checks per block of draws (51 or 50 draws per trial)


def detect(text: str | Sequence[str], *, seed: int = 0) -> list[tuple[str, float]]:
    """langdetect probabilities, most first; empty when it cannot tell.

    Given several parts, langdetect's trials are spread over them: trial ``k`` draws its
    n-grams from part ``k`` mod the number of parts, so parts in different languages split
    the vote instead of a few random trials deciding whether the minority shows at all.
    """
    return detect_many([text], seed=seed)[0]


def detect_many(
    texts: Sequence[str | Sequence[str]], *, seed: int = 0
) -> list[list[tuple[str, float]]]:
    """:func:`detect` of each text, the trials of all of them run side by side.

    Each text draws from its own generator, reset to ``seed``, so its answer is exactly the
    one it gets alone; only numpy's per-call overhead is shared.
    """
    detectors = []
    for text in texts:
        parts = [text] if isinstance(text, str) else text
        detector = FastDetector(_model(seed))
        # one append: langdetect's URL, e-mail and space clean-ups cannot reach across a
        # separator
        detector.append(_STRATUM.join(part.replace(_STRATUM, " ") for part in parts))
        detectors.append(detector)
    _estimate(detectors)
    return [  # (no langprob: no features)
        [] if d.langprob is None else [(lang.lang, lang.prob) for lang in d.get_probabilities()]
        for d in detectors
    ]


def sample(texts: list[str], budget: int, parts: int = 1) -> list[str]:
    """``texts`` cut to about ``budget`` characters in ``parts`` parts of consecutive texts.

    Past the budget each text keeps a prefix in proportion to its length (whole words; none
    when the prefix is only whitespace). The parts are about equal in length, never split a
    text and never more than the texts.
    """
    total = sum(len(t) for t in texts)
    kept = []
    for text in texts:
        keep = budget * len(text) // total + 1 if total > budget else len(text)
        if keep < len(text):
            text = text[:keep]
            if " " in text:  # end on a whole word
                text = text.rsplit(None, 1)[0] if text.strip() else ""
        kept.append(text)
    size = sum(len(t) for t in kept) / max(parts, 1)
    groups: list[list[str]] = [[]]
    length = 0
    for text in kept:
        if groups[-1] and length >= size * len(groups):
            groups.append([])
        groups[-1].append(text)
        length += len(text)
    return ["\n".join(group) for group in groups]


@dataclass(frozen=True)
class Model:
    """What ``Detector`` takes from langdetect's factory: its languages and its seed."""

    langlist: list[str]
    seed: int | None = 0
    word_lang_prob_map: dict[str, list[float]] = field(default_factory=dict)  # unused here


@functools.cache
def _model(seed: int) -> Model:
    return Model(list(_profile()[0]), seed)


def stock_factory() -> DetectorFactory:
    """langdetect's own factory over the same profiles, in the same order, seed 0: what
    :class:`FastDetector` is compared with (tests, ``bench/languages.py``)."""
    profiles = [Path(path).read_text(encoding="utf-8") for path in _profile_paths()]
    factory = DetectorFactory()
    factory.load_json_profile(profiles)
    factory.set_seed(0)
    return factory


def _profile_paths() -> list[str]:
    """langdetect's profile files, in the (sorted) order both detectors use."""
    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    return [os.path.join(PROFILES_DIRECTORY, name) for name in names]


@functools.cache
def _profile() -> tuple[tuple[str, ...], Any, Any]:
    """langdetect's profiles: languages; every n-gram as an integer code, sorted; its
    probability per language (langdetect's: count / number of n-grams of its length).

    A code holds one character per 21 bits (code point + 1, so lengths never collide). The
    probabilities are stored as float32 (half the memory to gather) and multiplied in float64.
    """
    import numpy as np

    languages, codes, columns, probabilities = [], [], [], []
    for column, path in enumerate(_profile_paths()):
        with open(path, encoding="utf-8") as fh:
            profile = json.load(fh)
        languages.append(profile["name"])
        grams = [gram for gram in profile["freq"] if 1 <= len(gram) <= 3]
        counts = np.array([profile["freq"][gram] for gram in grams], dtype=np.float64)
        points = np.array(grams, dtype="<U3").view(np.uint32).reshape(-1, 3).astype(np.uint64)
        code = np.zeros(len(grams), dtype=np.uint64)
        for j in range(3):
            present = points[:, j] != 0
            code[present] = code[present] << 21 | points[present, j] + 1
        lengths = (points != 0).sum(axis=1)
        codes.append(code)
        columns.append(np.full(len(grams), column))
        per_length = np.asarray(profile["n_words"], dtype=np.float64)
        probabilities.append(counts / per_length[lengths - 1])
    unique, rows = np.unique(np.concatenate(codes), return_inverse=True)
    vectors = np.zeros((len(unique), len(languages)), dtype=np.float32)
    vectors[rows, np.concatenate(columns)] = np.concatenate(probabilities)
    return tuple(languages), unique, vectors


def _gram(code: int) -> str:
    chars = []
    while code:
        chars.append(chr((code & 0x1FFFFF) - 1))
        code >>= 21
    return "".join(reversed(chars))


def _generators(seed: int | None, count: int) -> list[Any]:
    """``count`` separate numpy generators, each reset to ``seed``'s start (fresh entropy for
    None); reused from call to call."""
    import numpy as np

    if seed is None:
        return [np.random.default_rng() for _ in range(count)]
    pool, state = _seeded(seed)
    while len(pool) < count:
        pool.append(np.random.default_rng(seed))
    for generator in pool[:count]:
        generator.bit_generator.state = state
    return pool[:count]


@functools.cache
def _seeded(seed: int) -> tuple[list[Any], dict[str, Any]]:
    import numpy as np

    generator = np.random.default_rng(seed)
    return [generator], generator.bit_generator.state


class _PointTable:
    """A function of a character, as an array over code points, filled on first use of each
    (the arrays too: importing this module imports no numpy)."""

    def __init__(self, convert: Any, dtype: str) -> None:
        self.convert = convert
        self.dtype = dtype
        self.values: Any = None
        self.filled: Any = None

    def __call__(self, points: Any) -> Any:
        import numpy as np

        if self.values is None:
            self.values = np.zeros(0x110000, dtype=self.dtype)  # untouched pages cost nothing
            self.filled = np.zeros(0x110000, dtype=bool)
        missing = points[~self.filled[points]]
        if missing.size:
            for point in np.unique(missing).tolist():
                self.values[point] = self.convert(chr(point))
            self.filled[missing] = True
        return self.values[points]


_NORMALISE = _PointTable(lambda ch: ord(NGram.normalize(ch)), "uint32")
_UPPER = _PointTable(str.isupper, "bool")


class FastDetector(Detector):
    """langdetect's ``Detector``: its features and its estimator, run on numpy arrays.

    The n-grams are langdetect's own (the same multiset, taken from the whole text by slicing
    instead of a per-character buffer). The estimator is langdetect's: seven trials, each
    multiplying the language probabilities by the profile vectors of randomly drawn n-grams
    plus a jittered smoothing weight, normalised and checked for convergence after the 1st,
    6th, 11th... draw. The trials run side by side and draw from numpy's generator seeded with
    the factory's seed, so the result is what langdetect gives with another seed:
    ``tests/test_languages.py`` checks both against the stock class.
    """

    def __init__(self, factory: Any) -> None:
        super().__init__(factory)
        self.langlist = list(_profile()[0])  # the columns of the profile arrays

    _SPACES = re.compile(" {2,}")
    _AZ = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z' (the six ASCII signs between too)
    _DMARK = re.compile(f"[{NGram.DMARK_CLASS}]")

    def append(self, text: str) -> None:
        # langdetect's clean-ups, each skipped where it cannot match
        if "http" in text:
            text = self.URL_RE.sub(" ", text)
        if "@" in text:
            text = self.MAIL_RE.sub(" ", text)
        if not text.isascii() and self._DMARK.search(text):
            text = NGram.normalize_vi(text)
        # the stock loop keeps a space only after a non-space (the first character always)
        self.text += self._SPACES.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        import numpy as np

        if self.text.isascii():  # nothing from U+0300 up: nothing to clean
            return
        points = _points(self.text)
        latin = np.count_nonzero((points >= ord("A")) & (points <= ord("z")))
        # langdetect compares a block number with a block name here, so every character from
        # U+0300 up counts as non-Latin: counted the same way
        non_latin = np.count_nonzero(points >= 0x300)
        if latin * 2 < non_latin:
            self.text = self._AZ.sub("", self.text)

    def _features(self) -> _Features:
        return _Features(self.text)

    def _extract_ngrams(self) -> list[str]:
        return [_gram(code) for code in self._features().codes().tolist()]

    def _detect_block(self) -> None:
        _estimate([self])
        if self.langprob is None:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")


def _estimate(detectors: Sequence[FastDetector]) -> None:
    """langdetect's estimator, every detector's trials side by side; sets each ``langprob``
    (None for a text without features).

    Each detector draws from its own generator, reset to the (shared) seed, so its result
    does not depend on the others. langdetect checks after its first draw, then after every
    5th: the first block has one draw more; at most 51 draws between normalisations, so none
    underflows.
    """
    import numpy as np

    found = []
    for detector in detectors:
        detector.cleaning_text()
        features = detector._features()
        if features.sizes.size:
            found.append((detector, features))
        else:
            detector.langprob = None
    if not found:
        return
    seed = found[0][0].seed
    runs = [(d, f, rng) for (d, f), rng in zip(found, _generators(seed, len(found)), strict=True)]
    first = runs[0][0]
    n_trial, limit, threshold = first.n_trial, first.ITERATION_LIMIT, first.CONV_THRESHOLD
    vectors = _profile()[2]
    alphas = np.concatenate([rng.standard_normal(n_trial) for _, _, rng in runs])
    weights = (first.alpha + alphas * first.ALPHA_WIDTH) / first.BASE_FREQ
    weights = weights[:, None, None]
    prob = np.concatenate(
        [
            np.tile(np.asarray(d._init_probability(), dtype=np.float64), (n_trial, 1))
            for d, *_ in runs
        ]
    )
    final = np.empty_like(prob)
    active = np.arange(len(prob))  # run r's trial k is row r * n_trial + k
    counter = None  # langdetect's loop counter at the last check
    while active.size:
        lead = int(counter is None)
        count = lead + 5 * _BLOCK_CHECKS
        rows = []
        for group in np.split(active, np.flatnonzero(np.diff(active // n_trial)) + 1):
            _, features, rng = runs[group[0] // n_trial]
            rows.append(features.draw(group % n_trial, count, rng))
        # gathered as float32, widened while adding (a float64 copy of the gather costs more)
        factors = np.add(
            np.take(vectors, np.concatenate(rows), axis=0), weights[active], dtype=np.float64
        )
        head = prob[active] * factors[:, 0] if lead else prob[active]
        body = factors[:, lead:].reshape(active.size, _BLOCK_CHECKS, 5, -1)
        fives = body[:, :, 0] * body[:, :, 1] * body[:, :, 2]
        fives *= body[:, :, 3] * body[:, :, 4]
        fives[:, 0] *= head
        checked = np.multiply.accumulate(fives, axis=1)
        if lead:
            checked = np.concatenate((head[:, None], checked), axis=1)
            counters = 5 * np.arange(_BLOCK_CHECKS + 1)
        else:
            counters = counter + 5 * np.arange(1, _BLOCK_CHECKS + 1)
        checked /= checked.sum(axis=2, keepdims=True)
        converged = (checked.max(axis=2) > threshold) | (counters >= limit)
        stop = converged.any(axis=1)
        final[active[stop]] = checked[stop, converged.argmax(axis=1)[stop]]
        prob[active] = checked[:, -1]
        active = active[~stop]
        counter = counters[-1]
    for r, (detector, _, _) in enumerate(runs):
        detector.langprob = final[r * n_trial : (r + 1) * n_trial].mean(axis=0).tolist()


def _points(text: str) -> Any:
    """The code points of ``text`` (lone surrogates too), as a uint32 array."""
    import numpy as np

    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


class _Features:
    """langdetect's n-grams of a text, as rows of the profile, grouped by part of the text.

    langdetect's buffer starts with a space and restarts at each word, so on the text with a
    space in front it takes every character, pair and triple, but none ending on the second
    (or later) letter of a run of capitals; the spaces, double spaces and triples with a space
    in the middle that this adds are in no profile, so the lookup drops them. The order is
    langdetect's; the part of an n-gram is the part its last character is in.
    """

    def __init__(self, text: str) -> None:
        import numpy as np

        _, codes, _ = _profile()
        original = _points(" " + text)
        points = _NORMALISE(original).astype(np.uint64) + 1
        upper = _UPPER(original)
        grams = np.zeros((len(points), 3), dtype=np.uint64)  # per character: 1-, 2-, 3-gram
        grams[:, 0] = points
        grams[1:, 1] = points[:-1] << 21 | points[1:]
        grams[2:, 2] = points[:-2] << 42 | grams[2:, 1]
        grams[1:][upper[1:] & upper[:-1]] = 0  # inside a run of capitals
        grams = grams.ravel()
        where = np.searchsorted(codes, grams)
        where[where == len(codes)] = 0
        found = codes[where] == grams
        self._grams, self._found = grams, found
        self.rows = where[found]
        separators = original == ord(_STRATUM)
        parts = np.repeat(np.cumsum(separators) - separators, 3)[found]
        sizes = np.bincount(parts) if parts.size else np.zeros(0, dtype=np.intp)
        self.starts = (np.cumsum(sizes) - sizes)[sizes > 0]
        self.sizes = sizes[sizes > 0]

    def codes(self) -> Any:
        """The n-grams' codes (see :func:`_profile`)."""
        return self._grams[self._found]

    def draw(self, trials: Any, count: int, rng: Any) -> Any:
        """Profile rows of ``count`` n-grams for each of ``trials``, drawn uniformly, with
        replacement, from a part's n-grams: trial ``k`` draws from part ``k`` mod the number
        of parts that have any. An array (trials, count)."""
        import numpy as np

        part = (trials % len(self.sizes))[:, None]
        picks = self.starts[part] + (rng.random((len(trials), count)) * self.sizes[part]).astype(
            np.intp
        )
        return self.rows[picks]
