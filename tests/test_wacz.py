"""WACZ packaging: layout, hashes, pages, and py-wacz's own validator (when installed).

py-wacz pulls in frictionless and some 30 other packages, so it is not a dependency of
warcloom: the validation tests run when ``WARCLOOM_WACZ_BIN`` names its ``wacz`` command
(for instance from a separate virtualenv) or ``wacz`` is on the PATH, and skip otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from warc_fixtures import (
    Capture,
    WarcBuilder,
    html_page,
    lang,
    make_collection,
    sample_captures,
    warc_name,
    write_warc,
)

from archive.collection import Collection
from archive.index import IndexEntry
from archive.reader import read_record_at
from archive.wacz import PAGES_HEADER, WACZ_VERSION, collection_pages, write_wacz
from crawler.cli import main

WACZ_BIN = os.environ.get("WARCLOOM_WACZ_BIN") or shutil.which("wacz")
needs_py_wacz = pytest.mark.skipif(
    WACZ_BIN is None, reason="py-wacz not installed (set WARCLOOM_WACZ_BIN)"
)

REEXTRACTED = Capture(
    "http://example.com/later",
    html_page("Later"),
    date="2024-05-02T08:00:00Z",
    title="First title",
    languages=[lang("zh-Hant", "zho", 0.3), lang("en", "eng", 0.7)],
    text="Original text.",
)


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wacz")
    coll = make_collection(root, "news")
    write_warc(coll / "archive" / warc_name(0), sample_captures())
    (coll / "archive" / "sub").mkdir()
    with WarcBuilder(coll / "archive" / "sub" / warc_name(1)) as b:
        b.warcinfo()
        b.capture(REEXTRACTED)
        # a later re-extraction: the newest metadata/conversion wins
        b.extraction(REEXTRACTED, date="2024-06-01T00:00:00Z", title="Better title")
    Collection.open(coll).rebuild_index()
    return coll


@pytest.fixture(scope="module")
def wacz(collection: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "news.wacz"
    result = write_wacz(
        Collection.open(collection), out, title="News", description="A *test* collection."
    )
    assert result.path == out and result.files == 2 and result.pages == 4
    return out


def read_json(zf: zipfile.ZipFile, name: str):
    return json.loads(zf.read(name))


def test_layout_and_compression(wacz: Path) -> None:
    with zipfile.ZipFile(wacz) as zf:
        infos = {info.filename: info for info in zf.infolist()}
    names = set(infos)
    assert {
        f"archive/{warc_name(0)}",
        f"archive/{warc_name(1)}",  # flattened from archive/sub/
        "indexes/index.cdxj",
        "pages/pages.jsonl",
        "datapackage.json",
        "datapackage-digest.json",
    } == names
    for name, info in infos.items():
        if name.startswith(("archive/", "indexes/")):
            assert info.compress_type == zipfile.ZIP_STORED, name


def test_datapackage_lists_every_file_with_its_hash_and_size(wacz: Path) -> None:
    with zipfile.ZipFile(wacz) as zf:
        package = read_json(zf, "datapackage.json")
        assert package["profile"] == "data-package"
        assert package["wacz_version"] == WACZ_VERSION == "1.1.1"
        assert package["title"] == "News"
        assert package["description"] == "A *test* collection."
        assert package["software"].startswith("warcloom ")
        assert package["created"].endswith("Z")
        paths = {r["path"] for r in package["resources"]}
        assert paths == set(zf.namelist()) - {"datapackage.json", "datapackage-digest.json"}
        for resource in package["resources"]:
            data = zf.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
            assert resource["name"] == Path(resource["path"]).name.lower()
        digest = read_json(zf, "datapackage-digest.json")
        manifest = zf.read("datapackage.json")
        assert digest == {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(manifest).hexdigest(),
        }


def test_pages_have_titles_text_and_languages(wacz: Path) -> None:
    with zipfile.ZipFile(wacz) as zf:
        lines = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
    assert json.loads(lines[0]) == PAGES_HEADER
    pages = {p["url"]: p for p in map(json.loads, lines[1:])}
    assert set(pages) == {
        "http://example.com/",
        "https://news.example.org/2024/hangzhou?id=7",
        "http://example.com/chunked",
        REEXTRACTED.url,
    }  # the stylesheet was not analysed: not a page
    hangzhou = pages["https://news.example.org/2024/hangzhou?id=7"]
    assert hangzhou["ts"] == "2024-05-01T10:00:05Z"
    assert hangzhou["title"] == "Hangzhou's Ali flavor"
    assert hangzhou["text"] == "About Hangzhou. 杭州"
    assert hangzhou["languages"] == ["eng", "zho"]
    assert hangzhou["languageTags"] == ["en", "zh-Hans"]
    later = pages[REEXTRACTED.url]
    assert later["title"] == "Better title"
    assert later["languages"] == ["eng", "zho"]  # most text first
    assert later["id"] == REEXTRACTED.ids["response"].strip("<>").removeprefix("urn:uuid:")


def test_index_points_into_the_packaged_files(wacz: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wacz) as zf:
        zf.extractall(tmp_path)
        lines = zf.read("indexes/index.cdxj").decode("utf-8").splitlines()
    assert lines == sorted(lines)
    entries = [IndexEntry.from_line(line) for line in lines]
    assert {e.url for e in entries} >= {"http://example.com/style.css", REEXTRACTED.url}
    for entry in entries:
        with read_record_at(tmp_path / "archive" / entry.filename, entry.offset, entry.length) as r:
            assert r.header("WARC-Target-URI") == entry.url


def test_collection_pages_reads_plain_warcs(tmp_path: Path) -> None:
    path = tmp_path / "plain.warc"
    write_warc(path, sample_captures()[:1], gzip=False)
    (page,) = collection_pages([path])
    assert (page.url, page.title, page.text) == ("http://example.com/", "Example home", "Welcome.")


def test_cli_writes_a_wacz_from_an_output_directory(
    collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.wacz"
    assert main(["wacz", str(collection.parent.parent), "-o", str(out)]) == 0
    assert "4 pages" in capsys.readouterr().out
    with zipfile.ZipFile(out) as zf:
        assert read_json(zf, "datapackage.json")["title"] == "news"
    assert main(["wacz", str(tmp_path / "missing"), "-o", str(out)]) == 2  # a bad argument
    assert "not a collection" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp"))


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    assert WACZ_BIN is not None
    return subprocess.run(
        [WACZ_BIN, "validate", "-f", str(path)], capture_output=True, text=True, timeout=60
    )


@needs_py_wacz
def test_py_wacz_validates_it(wacz: Path) -> None:
    result = validate(wacz)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


@needs_py_wacz
def test_py_wacz_rejects_a_tampered_copy(wacz: Path, tmp_path: Path) -> None:
    """Control: the validator does check the hashes."""
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b"Welcome.", b"Welcome!")
            dst.writestr(info, data)
    result = validate(tampered)
    assert result.returncode != 0
    assert "invalid" in result.stdout and "hash" in result.stdout
