"""Same outputs before and after a change (not a test): everything warcloom derives from
collections, written by one checkout's code and compared byte for byte with a baseline.

    python bench/same_outputs.py --code /tmp/base BASELINE INPUT...   # the baseline's code
    python bench/same_outputs.py BASELINE INPUT...                    # this checkout's: compare

INPUT: collections (or output directories holding one), directories or WARC files. Written
for them: exports in every format and with the main options (together, as one data set,
each with its summary), and per input the index (``warcloom index``) and, for a collection,
a WACZ. When BASELINE does not exist it is written; when it does, the outputs go to a new
directory, are compared with it file by file (exit 1 when any differs, the directory kept)
and removed.

What changes from run to run is dropped first: WARC-Record-ID, WARC-Date, WARC-Refers-To and
WARC-Warcinfo-ID of the WET files' records (the time of a document without a capture date,
the IDs of a run's own records) and their warcinfo records (software and time); a summary's
``seconds``; a WACZ is kept as a digest per member, without the ``created``/``modified`` dates
of its ``datapackage.json`` and so its ``datapackage-digest.json``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_HERE))
from archive.collection import Collection, CollectionNotFound  # noqa: E402

_VOLATILE_WARC = re.compile(
    rb"^(WARC-Record-ID|WARC-Date|WARC-Refers-To|WARC-Warcinfo-ID): .*$", re.M
)
# name -> export options (the file name's suffix tells the format)
EXPORTS = {
    "jsonl.jsonl": [],
    "parquet.parquet": [],
    "wet.warc.wet.gz": [],
    "txt/": ["--format", "txt"],
    "links-csv.jsonl": ["--links", "{out}/links.csv"],
    "links-parquet.parquet": ["--links", "{out}/links.parquet"],
    "all-captures.jsonl": ["--all-captures", "--links", "{out}/all-captures-links.csv"],
    "dedup-exact.jsonl": ["--dedup", "exact"],
    "dedup-near.jsonl": ["--dedup", "near"],
    "reextract.jsonl": ["--reextract", "--links", "{out}/reextract-links.csv"],
    "reextract-wet.warc.wet.gz": ["--reextract", "--dedup", "near"],
    "filtered.jsonl": ["--lang", "en", "--min-words", "20", "--status", "2xx", "--all-captures"],
    "one-worker.jsonl": ["--workers", "1", "--all-captures"],
}


def _run(code: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"warcloom {' '.join(args)}: exit {done.returncode}\n{done.stderr}")


def _normalise_wet(path: Path) -> None:
    data = _VOLATILE_WARC.sub(rb"\1: -", gzip.decompress(path.read_bytes()))
    # the warcinfo block names the software and the time: drop it whole
    data = re.sub(rb"WARC-Type: warcinfo.*?\r\n\r\n.*?\r\n\r\n", b"", data, count=1, flags=re.S)
    path.with_suffix(".norm").write_bytes(data)
    path.unlink()


def _normalise_wacz(path: Path) -> None:
    lines = []
    with zipfile.ZipFile(path) as wacz:
        for info in sorted(wacz.infolist(), key=lambda i: i.filename):
            if info.filename == "datapackage-digest.json":
                continue  # the digest of the dated datapackage.json
            data = wacz.read(info)
            if info.filename == "datapackage.json":
                package = json.loads(data)
                package.pop("created", None)
                package.pop("modified", None)
                data = json.dumps(package, sort_keys=True).encode()
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {info.filename}\n")
    path.with_suffix(".wacz-digests").write_text("".join(lines))
    path.unlink()


def _normalise_summary(path: Path) -> None:
    data = json.loads(path.read_text())
    data.pop("seconds")
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def write_outputs(code: Path, out: Path, inputs: list[str]) -> None:
    """Every output of ``inputs`` by the code in ``code``, normalised, into ``out``."""
    out.mkdir(parents=True)
    for name, options in EXPORTS.items():
        stem = name.split(".")[0].rstrip("/")
        args = [arg.format(out=out) for arg in options]
        summary = out / f"{stem}.summary.json"
        _run(code, "export", *inputs, "--progress", "off", "--summary-json", str(summary),
             "--out", str(out / name), *args)  # fmt: skip
        _normalise_summary(summary)
    for number, item in enumerate(inputs):
        try:
            coll: Collection | None = Collection.open(item)
        except CollectionNotFound:  # a directory or a file
            coll = None
        indexed = str(coll.archive_dir) if coll is not None else item
        _run(code, "index", indexed, "-o", str(out / f"index-{number}.cdxj"))
        if coll is not None:
            _run(code, "wacz", str(coll.root), "-o", str(out / f"input-{number}.wacz"))
            _normalise_wacz(out / f"input-{number}.wacz")
    for wet in out.glob("*.wet.gz"):
        _normalise_wet(wet)


def _differences(a: Path, b: Path) -> list[str]:
    """The files of ``a`` and ``b`` (relative names) that are not in both, byte for byte."""
    names = {p.relative_to(top) for top in (a, b) for p in top.rglob("*") if p.is_file()}
    return [
        str(name)
        for name in sorted(names)
        if not ((a / name).is_file() and (b / name).is_file())
        or (a / name).read_bytes() != (b / name).read_bytes()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--code", type=Path, default=_HERE, help="checkout whose code runs")
    args = parser.parse_args()
    inputs = [str(Path(i).resolve()) for i in args.inputs]
    if not args.baseline.exists():
        write_outputs(args.code.resolve(), args.baseline, inputs)
        count = sum(1 for p in args.baseline.rglob("*") if p.is_file())
        print(f"baseline written to {args.baseline}: {count} files")
        return 0
    out = Path(tempfile.mkdtemp(prefix="same-outputs-")) / "out"
    write_outputs(args.code.resolve(), out, inputs)
    found = _differences(args.baseline, out)
    if found:
        print("not the same: " + ", ".join(found), file=sys.stderr)
        print(f"DIFFERENT from {args.baseline}: see {out}", file=sys.stderr)
        return 1
    count = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"same outputs: {count} files identical to {args.baseline}")
    shutil.rmtree(out.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
