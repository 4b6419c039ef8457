"""Duplicate removal: exact (normalised text hash) and near (MinHash LSH, datasketch).

Fingerprints are computed where the text is made (in the worker processes); the exporting
process only looks them up, in output order, so the first document of a group is kept.

* ``exact``: BLAKE2b-128 of the text after Unicode NFKC, case folding and whitespace
  collapsing.
* ``near``: MinHash (128 permutations, datasketch's ``affine32`` scheme) of the set of
  character 5-grams of that normalised text (character shingles work for Chinese and
  Japanese, which have no spaces), indexed in a ``MinHashLSH`` at a Jaccard threshold of
  0.8 by default; an LSH candidate counts as a duplicate only if its estimated Jaccard
  similarity really is at or above the threshold.
"""

from __future__ import annotations

import zlib
from typing import Any, Literal

from archive.analysis import normalise, text_hash

__all__ = [
    "DedupMode",
    "Deduplicator",
    "fingerprint",
    "minhash_values",
    "normalise",
    "text_hash",
]

DedupMode = Literal["none", "exact", "near"]

NUM_PERM = 128
SHINGLE = 5
DEFAULT_THRESHOLD = 0.8
_SCHEME = "affine32"


def minhash_values(text: str) -> Any:
    """MinHash values (a numpy array) of the character 5-gram set of the normalised text."""
    from datasketch import MinHash

    norm = normalise(text)
    shingles = {norm[i : i + SHINGLE] for i in range(max(1, len(norm) - SHINGLE + 1))}
    mh = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, scheme=_SCHEME)
    mh.update_batch([s.encode("utf-8") for s in sorted(shingles)])
    return mh.hashvalues


def fingerprint(item: Any, mode: str) -> None:
    """Give a document (or a part) the fingerprints ``mode`` compares, where it has none:
    the text hash, and with ``near`` the MinHash values too."""
    if mode != "none" and not item.text_hash:
        item.text_hash = text_hash(item.text)
    if mode == "near" and item.minhash is None:
        item.minhash = minhash_values(item.text)


class Deduplicator:
    """Says whether a document repeats one seen before; keeps only fingerprints."""

    def __init__(self, mode: DedupMode, threshold: float = DEFAULT_THRESHOLD) -> None:
        if mode not in ("none", "exact", "near"):
            raise ValueError(f"unknown dedup mode {mode!r}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
        self.mode = mode
        self.threshold = threshold
        self._hashes: set[bytes] = set()
        self._lsh: Any = None
        self._values: dict[int, Any] = {}
        if mode == "near":
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)

    def is_duplicate(self, key: int, digest: bytes, values: Any) -> bool:
        """True if seen (the document is then not remembered); else remember it."""
        if self.mode == "none":
            return False
        if digest in self._hashes:
            return True
        if self.mode == "near":
            from datasketch import MinHash

            mh = MinHash(num_perm=NUM_PERM, hashvalues=values, scheme=_SCHEME)
            for other in self._lsh.query(mh):
                if self._jaccard(values, self._values[other]) >= self.threshold:
                    return True
            self._lsh.insert(key, mh, check_duplication=False)
            self._values[key] = values
        self._hashes.add(digest)
        return False

    @staticmethod
    def _jaccard(a: Any, b: Any) -> float:
        return float((a == b).sum()) / len(a)
