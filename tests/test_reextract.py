"""``warcloom reextract``: new metadata + conversion records, the index points to them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from crawl_helpers import demo_collection
from warcio.archiveiterator import ArchiveIterator

from archive.collection import Collection
from archive.export import DocumentStream, ExportOptions, export, resolve_inputs
from archive.extraction import ExtractionOptions
from archive.index import lookup
from archive.records import parse_warc_fields
from archive.reextract import reextract, reextract_prefix
from crawler.cli import main


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_collection(tmp_path_factory.mktemp("crawl"))


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "collections" / "default"
    shutil.copytree(crawled, copy)
    return copy


def _records(path: Path) -> list[tuple[str, dict, bytes]]:
    with open(path, "rb") as fh:
        return [
            (r.rec_type, dict(r.rec_headers.headers), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]


def test_reextract_appends_records_referring_to_responses(coll: Path, capsys) -> None:
    before = Collection.open(coll).files()
    assert main(["reextract", str(coll), "--workers", "2", "--progress", "off", "--fast"]) == 0
    assert "62 metadata + 62 conversion" in capsys.readouterr().out
    after = Collection.open(coll).files()
    new = [p for p in after if p not in before]
    assert len(new) == 1 and new[0].name.startswith("warcloom-reextract-")
    assert sorted(after)[-1] == new[0]  # sorts last: wins ties in the index

    responses = {h["WARC-Record-ID"]: h for t, h, _ in _records(before[0]) if t == "response"}
    records = _records(new[0])
    assert records[0][0] == "warcinfo"
    metas = [(h, parse_warc_fields(b)) for t, h, b in records if t == "metadata"]
    assert len(metas) == 62
    for headers, fields in metas:
        response = responses[headers["WARC-Refers-To"]]
        assert headers["WARC-Date"] == response["WARC-Date"]
        assert fields["extractor"]["options"]["fast"] is True
        assert fields["extracted-at"].endswith("Z")
        assert fields["languages"] and "links" in fields
    convs = [h for t, h, _ in records if t == "conversion"]
    assert all(h["WARC-Refers-To"] in responses for h in convs)


def test_index_and_export_use_the_newest_records(coll: Path) -> None:
    reextract(Collection.open(coll), workers=1, options=ExtractionOptions(include_tables=False))
    new = Collection.open(coll).files()[-1].name
    files = resolve_inputs([coll])
    with DocumentStream(files, mode="archive", options=ExtractionOptions(), workers=1) as stream:
        docs = list(stream)
    assert len(docs) == 62
    task_of_new = len(files) - 1
    assert all(d.meta_rank[1] == task_of_new and d.conv_rank[1] == task_of_new for d in docs)
    assert all(d.metadata["extractor"]["options"]["include_tables"] is False for d in docs)
    # the index line of each response now carries what the new metadata says
    index = coll / "indexes" / "index.cdxj"
    entry = lookup(index, docs[0].url)[0]
    assert entry.fields["languages"] and entry.filename != new
    out = coll.parent.parent / "after.jsonl"
    summary = export([coll], str(out), ExportOptions(workers=1))
    assert summary.exported == 62


def test_since_limits_what_is_analysed(coll: Path) -> None:
    summary = reextract(Collection.open(coll), since=_far_future(), workers=1)
    assert summary.analysed == 0 and summary.files == []


def test_prefix_sorts_after_existing_names(tmp_path: Path) -> None:
    assert reextract_prefix([]) == "warcloom-reextract"
    assert reextract_prefix([tmp_path / "warcloom-2024.warc.gz"]) == "warcloom-reextract"
    name = reextract_prefix([tmp_path / "zeit-2024-00001.warc.gz"])
    assert name > "zeit-2024-00001.warc.gz"


def test_not_a_collection(tmp_path: Path, capsys) -> None:
    assert main(["reextract", str(tmp_path)]) == 2
    assert "not a collection" in capsys.readouterr().err


def _far_future():
    from datetime import UTC, datetime

    return datetime(2999, 1, 1, tzinfo=UTC)


def test_summary_json_shape(coll: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    out = tmp_path / "o.jsonl"
    assert main(["export", str(coll), "--out", str(out), "--summary-json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert set(data["filtered"]) >= {"lang", "since", "min-words"}
    assert data["errors"] == [] and data["exported"] == 62
