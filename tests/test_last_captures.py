"""The last-captures table a recrawl reads instead of the WARC files: after every run it says
what the collection says (Collection.last_capture, the stored analysis's links), and it is
dropped whenever it cannot be known to be current."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from crawl_helpers import FAST, warcloom
from news_site import NewsSite

from archive.analysis import text_hash
from archive.collection import Collection, LastCaptures
from archive.links import Link


def _crawl(site: NewsSite, out: Path) -> None:
    warcloom("crawl", site.url("/"), "--out", str(out), "--follow", "all", "--allow-private", *FAST)


def _rows(coll: Collection) -> int:
    with sqlite3.connect(coll.last_captures_path) as db:
        return db.execute("SELECT count(*) FROM captures WHERE links IS NOT NULL").fetchone()[0]


def _captured_urls(coll: Collection) -> set[str]:
    """URLs with a 2xx capture (a revisit resolved) in the collection."""
    urls = {entry.fields["url"] for entry in coll.iter_prefix("")}
    return {url for url in urls if coll.last_capture(url, with_text=False) is not None}


def _stored_links(coll: Collection, url: str, payload_id: str) -> list[Link]:
    value = coll.analysis(url, payload_id).metadata.get("links") or []
    return [Link(item["url"], item["region"], "") for item in value]


def assert_table_is_the_collection(out: Path) -> None:
    coll = Collection.open(out)
    urls = _captured_urls(coll)
    html = {url for url in urls if not url.endswith("/robots.txt")}
    assert _rows(coll) == len(html)  # every page's row, with its links, is there
    reader = Collection.open(out)  # the table's: its analysis join is never asked for
    reader.analysis = lambda *args: pytest.fail(f"analysis read from the WARCs: {args}")
    table = LastCaptures(reader)  # sealed by the crawl: trusted
    try:
        for url in urls:
            found = table.get(url)
            expected = coll.last_capture(url)
            assert found is not None and expected is not None
            assert replace(found, text_hash=None) == replace(expected, text_hash=None), url
            if url in html:
                text = coll.analysis(url, expected.payload_id).text or ""
                assert found.text_hash == text_hash(text), url
                assert table.text(found) == text, url
                links, requisites = table.outlinks(found)
                assert links == _stored_links(coll, url, expected.payload_id)
                stored = coll.analysis(url, expected.payload_id).metadata
                assert requisites == stored.get("requisites", [])
    finally:
        table.seal()  # the index did not change: trusted again


@pytest.mark.parametrize("conditional", [True, False], ids=["conditional", "ignores-validators"])
def test_the_table_says_what_the_collection_says_after_each_run(
    tmp_path: Path, conditional: bool
) -> None:
    out = tmp_path / "out"
    with NewsSite(conditional=conditional) as site:
        _crawl(site, out)
        assert_table_is_the_collection(out)
        site.edit("/news/1.html", 1, "Paragraph two was rewritten: capacity fell by half.")
        site.touch_boilerplate("/news/2.html")
        site.remove("/news/3.html")
        site.add("/news/new-a.html", "New report A", linked_from="/news/1.html")
        _crawl(site, out)
        assert_table_is_the_collection(out)
        _crawl(site, out)  # nothing changed: revisits of revisits
        assert_table_is_the_collection(out)


def test_a_table_not_sealed_for_the_current_index_is_emptied(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with NewsSite() as site:
        _crawl(site, out)
    coll = Collection.open(out)
    assert _rows(coll) > 0
    warcloom("index", str(coll.archive_dir), "-o", str(coll.index_path))  # a new index
    LastCaptures(coll).close()
    assert _rows(coll) == 0


def test_a_table_not_sealed_for_the_current_archive_files_is_emptied(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with NewsSite() as site:
        _crawl(site, out)
    coll = Collection.open(out)
    (first,) = coll.files()
    shutil.copy(first, first.with_name("added-by-hand.warc.gz"))  # not indexed
    LastCaptures(coll).close()
    assert _rows(coll) == 0


def test_a_run_that_does_not_seal_leaves_nothing_trusted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with NewsSite() as site:
        _crawl(site, out)
    coll = Collection.open(out)
    LastCaptures(coll).close()  # opened by a run that died before sealing
    assert _rows(coll) > 0  # rows kept on disk, but no seal:
    LastCaptures(coll).close()
    assert _rows(coll) == 0


def test_a_damaged_table_is_dropped_and_captures_are_read_from_the_collection(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with NewsSite() as site:
        _crawl(site, out)
    coll = Collection.open(out)
    coll.last_captures_path.write_bytes(b"not a database" * 100)
    table = LastCaptures(coll)
    url = next(iter(_captured_urls(coll)))
    assert table.get(url) == coll.last_capture(url, with_text=False)
    table.close()
