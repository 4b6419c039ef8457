"""archive.index in bounded memory: sorted runs on disk give the lines an in-memory sort gives,
and what indexing holds does not grow with the files."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

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

import archive.index._runs as runs
from archive.collection import Collection
from archive.index import IndexEntry, index_files, iter_index, rebuild_index
from archive.index._runs import SortedRuns


@pytest.fixture
def spills(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Runs of ``RUN_SIZE`` items (set by the test); the sizes of the runs written to disk."""
    written: list[int] = []
    spill = SortedRuns._spill

    def counted(self: SortedRuns) -> None:
        written.append(len(self._buffer))
        spill(self)

    monkeypatch.setattr(SortedRuns, "_spill", counted)
    return written


def _mixed_collection(root: Path) -> Path:
    """Several files: captures with their analyses, a POST, a revisit, a resource, an
    analysis in a later file, a re-extraction newer than it and one older, and a page
    whose metadata says nothing the index shows but whose conversion has languages."""
    coll = make_collection(root)
    archive = coll / "archive"
    caps = sample_captures()
    write_warc(archive / warc_name(0), caps[:2])
    late = Capture("http://example.com/late", html_page("Late"), date="2024-05-01T10:00:00Z")
    post = Capture(
        "http://example.com/search",
        html_page("Results"),
        method="POST",
        request_body=b"q=hello+world&page=2",
        request_content_type="application/x-www-form-urlencoded",
        title="Results",
    )
    with WarcBuilder(archive / warc_name(1)) as b:
        b.warcinfo()
        b.capture(late)
        b.capture(post)
        b.revisit(Capture("http://example.com/"), caps[0], "2024-05-02T10:00:00Z")
        b.resource("http://example.com/feed.txt", b"hello", "text/plain")
        b.capture(caps[2])
    with WarcBuilder(archive / warc_name(2)) as b:
        b.warcinfo()
        b.extraction(late, date="2024-05-01T10:00:01Z", title="  Late\n title ")
        b.extraction(caps[0], date="2024-06-01T00:00:00Z", title="Re-extracted", languages=[])
        b.extraction(caps[2], date="2024-04-01T00:00:00Z", title="Older", languages=[])
        b.capture(caps[3])
        b.extraction(caps[3], title="", languages=[lang("de", "deu", 1.0)])
    return coll


@pytest.mark.parametrize("run_size", [1, 2, 5])
def test_runs_on_disk_give_the_same_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spills: list[int], run_size: int
) -> None:
    coll = _mixed_collection(tmp_path)
    paths = sorted((coll / "archive").iterdir())
    in_memory = index_files(paths, root=coll / "archive")
    assert spills == []
    entries = [IndexEntry.from_line(line) for line in in_memory]
    by_url = {e.url: e for e in entries if e.fields["mime"] != "warc/revisit"}
    assert by_url["http://example.com/late"].fields["title"] == "Late title"
    assert by_url["http://example.com/"].fields["title"] == "Re-extracted"
    # the re-extraction found no languages: the newest conversion that names some counts
    assert by_url["http://example.com/"].fields["languages"] == "eng"
    assert by_url["http://example.com/chunked"].fields["title"] == "Chunked"  # not "Older"
    assert by_url["http://example.com/style.css"].fields["languages"] == "deu"
    assert by_url["http://example.com/search"].urlkey.endswith(
        "?__wb_method=post&page=2&q=hello%20world"
    )

    monkeypatch.setattr(runs, "RUN_SIZE", run_size)
    assert index_files(paths, root=coll / "archive") == in_memory
    assert spills and max(spills) == run_size


def test_update_in_runs_merges_and_still_sees_analyses_of_older_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spills: list[int]
) -> None:
    monkeypatch.setattr(runs, "RUN_SIZE", 2)
    coll = make_collection(tmp_path)
    archive, index = coll / "archive", coll / "indexes" / "index.cdxj"
    caps = sample_captures()
    first, second, third = (archive / warc_name(i) for i in range(3))
    write_warc(first, caps[:2])
    write_warc(second, caps[2:])
    assert Collection.open(coll).update_index([first]).lines_added == 2
    result = Collection.open(coll).update_index([second])
    assert (result.lines_added, result.rebuilt) == (2, False)
    assert index.read_text().splitlines() == index_files([first, second], root=archive)
    assert spills

    with WarcBuilder(third) as b:  # a re-extraction: the response is in an older file
        b.warcinfo()
        b.extraction(caps[0], date="2024-07-01T00:00:00Z", title="Again", languages=[])
    result = Collection.open(coll).update_index([third])
    assert result.rebuilt and result.lines_added == 4
    lines = index.read_text().splitlines()
    assert lines == index_files([first, second, third], root=archive)
    assert any('"title": "Again"' in line for line in lines)
    assert sorted(p.name for p in index.parent.iterdir()) == ["index.cdxj", "index.cdxj.lock"]


def test_iter_index_removes_its_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spills: list[int]
) -> None:
    monkeypatch.setattr(runs, "RUN_SIZE", 1)
    coll = _mixed_collection(tmp_path / "c")
    paths = sorted((coll / "archive").iterdir())
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    lines = iter_index(paths, root=coll / "archive", tmpdir=scratch)
    first = next(lines)
    assert spills and [p.name[:12] for p in scratch.iterdir()] == [".index-runs-"]
    assert [first, *lines] == index_files(paths, root=coll / "archive")
    assert list(scratch.iterdir()) == []
    lines = iter_index(paths, root=coll / "archive", tmpdir=scratch)
    next(lines)
    lines.close()  # given up half-way
    assert list(scratch.iterdir()) == []


def _crawl(archive: Path, pages: int) -> None:
    """``pages`` captures with their analyses, in files of 50 pages (as a crawl rotates its
    files, so that each file costs the reader the same)."""
    archive.mkdir(parents=True)
    for first in range(0, pages, 50):
        with WarcBuilder(archive / warc_name(first)) as b:
            b.warcinfo()
            for i in range(first, first + 50):
                cap = Capture(
                    f"http://site{i % 13}.example.com/story/{i}",
                    b"<p>x</p>",
                    date=f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
                    title=f"Story {i} " + "about textiles " * 8,
                    languages=[lang("en", "eng", 0.9), lang("fr", "fra", 0.1)],
                )
                b.capture(cap)


def test_indexing_memory_does_not_grow_with_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is held while the records are read and while the lines are written (the
    memory traced at each record and each line; the reader's own read-ahead of a file
    makes the peak)."""
    import archive.index._build as build
    import archive.index._write as write

    # a scale model: runs of 50 items, 4 merged at once, read through 1 KiB buffers
    monkeypatch.setattr(runs, "RUN_SIZE", 50)
    monkeypatch.setattr(runs, "MAX_RUNS", 4)
    monkeypatch.setattr(runs, "_BUFFER", 1024)
    held = [0]  # the most traced at a record or a line (a list of samples would grow)

    def sample() -> None:
        held[0] = max(held[0], tracemalloc.get_traced_memory()[0])

    def iter_records(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for ref in read_records(*args, **kwargs):
            sample()
            yield ref

    def write_index(lines: Iterable[str], path: Path) -> None:
        def traced() -> Iterator[str]:
            for line in lines:
                sample()
                yield line

        write_lines(traced(), path)

    read_records, write_lines = build.iter_records, write.write_index
    monkeypatch.setattr(build, "iter_records", iter_records)
    monkeypatch.setattr(write, "write_index", write_index)
    _crawl(tmp_path / "warm-up", 50)
    rebuild_index(tmp_path / "warm-up.cdxj", tmp_path / "warm-up")  # imports, caches
    most = {}
    for pages in (100, 500):
        archive = tmp_path / str(pages)
        _crawl(archive, pages)
        held[0] = 0
        tracemalloc.start()
        try:
            assert rebuild_index(tmp_path / f"{pages}.cdxj", archive) == pages
        finally:
            tracemalloc.stop()
        most[pages] = held[0]
    # everything held at once (as before sorted runs) makes it over 4 times as much
    assert most[500] < 1.5 * most[100], most
