"""archive.index: CDXJ lines pywb reads, joins of extraction results, updates, lookup."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from warc_fixtures import (
    Capture,
    WarcBuilder,
    gzip_whole_file,
    html_page,
    http_response_bytes,
    lang,
    make_collection,
    sample_captures,
    sha1_b32,
    warc_name,
    write_arc,
    write_warc,
)

from archive.collection import Collection
from archive.index import (
    IndexEntry,
    index_files,
    lookup,
    url_key,
    write_index,
)
from archive.reader import ReadError, read_record_at


def _entries(lines: list[str]) -> list[IndexEntry]:
    return [IndexEntry.from_line(line) for line in lines]


def _by_url(lines: list[str]) -> dict[str, IndexEntry]:
    return {e.url: e for e in _entries(lines)}


def _assert_sorted(lines: list[str]) -> None:
    encoded = [line.encode("utf-8") for line in lines]
    assert encoded == sorted(encoded)


@pytest.fixture
def coll(tmp_path: Path) -> Path:
    return make_collection(tmp_path)


def test_lines_sorted_parseable_and_addressable(coll: Path):
    archive = coll / "archive"
    path = archive / "2024" / warc_name(0)
    path.parent.mkdir()
    caps = write_warc(path, sample_captures())
    lines = index_files([path], root=archive)
    _assert_sorted(lines)
    entries = _entries(lines)
    # responses only: no warcinfo, request, warc-fields metadata or conversion lines
    assert sorted(e.url for e in entries) == sorted(c.url for c in caps)
    for entry in entries:
        assert entry.urlkey == url_key(entry.url)
        assert len(entry.timestamp) == 14
        assert entry.filename == f"2024/{path.name}"
        assert set(entry.fields) >= {"url", "mime", "status", "digest", "length", "offset"}
        assert all(isinstance(v, str) for v in entry.fields.values())
        with read_record_at(archive / entry.filename, entry.offset, entry.length) as ref:
            assert ref.rec_type == "response"
            assert ref.header("WARC-Target-URI") == entry.url
            assert ref.header("WARC-Payload-Digest") == "sha1:" + entry.fields["digest"]

    by_url = _by_url(lines)
    home = by_url["http://example.com/"]
    assert home.timestamp == "20240501100000"
    assert home.fields["mime"] == "text/html"
    assert home.fields["status"] == "200"
    assert home.fields["languages"] == "eng"
    assert home.fields["title"] == "Example home"
    news = by_url["https://news.example.org/2024/hangzhou?id=7"]
    assert news.urlkey == "org,example,news)/2024/hangzhou?id=7"
    assert news.fields["languages"] == "eng,zho"
    assert news.fields["title"] == "Hangzhou's Ali flavor"
    assert "languages" not in by_url["http://example.com/style.css"].fields
    # without a root, filenames are base names (as pywb's indexer writes them)
    assert {e.filename for e in _entries(index_files([path]))} == {path.name}


def test_languages_ordered_by_share(tmp_path: Path):
    path = tmp_path / "a.warc.gz"
    cap = Capture(
        "http://example.com/mixed",
        html_page("Mixed"),
        title="Mixed",
        languages=[lang("en", "eng", 0.2), lang("zh-Hant", "zho", 0.7), lang("fr", "fra", 0.1)],
    )
    write_warc(path, [cap])
    (entry,) = _entries(index_files([path]))
    assert entry.fields["languages"] == "zho,eng,fra"


def test_metadata_in_later_file_and_newest_wins(coll: Path):
    archive = coll / "archive"
    cap = Capture("http://example.com/p", html_page("v1"), date="2024-05-01T10:00:00Z")
    first, second, third = (archive / warc_name(i) for i in range(3))
    with WarcBuilder(first) as b:
        b.warcinfo()
        b.capture(cap)  # no extraction yet: rotation put it in the next file
    with WarcBuilder(second) as b:
        b.warcinfo()
        b.extraction(
            cap, date="2024-05-01T10:00:01Z", title="First title", languages=[lang("en", "eng", 1)]
        )
        b.extraction(
            cap, date="2024-06-01T00:00:00Z", title="Re-extracted", languages=[lang("de", "deu", 1)]
        )
    with WarcBuilder(third) as b:
        b.warcinfo()
        b.extraction(cap, date="2024-05-15T00:00:00Z", title="Older than the re-extraction")

    (entry,) = _entries(index_files([first, second, third], root=archive))
    assert entry.filename == first.name
    assert entry.fields["title"] == "Re-extracted"
    assert entry.fields["languages"] == "deu"
    # the response alone has nothing to join
    (alone,) = _entries(index_files([first], root=archive))
    assert "title" not in alone.fields


def test_revisit_resource_post_and_arc(tmp_path: Path):
    path = tmp_path / "mixed.warc.gz"
    orig = Capture("http://example.com/", html_page("A"), date="2024-05-01T10:00:00Z")
    post = Capture(
        "http://example.com/search",
        html_page("Results"),
        method="POST",
        request_body=b"q=hello+world&page=2",
        request_content_type="application/x-www-form-urlencoded",
    )
    with WarcBuilder(path) as b:
        b.warcinfo()
        b.capture(orig)
        b.revisit(Capture("http://example.com/"), orig, "2024-05-02T10:00:00Z")
        b.resource("http://example.com/feed.txt", b"hello", "text/plain")
        b.resource("http://example.com/fields", b"a: 1\r\n", "application/warc-fields")
        b.capture(post)
    lines = index_files([path])
    _assert_sorted(lines)
    entries = _entries(lines)
    assert [e.fields["mime"] for e in entries if e.url == "http://example.com/"] == [
        "text/html",
        "warc/revisit",
    ]
    revisit = next(e for e in entries if e.fields["mime"] == "warc/revisit")
    assert revisit.fields["digest"] == sha1_b32(orig.body)[5:]
    assert "status" not in revisit.fields  # as pywb's indexer: status for responses only
    feed = next(e for e in entries if e.url.endswith("feed.txt"))
    assert feed.fields["mime"] == "text/plain"
    assert not any(e.url.endswith("/fields") for e in entries)
    searched = next(e for e in entries if e.url == "http://example.com/search")
    assert searched.urlkey == "com,example)/search?__wb_method=post&page=2&q=hello%20world"
    assert searched.fields["method"] == "POST"

    arc = write_arc(
        tmp_path / "old.arc.gz",
        [("http://example.com/arc", "20010101000000", http_response_bytes(b"old"))],
        compress=True,
    )
    (entry,) = _entries(index_files([arc]))
    assert (entry.urlkey, entry.timestamp) == ("com,example)/arc", "20010101000000")
    assert entry.fields["status"] == "200"
    assert entry.fields["digest"] == sha1_b32(b"old")[5:]
    with read_record_at(arc, entry.offset, entry.length) as ref:
        assert ref.record.content_stream().read() == b"old"


def test_whole_file_gzip_is_reported_not_indexed(tmp_path: Path):
    plain = tmp_path / "p.warc"
    write_warc(plain, sample_captures()[:1], gzip=False)
    whole = gzip_whole_file(plain, tmp_path / "whole.warc.gz")
    errors: list[ReadError] = []
    assert index_files([whole], errors=errors) == []
    assert errors and "recompress" in errors[0].message


def test_write_index_is_atomic(tmp_path: Path):
    target = tmp_path / "indexes" / "index.cdxj"
    write_index(["a 1 {}", "b 2 {}"], target)
    write_index(["c 3 {}"], target)
    assert target.read_text() == "c 3 {}\n"
    assert [p.name for p in target.parent.iterdir()] == ["index.cdxj"]


def test_update_merges_and_matches_rebuild(coll: Path):
    archive = coll / "archive"
    caps = sample_captures()
    first, second = archive / warc_name(0), archive / warc_name(1)
    write_warc(first, caps[:2])
    result = Collection.open(coll).update_index([first])
    assert (result.lines_added, result.rebuilt) == (2, False)
    write_warc(second, caps[2:])
    result = Collection.open(coll).update_index([second])
    assert (result.lines_added, result.rebuilt) == (2, False)
    index = coll / "indexes" / "index.cdxj"
    merged = index.read_text().splitlines()
    _assert_sorted(merged)
    assert len(merged) == 4
    # adding the same file again changes nothing
    Collection.open(coll).update_index([second])
    assert index.read_text().splitlines() == merged
    assert Collection.open(coll).rebuild_index() == 4
    assert index.read_text().splitlines() == merged


def test_update_with_metadata_for_an_older_file_reindexes(coll: Path):
    archive = coll / "archive"
    cap = Capture("http://example.com/late", html_page("Late"), date="2024-05-01T10:00:00Z")
    first, second = archive / warc_name(0), archive / warc_name(1)
    with WarcBuilder(first) as b:
        b.warcinfo()
        b.capture(cap)
    Collection.open(coll).update_index([first])
    index = coll / "indexes" / "index.cdxj"
    assert "title" not in IndexEntry.from_line(index.read_text()).fields
    with WarcBuilder(second) as b:
        b.warcinfo()
        b.extraction(cap, title="Late title", languages=[lang("ja", "jpn", 1)])
    result = Collection.open(coll).update_index([second])
    assert result.rebuilt
    (entry,) = _entries(index.read_text().splitlines())
    assert (entry.fields["title"], entry.fields["languages"]) == ("Late title", "jpn")


def test_update_rejects_files_outside_the_collection(coll: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere.warc.gz"
    write_warc(outside, sample_captures()[:1])
    with pytest.raises(ValueError):
        Collection.open(coll).update_index([outside])


def _generated_index(path: Path, n: int = 20_000) -> list[str]:
    rng = random.Random(7)
    lines = []
    for i in range(n):
        url = f"http://site{i % 997}.example.com/page/{i % 5003}"
        ts = f"2024{1 + i % 12:02d}{1 + i % 28:02d}{i % 24:02d}{i % 60:02d}{rng.randrange(60):02d}"
        data = {"url": url, "mime": "text/html", "status": "200", "offset": str(i)}
        lines.append(f"{url_key(url)} {ts} {json.dumps(data)}")
    lines.sort()
    write_index(lines, path)
    return lines


def test_lookup_binary_search_on_20000_lines(tmp_path: Path):
    index = tmp_path / "index.cdxj"
    lines = _generated_index(index)
    assert len(lines) == 20_000
    wanted = [
        "http://site0.example.com/page/0",
        "http://site996.example.com/page/996",
        "http://site500.example.com/page/500",
        IndexEntry.from_line(lines[0]).url,
        IndexEntry.from_line(lines[-1]).url,
    ]
    for url in wanted:
        key = url_key(url) + " "
        expected = [line for line in lines if line.startswith(key)]
        found = lookup(index, url)
        assert [e.to_line() for e in found] == expected
        assert found
    assert lookup(index, "http://nowhere.example.com/") == []
    assert lookup(index, "http://site1.example.com/page/") == []  # a prefix is not a match


def test_lookup_nearest_first(coll: Path):
    archive = coll / "archive"
    path = archive / warc_name(0)
    dates = ["2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", "2024-12-01T00:00:00Z"]
    write_warc(path, [Capture("http://example.com/n", html_page("n"), date=d) for d in dates])
    Collection.open(coll).rebuild_index()
    index = coll / "indexes" / "index.cdxj"
    assert [e.timestamp[:6] for e in lookup(index, "http://example.com/n")] == [
        "202401",
        "202406",
        "202412",
    ]
    assert [e.timestamp[:6] for e in lookup(index, "http://EXAMPLE.com/n", "20241115")] == [
        "202412",
        "202406",
        "202401",
    ]
    nearest = lookup(index, "http://example.com/n", "2024")[0]
    with read_record_at(archive / nearest.filename, nearest.offset, nearest.length) as ref:
        assert ref.header("WARC-Date") == "2024-01-01T00:00:00Z"


def test_index_files_get_the_umask_mode_not_0600(tmp_path: Path) -> None:
    from archive.index import write_index

    old = os.umask(0o022)
    try:
        write_index(["a 1 {}"], tmp_path / "index.cdxj")
    finally:
        os.umask(old)
    assert (tmp_path / "index.cdxj").stat().st_mode & 0o777 == 0o644
