"""Peak memory of analysing one big page: ``archive.extraction.analyse_html`` in a fresh process.

    /work/venv/bin/python bench/analyse_memory.py [--sizes 1,2,5,10,20,40] [--links 100000]
        [--baseline-src DIR]

Generates news-style pages of each size in MiB (article blocks of English and Chinese text,
inline links, a related-reading list and a sidebar, ~4 KB a block, repeated) and one page
with ``--links`` links in a list, writes them to a temporary directory, then analyses each
in a new process (``PYTHONPATH`` set to the checkout measured) and prints its peak RSS
(``resource.getrusage``: ``ru_maxrss``), the RSS after the imports and a warm-up page,
seconds, what the analysis recorded as truncated and how many links it kept.
``--baseline-src`` (a checkout of the base commit) adds its figures, run the same way, and
the ratios. Figures vary by ~10% between runs: compare only figures from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
WORDS = (
    "textile exporters in Zhejiang reported steady orders for cotton yarn and polyester fabric "
    "while dyeing mills upgraded wastewater plants and e-commerce platforms helped small "
    "garment makers reach buyers in Southeast Asia Latin America and Europe"
).split()
CHINESE = ["纺织", "服装", "出口", "订单", "面料", "相关", "市场", "企业", "電商", "產業"]

_CHILD = """
import json, resource, sys, time
from archive.extraction import analyse_html
analyse_html(b"<html><body><p>warm up</p></body></html>", "http://localhost/")
ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
body = open(sys.argv[1], "rb").read()
start = time.perf_counter()
analysis = analyse_html(body, "https://news.example.com/big.html", content_type="text/html")
seconds = time.perf_counter() - start
fields = analysis.metadata_fields()
print(json.dumps({
    "seconds": seconds,
    "ready_kb": ready,
    "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "links": len(analysis.links),
    "words": analysis.word_count,
    "truncated": fields.get("analysis-truncated"),
    "errors": analysis.errors,
}))
"""


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), "".join(rng.choices(CHINESE, k=4)))
    return " ".join(words).capitalize() + "."


def _block(rng: random.Random, n: int) -> str:
    paragraphs = []
    for p in range(6):
        text = " ".join(_sentence(rng) for _ in range(3))
        link = f'<a href="/{2020 + p}/story-{n}-{p}.html">{rng.choice(WORDS)} story</a>'
        paragraphs.append(f"<p>{text} {link}</p>")
    related = "".join(
        f'<li><a href="/related/{n}-{i}.html">{_sentence(rng)[:40]}</a></li>' for i in range(6)
    )
    side = "".join(
        f'<li><a href="/tag/{rng.choice(WORDS)}">{rng.choice(WORDS)}</a></li>' for _ in range(4)
    )
    return (
        f'<div class="article" id="a{n}"><h2>{_sentence(rng)[:60]}</h2>{"".join(paragraphs)}'
        f'<div class="related"><h3>Related</h3><ul>{related}</ul></div>'
        f'<aside class="sidebar"><ul>{side}</ul></aside></div>\n'
    )


def news_page(size: int, seed: int = 1) -> bytes:
    """A news-style page of about ``size`` bytes (UTF-8)."""
    rng = random.Random(seed)
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Textile exports: a long page</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/business/">Business</a>'
        "</nav><main>"
    )
    parts, total, n = [head], len(head), 0
    while total < size:
        block = _block(rng, n)
        parts.append(block)
        total += len(block.encode("utf-8"))
        n += 1
    parts.append("</main><footer><a href='/about'>About</a></footer></body></html>")
    return "".join(parts).encode("utf-8")


def links_page(count: int) -> bytes:
    """A page with an article and ``count`` links in a list."""
    items = "".join(f'<li><a href="/archive/item-{i}.html">Item {i}</a></li>' for i in range(count))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>All items</title></head><body>'
        "<article><h1>All items</h1><p>"
        + " ".join(WORDS * 4)
        + f"</p></article><ul class='index'>{items}</ul></body></html>"
    ).encode("utf-8")


def measure(src: Path, page: Path) -> dict:
    """Analyse ``page`` in a new process. Linux keeps a process's peak RSS across exec
    (``ru_maxrss`` starts at its parent's RSS), so this process must stay small: it never
    builds the pages itself."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(page)],
        env=env,
        cwd=tempfile.gettempdir(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,2,5,10,20,40", help="page sizes in MiB")
    parser.add_argument("--links", type=int, default=100_000, help="links of the link page")
    parser.add_argument("--baseline-src", type=Path, help="checkout of the base commit")
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        for mib in (float(s) for s in args.sizes.split(",")):
            Path(args.generate, f"news-{mib:g}.html").write_bytes(news_page(int(mib * MIB)))
        Path(args.generate, "links.html").write_bytes(links_page(args.links))
        return
    sources = {"current": ROOT}
    if args.baseline_src:
        sources = {"baseline": args.baseline_src.resolve(), **sources}
    with tempfile.TemporaryDirectory(prefix="analyse-memory-") as tmp:
        # in a child: this process stays small (see measure)
        cmd = [sys.executable, __file__, "--sizes", args.sizes, "--links", str(args.links)]
        subprocess.run([*cmd, "--generate", tmp], check=True)
        pages: dict[str, Path] = {}
        for mib in (float(s) for s in args.sizes.split(",")):
            pages[f"news {mib:g} MiB"] = Path(tmp, f"news-{mib:g}.html")
        path = Path(tmp, "links.html")
        pages[f"{args.links:,} links ({path.stat().st_size / MIB:.1f} MiB)"] = path

        print(f"{'page':<28} {'code':<9} {'s':>6} {'ready MB':>9} {'peak MB':>8} {'links':>7}  cut")
        peaks: dict[tuple[str, str], float] = {}
        for name, page in pages.items():
            for label, src in sources.items():
                got = measure(src, page)
                peak = got["peak_kb"] / 1024
                peaks[name, label] = peak
                cut = json.dumps(got["truncated"]) if got["truncated"] else "-"
                print(
                    f"{name:<28} {label:<9} {got['seconds']:>6.2f} {got['ready_kb'] / 1024:>9.0f}"
                    f" {peak:>8.0f} {got['links']:>7}  {cut}",
                    flush=True,
                )
            if len(sources) == 2:
                ratio = peaks[name, "current"] / peaks[name, "baseline"]
                print(f"{'':<28} {'ratio':<9} {'':>6} {'':>9} {ratio:>8.2f}")


if __name__ == "__main__":
    main()
