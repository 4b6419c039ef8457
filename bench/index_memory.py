"""Peak memory of indexing: ``rebuild_index``, ``update_index`` and ``index_files`` by crawl size.

    /work/venv/bin/python bench/index_memory.py [--pages 10000,100000] [--baseline-src DIR]
        [--modes rebuild,update,index_files] [--keep DIR]

Generates synthetic WARC files (no crawl): per page a response (a small HTML body), a
metadata record (warcloom's fields: title, charset, languages, 20 links...) and a
conversion record, 10,000 pages a file, written with warcio. For each size N there are two
sets of N pages: ``a/`` and ``b/``. Then, each in a fresh process with ``PYTHONPATH`` set
to the checkout measured, it measures:

  rebuild      ``rebuild_index`` of ``a/`` (what ``warcloom index``-ing a collection does)
  update       ``update_index`` of an index holding ``a/`` with the files of ``b/`` (what
               closing a crawl does: the new files are the crawl's)
  index_files  ``index_files`` of ``a/``, which returns every line in a list (what
               ``warcloom index`` and ``wacz`` call)

and prints seconds and peak RSS (``resource.getrusage``: ``ru_maxrss``), the RSS after the
imports, and whether the index written is the same file as the baseline's. With
``--baseline-src`` (a checkout of the base commit) it runs that too and prints ratios; the
last lines say how the current code's peak grows from the smallest to the largest size.
Figures vary by ~10% between runs: compare only figures from one run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for --generate

PAGES_PER_FILE = 10_000
WORDS = (
    "textile exporters reported steady orders for cotton yarn and polyester fabric while "
    "dyeing mills upgraded wastewater plants and small garment makers reached new buyers"
).split()

_CHILD = """
import hashlib, json, resource, sys, time
from pathlib import Path
from archive.index import archive_files, index_files, rebuild_index, update_index, url_key
url_key("http://example.com/")  # surt imported
mode, archive, index = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if mode == "rebuild":
    lines = rebuild_index(index, archive / "a")
elif mode == "update":
    lines = update_index(index, archive, archive_files(archive / "b")).lines_added
else:
    found = index_files(archive_files(archive / "a"), root=archive / "a")
    lines = len(found)
    index.write_bytes(b"".join(line.encode() + b"\\n" for line in found))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "ready_kb": ready, "peak_kb": peak, "lines": lines}))
"""


def generate(directory: Path, pages: int, start: int, seed: int) -> None:
    """``pages`` pages (response + metadata + conversion) in files of PAGES_PER_FILE."""
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for first in range(start, start + pages, PAGES_PER_FILE):
        with open(directory / f"bench-{first // PAGES_PER_FILE:05d}.warc.gz", "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for i in range(first, min(first + PAGES_PER_FILE, start + pages)):
                for record in _page_records(writer, rng, i):
                    writer.write_record(record)


def _url(i: int) -> str:
    return f"https://news{i % 97}.example{i % 7}.com/{2010 + i % 15}/section-{i % 20}/{i}.html"


def _page_records(writer: Any, rng: random.Random, i: int) -> list[Any]:
    """A response and its analysis (as warcloom writes it) for page ``i``."""
    from warcio.statusandheaders import StatusAndHeaders

    from archive.analysis import build_analysis_records

    date = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=i)
    title = " ".join(rng.choices(WORDS, k=6)).capitalize()
    paragraphs = [" ".join(rng.choices(WORDS, k=40)) for _ in range(4)]
    body = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1><p>{'</p><p>'.join(paragraphs)}</p>"
        "</article></body></html>"
    ).encode()
    http = StatusAndHeaders(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        protocol="HTTP/1.1",
    )
    response = writer.create_warc_record(
        _url(i),
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    regions = ("related", "body", "navigation", "other")
    links = [
        {"url": _url(rng.randrange(10**6)), "region": rng.choice(regions), "text": title}
        for _ in range(20)
    ]
    fields = {
        "title": title,
        "author": None,
        "date": "2024-05-01",
        "sitename": f"News {i % 97}",
        "canonical": _url(i),
        "charset": "utf-8",
        "charset-declared": None,
        "declared-languages": {"html": "en", "meta": None, "content-language": None},
        "languages": [
            {"tag": "en", "code": "eng", "share": 0.97},
            {"tag": "fr", "code": "fra", "share": 0.03},
        ],
        "paragraph-languages": [{"tag": "en", "share": 1.0}] * len(paragraphs),
        "links": links,
    }
    rid = response.rec_headers.get_header("WARC-Record-ID")
    text = "\n".join(paragraphs)
    return [response, *build_analysis_records(_url(i), rid, date, fields, title, text)]


def prepare(work: Path, pages: int) -> None:
    """The two sets of ``pages`` pages under ``work/pages/`` and the index of the first."""
    from archive.index import archive_files, iter_index, write_index

    archive = work / str(pages)
    shutil.rmtree(archive, ignore_errors=True)
    generate(archive / "a", pages, 0, seed=pages)
    generate(archive / "b", pages, pages, seed=pages + 1)
    write_index(iter_index(archive_files(archive / "a"), root=archive), work / f"{pages}.a.cdxj")


def measure(src: Path, mode: str, archive: Path, index: Path) -> dict:
    """Run ``mode`` in a new process. Linux keeps a process's peak RSS across exec
    (``ru_maxrss`` starts at its parent's RSS), so this process must stay small: it never
    builds pages or imports archive code itself."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(archive), str(index)],
        env=env,
        cwd=tempfile.gettempdir(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", default="10000,100000", help="crawl sizes, comma-separated")
    parser.add_argument("--modes", default="rebuild,update,index_files")
    parser.add_argument("--baseline-src", type=Path, help="checkout of the base commit")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument("--generate", nargs=2, metavar=("PAGES", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        prepare(Path(args.generate[1]), int(args.generate[0]))
        return
    sizes = [int(n) for n in args.pages.split(",")]
    modes = args.modes.split(",")
    sources = {"current": ROOT}
    if args.baseline_src:
        sources = {"baseline": args.baseline_src.resolve(), **sources}

    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="index-memory-")
    work = args.keep or Path(tmp.name)
    peaks: dict[tuple[int, str, str], float] = {}
    head = ("pages", "mode", "code", "s", "ready MB", "peak MB", "lines")
    print("{:>7} {:<12} {:<9} {:>7} {:>9} {:>8} {:>8}  same".format(*head))
    try:
        for pages in sizes:
            archive = work / str(pages)
            base_index = work / f"{pages}.a.cdxj"
            if not base_index.exists():  # in a child: this process stays small (see below)
                cmd = [sys.executable, __file__, "--generate", str(pages), str(work)]
                subprocess.run(cmd, check=True)
            for mode in modes:
                digests = {}
                for label, src in sources.items():
                    index = work / f"{pages}.{mode}.{label}.cdxj"
                    index.unlink(missing_ok=True)
                    if mode == "update":
                        shutil.copyfile(base_index, index)
                    got = measure(src, mode, archive, index)
                    digests[label] = _sha(index)
                    peak = peaks[pages, mode, label] = got["peak_kb"] / 1024
                    same = (
                        ""
                        if len(digests) == 1
                        else ("yes" if len(set(digests.values())) == 1 else "NO")
                    )
                    print(
                        f"{pages:>7} {mode:<12} {label:<9} {got['seconds']:>7.1f}"
                        f" {got['ready_kb'] / 1024:>9.0f} {peak:>8.0f} {got['lines']:>8}  {same}",
                        flush=True,
                    )
                    index.unlink()
                    index.with_name(index.name + ".lock").unlink(missing_ok=True)
                if len(sources) == 2:
                    ratio = peaks[pages, mode, "current"] / peaks[pages, mode, "baseline"]
                    print(f"{'':>7} {'':<12} {'ratio':<9} {'':>7} {'':>9} {ratio:>8.2f}")
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            for mode in modes:
                for label in sources:
                    growth = peaks[large, mode, label] / peaks[small, mode, label]
                    print(f"peak at {large:,} / at {small:,} pages, {mode}, {label}: {growth:.2f}")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
