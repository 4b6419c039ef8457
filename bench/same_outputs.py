"""Digests of everything warcloom derives from a collection, to show a change leaves them alone.

    python bench/same_outputs.py COLLECTION WORKDIR > digests.txt   # before the change
    python bench/same_outputs.py COLLECTION WORKDIR2 | diff digests.txt -   # after

Writes the index (``warcloom index``), exports in every format (also with ``--links``,
``--all-captures``, ``--dedup near``) and a WACZ, then prints one ``sha256  name`` line per
output. Fields that are new on every run are dropped first: WARC-Record-ID and WARC-Date of
the WET file's records (and its warcinfo), the WACZ's ``created`` date (and so its
``datapackage-digest.json``) and the zip's times.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from archive.collection import Collection

_VOLATILE_WARC = re.compile(
    rb"^(WARC-Record-ID|WARC-Date|WARC-Refers-To|WARC-Warcinfo-ID): .*$", re.M
)


def _run(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], check=True, stdout=subprocess.DEVNULL
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wet_digest(path: Path) -> str:
    data = gzip.decompress(path.read_bytes())
    data = _VOLATILE_WARC.sub(rb"\1: -", data)
    # the warcinfo block names the software and the time: drop it whole
    data = re.sub(rb"WARC-Type: warcinfo.*?\r\n\r\n.*?\r\n\r\n", b"", data, count=1, flags=re.S)
    return _sha(data)


def _wacz_digest(path: Path) -> str:
    digest = hashlib.sha256()
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
            digest.update(info.filename.encode() + b"\0" + _sha(data).encode())
    return digest.hexdigest()


def main(collection: str, workdir: str) -> None:
    coll, out = Path(collection), Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    _run("index", str(Collection(coll).archive_dir), "-o", str(out / "index.cdxj"))
    runs = {
        "jsonl": ["--format", "jsonl"],
        "parquet": ["--format", "parquet"],
        "wet": ["--format", "wet"],
        "all.jsonl": ["--format", "jsonl", "--all-captures", "--links", str(out / "links.csv")],
        "near.jsonl": ["--format", "jsonl", "--dedup", "near"],
        "reextract.jsonl": ["--format", "jsonl", "--reextract"],
    }
    for name, args in runs.items():
        _run("export", str(coll), *args, "--out", str(out / f"export.{name}"))
    _run("wacz", str(coll), "-o", str(out / "c.wacz"))
    for path in sorted(out.iterdir()):
        if path.name == "export.wet":
            print(_wet_digest(path), path.name)
        elif path.suffix == ".wacz":
            print(_wacz_digest(path), path.name)
        else:
            print(_sha(path.read_bytes()), path.name)


if __name__ == "__main__":
    main(*sys.argv[1:3])
