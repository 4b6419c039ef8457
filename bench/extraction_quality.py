"""Extraction quality and CPU per page on real pages: trafilatura's default mode against ``fast``.

    python bench/extraction_quality.py CORPUS [--split dev] [--types article] [--limit N]

Runs warcloom's page analysis (``archive.extraction.analyse_pages``, what a crawl's workers
run: parse, typed links, trafilatura, language tags) on every page of a corpus of real
pages with hand-checked main text, once with ``ExtractionOptions(fast=False)`` and once
with ``fast=True`` (trafilatura without its jusText/readability fallbacks), and prints
token-level precision, recall and F1 against the gold text, and the CPU time of one
page's analysis, for each mode. The two modes run page by page in turn, in alternating
order, so the machine's drift weighs on both alike.

Tokens: words (``\\w+``, lower-cased), each CJK character a token; a page's precision
and recall count the tokens shared with the gold text as multisets (as scrapinghub's
article-extraction-benchmark does). F1 is given as the mean of the pages' F1 (macro) and
from the summed counts (micro); the per-page F1 difference between the modes gets a
bootstrap 95% interval.

Corpora (not in this repository; several hundred MB in all):

* WCXB, the Web Content eXtraction Benchmark (CC-BY-4.0, 2,008 pages of 1,613 sites
  collected in 2025, human-reviewed gold text, 7 page types)::

      git clone --depth 1 https://github.com/Murrough-Foley/web-content-extraction-benchmark wcxb
      python bench/extraction_quality.py wcxb --split dev --types article

  ``CORPUS/metadata.json``, ``CORPUS/<split>/html/<id>.html.gz`` and
  ``CORPUS/<split>/ground-truth/<id>.json`` (``ground_truth.main_content``).
* Mozilla Readability's test pages (Apache-2.0, 130 pages; the gold text is the text of
  Readability's reviewed ``expected.html``)::

      git clone --depth 1 https://github.com/mozilla/readability
      python bench/extraction_quality.py readability/test/test-pages

Not to be used here: scrapinghub's article-extraction-benchmark and trafilatura's own
test pages, kept aside to check the result independently.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.extraction import ExtractionOptions, HtmlPage, analyse_pages

_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+", re.UNICODE
)


def tokens(text: str) -> Counter[str]:
    """Words lower-cased, each CJK (or kana, hangul) character a token of its own."""
    return Counter(_TOKEN.findall(text.lower()))


@dataclass(frozen=True)
class GoldPage:
    name: str
    url: str
    html: bytes
    gold: str


def _wcxb(corpus: Path, split: str, types: set[str] | None) -> Iterator[GoldPage]:
    files = json.loads((corpus / "metadata.json").read_text())["files"]
    for name, meta in sorted(files.items()):
        if meta["split"] != split or (types and meta["page_type"] not in types):
            continue
        truth = json.loads((corpus / split / "ground-truth" / f"{name}.json").read_text())
        gold = truth["ground_truth"].get("main_content")
        if not gold:  # two pages of the dev split have none
            continue
        html = gzip.decompress((corpus / split / "html" / f"{name}.html.gz").read_bytes())
        yield GoldPage(name, truth["url"], html, gold)


def _readability(corpus: Path) -> Iterator[GoldPage]:
    from lxml import html as lxml_html

    for page in sorted(p for p in corpus.iterdir() if (p / "expected.html").exists()):
        expected = lxml_html.fromstring((page / "expected.html").read_bytes())
        gold = expected.text_content()
        url = "http://fakehost/test/page.html"  # what the test pages were saved under
        yield GoldPage(page.name, url, (page / "source.html").read_bytes(), gold)


def read_corpus(corpus: Path, split: str, types: set[str] | None) -> Iterator[GoldPage]:
    if (corpus / "metadata.json").exists():
        return _wcxb(corpus, split, types)
    return _readability(corpus)


@dataclass
class Scores:
    """A mode's counts: per page F1, precision, recall; summed token counts; CPU seconds."""

    f1: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    shared: int = 0
    extracted: int = 0
    gold: int = 0
    cpu: list[float] = field(default_factory=list)
    empty: int = 0

    def add(self, text: str, gold: Counter[str], cpu: float) -> float:
        got = tokens(text)
        shared = sum((got & gold).values())
        n_got, n_gold = sum(got.values()), sum(gold.values())
        precision = shared / n_got if n_got else 0.0
        recall = shared / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if shared else 0.0
        self.f1.append(f1)
        self.precision.append(precision)
        self.recall.append(recall)
        self.shared += shared
        self.extracted += n_got
        self.gold += n_gold
        self.cpu.append(cpu)
        self.empty += not text.strip()
        return f1

    def line(self, label: str) -> str:
        micro_p = self.shared / self.extracted if self.extracted else 0.0
        micro_r = self.shared / self.gold if self.gold else 0.0
        micro_f1 = 2 * micro_p * micro_r / (micro_p + micro_r) if self.shared else 0.0
        return (
            f"{label:8s} F1 {statistics.mean(self.f1):.3f}  P {statistics.mean(self.precision):.3f}"
            f"  R {statistics.mean(self.recall):.3f}  micro F1 {micro_f1:.3f}"
            f"  empty {self.empty:3d}  CPU/page mean {1000 * statistics.mean(self.cpu):6.1f} ms"
            f"  median {1000 * statistics.median(self.cpu):6.1f} ms"
        )


def _analyse(page: GoldPage, fast: bool) -> tuple[str, float]:
    options = ExtractionOptions(fast=fast)
    started = time.process_time()
    analysis = analyse_pages([HtmlPage(page.html, page.url, "text/html")], options)[0]
    return analysis.text, time.process_time() - started


def _bootstrap(differences: list[float], rounds: int = 2000) -> tuple[float, float]:
    rng = random.Random(0)
    n = len(differences)
    means = sorted(sum(rng.choices(differences, k=n)) / n for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--split", default="dev", help="WCXB split (dev; test is held out)")
    parser.add_argument("--types", default="", help="WCXB page types, comma-separated")
    parser.add_argument("--limit", type=int, default=0, help="pages at most (0: all)")
    args = parser.parse_args(argv)
    types = {t for t in args.types.split(",") if t} or None
    _analyse(GoldPage("warm-up", "http://localhost/", b"<p>warm up</p>", ""), False)
    modes = {"default": Scores(), "fast": Scores()}
    differences = []
    pages = 0
    for page in read_corpus(args.corpus, args.split, types):
        gold = tokens(page.gold)
        order = ("default", "fast") if pages % 2 == 0 else ("fast", "default")
        f1 = {}
        for mode in order:
            text, cpu = _analyse(page, fast=mode == "fast")
            f1[mode] = modes[mode].add(text, gold, cpu)
        differences.append(f1["fast"] - f1["default"])
        pages += 1
        if pages % 100 == 0:
            print(f"{pages} pages", file=sys.stderr, flush=True)
        if args.limit and pages >= args.limit:
            break
    print(f"{pages} pages of {args.corpus}" + (f" ({args.split}, {args.types})" if types else ""))
    for mode, scores in modes.items():
        print(scores.line(mode))
    low, high = _bootstrap(differences)
    better = sum(d > 0.001 for d in differences)
    worse = sum(d < -0.001 for d in differences)
    cpu_ratio = sum(modes["fast"].cpu) / sum(modes["default"].cpu)
    print(
        f"fast - default: F1 {statistics.mean(differences):+.4f} (95% CI {low:+.4f} {high:+.4f}),"
        f" better on {better} pages, worse on {worse}; CPU fast/default {cpu_ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
