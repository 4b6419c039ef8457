"""Export of clean text: formats, fast path vs re-extraction, filters, dedup, bad input."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from crawl_helpers import demo_collection
from warc_fixtures import Capture, corrupted_copy, lang, member_offsets, write_warc
from warcio.archiveiterator import ArchiveIterator

from archive.collection import Collection
from archive.export import (
    Deduplicator,
    Document,
    DocumentStream,
    ExportOptions,
    Filters,
    export,
    parse_time_bound,
    resolve_inputs,
)
from archive.extraction import ExtractionOptions
from archive.reader import read_record_at
from crawler.cli import main


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample site crawled once: ``.../collections/default``."""
    return demo_collection(tmp_path_factory.mktemp("demo"))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _article(title: str, sentences: int = 12, extra: str = "") -> bytes:
    para = " ".join(
        f"{title} sentence number {i} tells the reader about textile markets in spring."
        for i in range(sentences)
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1><p>{para}</p><p>{extra}</p></article>"
        "</body></html>"
    ).encode()


# -- the crawled sample site ----------------------------------------------------------------


def test_jsonl_fast_path_fields_and_record_locations(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = export([demo], str(out), ExportOptions(workers=1))
    rows = _jsonl(out)
    assert summary.exported == len(rows) == 62
    assert summary.extracted == 0  # everything came from the conversion/metadata records
    assert summary.errors == []
    tags = {t for r in rows for t in r["languages"]}
    assert {"en", "zh-Hans", "zh-Hant"} <= tags
    row = rows[0]
    assert list(row) == [
        "url", "timestamp", "status", "mime", "title", "author", "published", "sitename",
        "languages", "language_shares", "text", "word_count", "content_digest",
        "warc_filename", "warc_offset", "warc_length", "extractor", "extractor_version",
        "related_links", "change", "previous_timestamp",
    ]  # fmt: skip
    assert row["timestamp"].endswith("Z") and row["status"] == 200
    assert row["extractor"] == "trafilatura" and row["extractor_version"]
    assert row["word_count"] == len(row["text"].split())
    assert any(r["related_links"] for r in rows)
    for r in rows[:5]:
        ref = read_record_at(demo / "archive" / r["warc_filename"], r["warc_offset"])
        with ref:
            assert ref.rec_type == "response"
            assert ref.header("WARC-Target-URI") == r["url"]
            assert ref.header("WARC-Payload-Digest") == r["content_digest"]
            assert ref.length == r["warc_length"]


def test_fast_path_equals_reextraction(demo: Path, tmp_path: Path) -> None:
    fast, slow = tmp_path / "fast.jsonl", tmp_path / "slow.jsonl"
    export([demo], str(fast), ExportOptions(workers=1))
    summary = export([demo], str(slow), ExportOptions(workers=2, reextract=True))
    assert summary.extracted >= 62
    a = {r["url"]: r for r in _jsonl(fast)}
    b = {r["url"]: r for r in _jsonl(slow)}
    assert a.keys() == b.keys()
    for url, row in a.items():
        for key in ("text", "title", "languages", "language_shares", "author", "published"):
            assert row[key] == b[url][key], (url, key)


def test_parquet_columns_are_typed(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    export([demo], str(out), ExportOptions(format="parquet", workers=1))
    table = pq.read_table(out)
    schema = table.schema
    assert table.num_rows == 62
    assert schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert schema.field("published").type == pa.date32()
    assert schema.field("languages").type == pa.list_(pa.string())
    assert schema.field("language_shares").type == pa.list_(pa.float64())
    assert pa.types.is_list(schema.field("related_links").type)
    assert schema.field("warc_offset").type == pa.int64()
    first = table.slice(0, 1).to_pylist()[0]
    assert isinstance(first["timestamp"], datetime)


def test_cli_language_filter_and_summary(demo: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "zh.jsonl"
    summary_path = tmp_path / "summary.json"
    code = main(
        [
            "export", str(demo), "--out", str(out), "--lang", "zh", "--lang-mode", "primary",
            "--workers", "1", "--summary-json", str(summary_path), "--progress", "off",
        ]
    )  # fmt: skip
    assert code == 0
    rows = _jsonl(out)
    assert rows and all(r["languages"][0].startswith("zh-") for r in rows)
    summary = json.loads(summary_path.read_text())
    assert summary["filtered"]["lang"] == 62 - len(rows)
    assert summary["exported"] == len(rows)
    assert "filtered:" in capsys.readouterr().err


def test_stdout_jsonl_and_txt(demo: Path, capsys) -> None:
    assert main(["export", str(demo), "--out", "-", "--workers", "1", "--min-words", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 62 and json.loads(lines[0])["text"]
    assert main(["export", str(demo), "--out", "-", "--format", "txt", "--workers", "1"]) == 0
    assert capsys.readouterr().out.count("==> http") == 62


def test_txt_tree_wet_and_links(demo: Path, tmp_path: Path) -> None:
    txt = tmp_path / "txt"
    export([demo], str(txt), ExportOptions(format="txt", workers=1))
    files = sorted(txt.rglob("*.txt"))
    assert len(files) == 62
    assert all(f.relative_to(txt).parts[0].startswith("127.0.0.1") for f in files)

    wet = tmp_path / "out.warc.wet.gz"
    links_csv = tmp_path / "links.csv"
    export([demo], str(wet), ExportOptions(format="wet", workers=1, links_path=str(links_csv)))
    with open(wet, "rb") as fh:
        records = [
            (r.rec_type, dict(r.rec_headers.headers), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]
    assert records[0][0] == "warcinfo"
    conversions = [r for r in records if r[0] == "conversion"]
    assert len(conversions) == 62
    headers = conversions[0][1]
    assert headers["WARC-Refers-To"].startswith("<urn:uuid:")
    assert headers["WARC-Identified-Content-Language"]
    assert "WARC-Block-Digest" in headers
    assert len(member_offsets(wet)) == 63  # one gzip member per record

    with open(links_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"source", "source_timestamp", "target", "region", "anchor_text"}
    assert {"related", "navigation", "body"} <= {r["region"] for r in rows}

    links_pq = tmp_path / "links.parquet"
    export([demo], str(tmp_path / "x.jsonl"), ExportOptions(workers=1, links_path=str(links_pq)))
    assert pq.read_table(links_pq).num_rows == len(rows)


def test_ranges_give_the_same_output_as_whole_files(demo: Path, tmp_path: Path) -> None:
    whole, ranged = tmp_path / "whole.jsonl", tmp_path / "ranged.jsonl"
    export([demo], str(whole), ExportOptions(workers=1))
    summary = export([demo], str(ranged), ExportOptions(workers=2, range_size=60_000))
    assert summary.tasks > 3
    assert ranged.read_bytes() == whole.read_bytes()


def test_unwritable_output_fails_before_any_work(demo: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "out.jsonl"
    assert main(["export", str(demo), "--out", str(missing)]) == 2
    assert "No such file" in capsys.readouterr().err
    assert main(["export", str(demo), "--out", "-", "--format", "parquet"]) == 2
    assert "stdout" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.tmp"))


# -- small archives built here ----------------------------------------------------------------


def _caps() -> list[Capture]:
    base = " ".join(
        f"Cotton prices rose {i} points in Zhejiang as mill number {i * 7} restocked."
        for i in range(12)
    )
    return [
        Capture(
            "http://a.example/one",
            date="2024-05-01T10:00:00Z",
            title="One",
            languages=[lang("en", "eng", 1.0)],
            text=base,
        ),
        Capture(  # the same text: an exact duplicate
            "http://b.example/copy",
            date="2024-05-02T10:00:00Z",
            title="Copy",
            languages=[lang("en", "eng", 1.0)],
            text=base.upper(),
        ),
        Capture(  # one sentence more: a near duplicate
            "http://b.example/near",
            date="2024-05-03T10:00:00Z",
            title="Near",
            languages=[lang("en", "eng", 1.0)],
            text=base + " Traders expect calm.",
        ),
        Capture(
            "http://c.example/zh",
            date="2024-06-01T10:00:00Z",
            title="杭州",
            languages=[lang("zh-Hant", "zho", 0.7), lang("en", "eng", 0.3)],
            text="杭州的紡織業在春天很忙。" * 20,
        ),
        Capture(  # a second, later capture of the first URL
            "http://a.example/one",
            date="2024-07-01T10:00:00Z",
            title="One again",
            languages=[lang("en", "eng", 1.0)],
            text="A completely different later text about silk scarves in Suzhou. " * 4,
        ),
    ]


def test_dedup_latest_and_all_captures(tmp_path: Path) -> None:
    warc = tmp_path / "small.warc.gz"
    write_warc(warc, _caps())
    out = tmp_path / "out.jsonl"
    s = export([warc], str(out), ExportOptions(workers=1))
    assert [r["title"] for r in _jsonl(out)] == ["Copy", "Near", "杭州", "One again"]
    assert s.superseded == 1
    s = export([warc], str(out), ExportOptions(workers=1, latest_only=False, dedup="exact"))
    assert [r["title"] for r in _jsonl(out)] == ["One", "Near", "杭州", "One again"]
    assert s.duplicates == 1
    s = export([warc], str(out), ExportOptions(workers=1, latest_only=False, dedup="near"))
    assert [r["title"] for r in _jsonl(out)] == ["One", "杭州", "One again"]
    assert s.duplicates == 2


def test_filters_by_rule(tmp_path: Path) -> None:
    warc = tmp_path / "small.warc.gz"
    write_warc(warc, _caps())
    out = tmp_path / "out.jsonl"

    def titles(**kw) -> list[str]:
        opts = ExportOptions(workers=1, latest_only=False, filters=Filters.build(**kw))
        export([warc], str(out), opts)
        return [r["title"] for r in _jsonl(out)]

    assert titles(languages=["zh"]) == ["杭州"]
    assert titles(languages=["zh-Hans"]) == []
    assert titles(languages=["en"], lang_mode="primary") == ["One", "Copy", "Near", "One again"]
    assert titles(languages=["zh", "en"], lang_mode="all") == ["杭州"]
    assert titles(since="2024-05-02", until="2024-06") == ["Copy", "Near", "杭州"]
    assert titles(domains=["b.example"]) == ["Copy", "Near"]
    assert titles(url_regex=r"/(zh|near)$") == ["Near", "杭州"]
    # Chinese counts by character (issue 11: it was one "word", so --min-words dropped it)
    assert titles(min_words=60) == ["One", "Copy", "Near", "杭州"]
    assert "杭州" not in titles(min_words=221)  # 220 characters
    assert titles(statuses=["4xx"]) == []
    assert titles(mimes=["text/*"]) == ["One", "Copy", "Near", "杭州", "One again"]


def test_filter_rules_unit() -> None:
    doc = Document(
        url="https://News.Example.org:8443/a?b=1",
        timestamp=datetime(2024, 5, 1, tzinfo=UTC),
        status=200,
        mime="text/html",
        content_digest=None,
        warc_filename="f",
        warc_offset=0,
        warc_length=1,
        response_id="<x>",
        languages=["zh-Hans", "en"],
        text="one two three",
    )
    assert doc.host == "news.example.org"
    assert Filters.build(domains=["example.org"]).rejects(doc) is None
    assert Filters.build(domains=["ample.org"]).rejects(doc) == "domain"
    assert Filters.build(statuses=["2xx"]).rejects(doc) is None
    assert Filters.build(statuses=["301,404"]).rejects(doc) == "status"
    assert Filters.build(languages=["en"], lang_mode="primary").rejects(doc) == "lang"
    assert Filters.build(min_words=4).rejects(doc) == "min-words"
    assert parse_time_bound("2024-05", end=True).day == 31
    with pytest.raises(ValueError):
        Filters.build(url_regex="(")
    with pytest.raises(ValueError):
        Filters.build(since="2025", until="2024")


def test_near_dedup_handles_chinese_text() -> None:
    from archive.export._dedup import minhash_values, text_hash

    a = "杭州的紡織業在春天很忙，工廠加班趕製訂單。" * 10
    b = a + "記者報道。"
    c = "蘇州的絲綢圍巾作坊重新開業，老師傅帶徒弟。" * 10
    dedup = Deduplicator("near", 0.8)
    assert not dedup.is_duplicate(1, text_hash(a), minhash_values(a))
    assert dedup.is_duplicate(2, text_hash(b), minhash_values(b))
    assert not dedup.is_duplicate(3, text_hash(c), minhash_values(c))


def test_foreign_warc_without_conversion_records_is_extracted(tmp_path: Path) -> None:
    caps = [
        Capture("http://x.example/a", _article("Alpha story"), date="2024-05-01T10:00:00Z"),
        Capture(
            "http://x.example/b",
            _article("Beta story"),
            date="2024-05-01T10:01:00Z",
            content_encoding="gzip",
        ),
        Capture("http://x.example/c", _article("Gamma story"), chunked=True),
        Capture("http://x.example/s.css", b"body{}", content_type="text/css"),
        Capture("http://x.example/gone", _article("Gone"), status="404 Not Found"),
    ]
    warc = tmp_path / "wget.warc"
    write_warc(warc, caps, gzip=False, version="1.0", extraction=False)
    out = tmp_path / "out.jsonl"
    summary = export([tmp_path], str(out), ExportOptions(workers=1))
    rows = _jsonl(out)
    assert [r["title"] for r in rows] == ["Alpha story", "Beta story", "Gamma story"]
    assert summary.extracted == 3
    assert all(r["languages"] == ["en"] and r["word_count"] > 50 for r in rows)


def test_a_page_whose_analysis_fails_costs_only_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug on one page of a batch: the others keep their text, the page is reported."""
    import archive.extraction

    real = archive.extraction.analyse_pages

    def failing(pages, options=None):
        if any("boom" in page.url for page in pages):
            raise RuntimeError("analysis bug")
        return real(pages, options)

    monkeypatch.setattr(archive.extraction, "analyse_pages", failing)
    names = ["alpha", "beta", "boom", "delta"]
    caps = [Capture(f"http://x.example/{n}", _article(f"{n.title()} story")) for n in names]
    warc = tmp_path / "wget.warc"
    write_warc(warc, caps, gzip=False, version="1.0", extraction=False)
    out = tmp_path / "out.jsonl"
    summary = export([tmp_path], str(out), ExportOptions(workers=1))
    assert [r["title"] for r in _jsonl(out)] == ["Alpha story", "Beta story", "Delta story"]
    assert summary.extracted == 3
    (error,) = summary.errors
    assert error.path == str(warc) and "analysis bug" in error.message
    with warc.open("rb") as fh:
        fh.seek(error.offset)
        assert b"http://x.example/boom" in fh.read(2000)


def test_corrupt_record_is_skipped_and_reported(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.warc.gz"
    write_warc(good, _caps())
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    # damage the first conversion record (index 4: warcinfo, req, resp, meta, conversion)
    bad, offset = corrupted_copy(good, bad_dir / "bad.warc.gz", 4)
    out = tmp_path / "out.jsonl"
    code = main(
        ["export", str(bad), "--out", str(out), "--all-captures", "--summary-json",
         str(tmp_path / "s.json"), "--workers", "1"]
    )  # fmt: skip
    assert code == 1
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["errors"] and summary["errors"][0]["offset"] == offset
    assert summary["errors"][0]["file"] == str(bad)
    assert [r["title"] for r in _jsonl(out)] == ["Copy", "Near", "杭州", "One again"]
    assert f"offset {offset}" in capsys.readouterr().err


def test_truncated_file_keeps_what_is_whole(tmp_path: Path) -> None:
    good = tmp_path / "good.warc.gz"
    write_warc(good, _caps())
    data = good.read_bytes()
    cut = tmp_path / "cut" / "cut.warc.gz"
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) - 40])
    out = tmp_path / "out.jsonl"
    summary = export([cut], str(out), ExportOptions(workers=1, latest_only=False))
    assert summary.errors
    assert [r["title"] for r in _jsonl(out)][:3] == ["One", "Copy", "Near"]


def test_inputs_mix_collections_dirs_and_files(demo: Path, tmp_path: Path) -> None:
    files = resolve_inputs([demo, demo / "archive", *sorted((demo / "archive").iterdir())])
    assert len(files) == 1  # the same file once
    assert files[0].index_path is not None
    with pytest.raises(FileNotFoundError):
        resolve_inputs([tmp_path / "missing"])


def test_gzip_wet_reads_with_plain_gzip(demo: Path, tmp_path: Path) -> None:
    wet = tmp_path / "x.wet.gz"
    export([demo], str(wet), ExportOptions(format="wet", workers=1))
    assert gzip.decompress(wet.read_bytes()).startswith(b"WARC/1.1")


def test_document_stream_joins_records_from_other_files(tmp_path: Path) -> None:
    """A conversion record in a later file (a re-extraction) replaces the older one."""
    from warc_fixtures import WarcBuilder

    caps = _caps()[:1]
    first = tmp_path / "a.warc.gz"
    write_warc(first, caps)
    with WarcBuilder(tmp_path / "b.warc.gz") as b:
        b.warcinfo()
        caps[0].text = "Newer text from a second extraction."
        b.extraction(caps[0], title="Newer")
    files = resolve_inputs([first, tmp_path / "b.warc.gz"])
    stream = DocumentStream(files, mode="archive", options=ExtractionOptions(), workers=1)
    with stream:
        docs = list(stream)
    assert [(d.title, d.text) for d in docs] == [("Newer", "Newer text from a second extraction.")]


def test_related_links_partial_parse_matches_a_full_parse() -> None:
    """parse_metadata(links="related") decodes only the related links, with the result of
    a full parse filtered; an unexpected layout falls back to the full parse."""
    import json

    from archive.export._fill import parse_metadata
    from archive.records import parse_warc_fields, warc_fields

    links = [
        {"url": "http://e.org/1", "region": "navigation", "text": 'say "region": "related"'},
        {"url": "http://e.org/2", "region": "related", "text": 'Two {"url": x}'},
        {"url": "http://e.org/3", "region": "body", "text": "三"},
        {"url": "http://e.org/4", "region": "related", "text": "Four \\"},
    ]
    block = warc_fields({"title": "T", "links": links, "status": 200})
    full = parse_warc_fields(block)
    related = [x for x in full["links"] if x["region"] == "related"]
    assert parse_metadata(block, "related") == {**full, "links": related}
    assert parse_metadata(block, "all") == full
    assert parse_metadata(block, "none")["links"] == []
    compact = b"links: " + json.dumps(links, separators=(",", ":")).encode() + b"\r\n"
    assert parse_metadata(compact, "related")["links"] == related


def _big_collection(root: Path) -> Path:
    """A collection (with its index) of pages large enough for bodies to be stepped over."""
    import random

    from warc_fixtures import html_page, make_collection, warc_name

    rng = random.Random(3)
    caps = _caps()
    for i, cap in enumerate(caps):
        noise = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(6000 + i))
        cap.body = html_page(cap.title or "page", noise)
    coll = make_collection(root)
    write_warc(coll / "archive" / warc_name(0), caps[:3])
    write_warc(coll / "archive" / warc_name(1), caps[3:])
    Collection.open(coll).rebuild_index()
    return coll


def test_collection_bodies_are_stepped_over_with_the_same_output(tmp_path: Path) -> None:
    coll = _big_collection(tmp_path)
    files = resolve_inputs([coll])
    with DocumentStream(files, mode="archive", options=ExtractionOptions(), workers=1) as s:
        # the first response of a file comes before any metadata record: read in full
        assert [r.blocks_skipped for r in s.results] == [2, 1]
        assert all(r.index_mismatch is None for r in s.results)
    plain = tmp_path / "files"
    plain.mkdir()
    for f in files:  # the same files, outside a collection: no index, every block read
        (plain / f.path.name).write_bytes(f.path.read_bytes())
    for opts in (
        ExportOptions(workers=1),
        ExportOptions(workers=2, latest_only=False, dedup="near"),
        ExportOptions(workers=1, filters=Filters.build(languages=["zh"])),
    ):
        out, ref = tmp_path / "coll.jsonl", tmp_path / "files.jsonl"
        summary = export([coll], str(out), opts)
        expected = export([plain], str(ref), opts)
        rows, want = _jsonl(out), _jsonl(ref)
        for row in want:
            row["warc_filename"] = row["warc_filename"].rsplit("/", 1)[-1]
        assert rows == want and rows
        assert summary.to_json()["filtered"] == expected.to_json()["filtered"]
        assert summary.superseded == expected.superseded
        assert summary.duplicates == expected.duplicates


def test_index_that_does_not_fit_is_noted_and_the_file_read_in_full(tmp_path: Path) -> None:
    coll = _big_collection(tmp_path)
    good = tmp_path / "good.jsonl"
    export([coll], str(good), ExportOptions(workers=1, latest_only=False))
    index = coll / "indexes" / "index.cdxj"
    lines = index.read_text(encoding="utf-8").splitlines()
    # the length of the second response of the first file is off by some bytes
    target = sorted(
        (json.loads(line.split(" ", 2)[2]) for line in lines),
        key=lambda d: (d["filename"], int(d["offset"])),
    )[1]
    edited = [
        line.replace(f'"length": "{target["length"]}"', f'"length": "{int(target["length"]) - 9}"')
        if json.loads(line.split(" ", 2)[2]) == target
        else line
        for line in lines
    ]
    index.write_text("\n".join(edited) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = export([coll], str(out), ExportOptions(workers=1, latest_only=False))
    assert out.read_bytes() == good.read_bytes()
    assert summary.errors == []
    (mismatch,) = summary.index_mismatches
    assert mismatch.path.endswith(target["filename"])
    assert mismatch.offset == int(target["offset"])
    assert "does not fit" in summary.format()
    assert summary.to_json()["index_mismatches"][0]["offset"] == int(target["offset"])


def test_document_pickles_with_its_datetimes_intact() -> None:
    """Documents travel pickled (UTC datetimes without their tzinfo): they come back equal,
    with the same tzinfo (UTC as the very object), whatever their dates are."""
    import pickle
    from datetime import timedelta, timezone

    from archive.analysis import EARLIEST as LOWEST_DATE
    from archive.export._documents import Document

    utc = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    other = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 5, 1, 10, 0)
    for stamp, meta, conv in [
        (utc, (utc, 1, 2), (LOWEST_DATE, -1, -1)),
        (None, None, None),
        (other, (other, 0, 0), None),
        (naive, None, (naive, 3, 4)),
    ]:
        doc = Document("http://e.org/", stamp, 200, "text/html", None, "f", 0, 1, "<id>")
        doc.meta_rank, doc.conv_rank, doc.text = meta, conv, "text"
        back = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == doc
        for a, b in [
            (back.timestamp, stamp),
            (back.meta_rank and back.meta_rank[0], meta and meta[0]),
            (back.conv_rank and back.conv_rank[0], conv and conv[0]),
        ]:
            assert (a and a.tzinfo) == (b and b.tzinfo)
            assert (a is not None and a.tzinfo is UTC) == (b is not None and b.tzinfo is UTC)


def test_metadata_values_decode_as_json_loads_would() -> None:
    """parse_metadata decodes each (stripped) value as json.loads does, or keeps the text."""
    import json

    from archive.export._fill import _json_or_text

    values = ['"a"', "1", "1 2", "[1, 2]", '{"a": 1} x', "NaN", "", "\ufeff1", "tru", '"\\u00e9"']
    for value in values:
        try:
            expected = json.loads(value)
        except ValueError:
            expected = value
        assert repr(_json_or_text(value)) == repr(expected), value


def test_pages_whose_analysis_records_are_missing_are_counted(tmp_path: Path) -> None:
    from warc_fixtures import html_page

    analysed = Capture(
        "http://example.com/a", html_page("A"), title="A", text="Text of A.",
        languages=[lang("en", "eng", 1.0)],
    )  # fmt: skip
    cut_off = Capture("http://example.com/b", html_page("B"))  # its records never made it
    path = tmp_path / "a.warc.gz"
    write_warc(path, [analysed, cut_off])
    out = tmp_path / "out.jsonl"
    summary = export([str(path)], str(out), ExportOptions(workers=1))
    assert summary.documents == 1 and summary.unanalysed == 1
    assert "without their analysis records" in summary.format()
    assert summary.to_json()["unanalysed"] == 1
