"""Benchmark of language detection (not a test): warcloom's detector against stock langdetect.

On the text trafilatura extracts from the demo collection's Latin-script pages (the pages that
reach langdetect), per call: stock langdetect (its ``Detector``, seeded factory) and
``archive.languages._langdetect.detect`` (the same profiles, n-grams and trials on numpy
arrays, the page-level sample in seven parts). Measured twice: in a tight loop (caches warm),
and each call right after a trafilatura extraction of another page (caches cold), as in a
crawl's or an export's worker, where the detection always follows trafilatura.

Usage: ``python bench/languages.py [--workdir /tmp/warcloom-bench] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from archive.collection import Collection

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export import _html_items, build_collection  # the sibling bench script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/warcloom-bench")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import trafilatura
    from langdetect.lang_detect_exception import LangDetectException

    from archive.languages import _langdetect
    from archive.languages._scripts import scan
    from archive.languages._tagging import _SAMPLE_CHARS, _SAMPLE_PARTS

    coll = build_collection(Path(args.workdir), None)  # the first file is all it reads
    first = Collection(coll).files()[0]
    pages = [item[:2] for item in _html_items(str(first))]
    samples = []
    for url, body in pages:
        doc = trafilatura.bare_extraction(body, url=url, with_metadata=True)
        paragraphs = [p for p in (doc.text or "").split("\n") if p.strip()] if doc else []
        if paragraphs and all(scan(0, p).group in ("LATIN", None) for p in paragraphs):
            samples.append(_langdetect.sample(paragraphs, _SAMPLE_CHARS, _SAMPLE_PARTS))
    factory = _langdetect.stock_factory()

    def stock(parts: list[str]) -> None:
        detector = factory.create()
        detector.append("\n".join(parts))
        with contextlib.suppress(LangDetectException):
            detector.get_probabilities()

    detectors = {"stock langdetect": stock, "warcloom detect": _langdetect.detect}
    for detect in detectors.values():  # load the profiles
        detect(samples[0])
    warm = dict.fromkeys(detectors, 0.0)
    cold = dict.fromkeys(detectors, 0.0)
    for _ in range(args.rounds):
        for name, detect in detectors.items():
            t = time.process_time()
            for sample in samples:
                detect(sample)
            warm[name] += time.process_time() - t
        for i, sample in enumerate(samples):
            names = list(detectors) if i % 2 else list(detectors)[::-1]
            for name in names:
                url, body = pages[(i + 1) % len(pages)]
                trafilatura.bare_extraction(body, url=url, with_metadata=True)
                t = time.process_time()
                detectors[name](sample)
                cold[name] += time.process_time() - t
    calls = args.rounds * len(samples)
    print(f"{len(samples)} Latin-script pages of {len(pages)}, {args.rounds} rounds, CPU time")
    for name in detectors:
        print(
            f"{name:18s} warm {warm[name] / calls * 1000:6.3f} ms/call   "
            f"after trafilatura {cold[name] / calls * 1000:6.3f} ms/call"
        )
    stock_name, ours = detectors
    print(
        f"speed-up: warm {warm[stock_name] / warm[ours]:.1f}x, "
        f"after trafilatura {cold[stock_name] / cold[ours]:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
