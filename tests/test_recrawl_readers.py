"""Everything that reads archives understands revisits and versions: export, replay (ours
and pywb's), check, WACZ and ``crawl --from-archive``, on a real two-run recrawl.

One collection holds both revisit profiles: the site answers conditional requests with 304
(``server-not-modified``), except for a few pages where it ignores the validators and sends
the same bytes again (``identical-payload-digest``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from crawl_helpers import FAST, ArchiveView, Record, load_stats, warcloom
from news_site import NewsSite
from test_replay import call
from test_wacz import WACZ_BIN, needs_py_wacz
from warcio.timeutils import timestamp_to_http_date

from archive.collection import Collection
from archive.records import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, parse_warc_fields
from archive.replay import make_app
from archive.wacz import write_wacz
from crawler.cli import main

EDITED, BOILERPLATE, REMOVED = "/news/1.html", "/news/2.html", "/news/3.html"
NEW_LINKED, NEW_HOME = "/news/new-a.html", "/news/new-b.html"
NOT_MODIFIED = ["/news/0.html", "/news/4.html"]  # answered 304 in run 2
IDENTICAL = ["/news/5.html", "/news/6.html", "/news/7.html"]  # the same bytes again
UNTOUCHED = NOT_MODIFIED + IDENTICAL
PROFILES = {REVISIT_NOT_MODIFIED: NOT_MODIFIED[0], REVISIT_IDENTICAL: IDENTICAL[0]}


class MixedSite(NewsSite):
    """Honours conditional requests, except for the ``IDENTICAL`` pages once ``ignoring``."""

    ignoring = False

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        if self.ignoring and handler.path.split("?")[0] in IDENTICAL:
            del handler.headers["If-None-Match"]
            del handler.headers["If-Modified-Since"]
        super()._handle(handler)


@dataclass
class Recrawled:
    site_url: str
    out: Path
    between: datetime  # after run 1, before run 2
    first: ArchiveView
    second: ArchiveView
    first_files: list[Path]
    second_files: list[Path]

    @property
    def coll(self) -> Collection:
        return Collection.open(self.out)

    def url(self, path: str) -> str:
        return self.site_url + path

    def capture(self, path: str, run: int = 2) -> Record:
        view = self.first if run == 1 else self.second
        (found,) = [
            r for r in view.records if r.url == self.url(path) and r.type in ("response", "revisit")
        ]
        return found

    def metadata(self, capture: Record) -> dict[str, Any]:
        view = self.first if capture in self.first.records else self.second
        return parse_warc_fields(view.referring("metadata")[capture.id].payload)


def timestamp(record: Record) -> str:
    return "".join(ch for ch in record.headers["WARC-Date"][:19] if ch.isdigit())


def iso_date(record: Record) -> str:
    return record.headers["WARC-Date"]


def _crawl(site: NewsSite, out: Path, *extra: str) -> None:
    warcloom(
        "crawl", site.url("/"), "--out", str(out), "--follow", "all", "--allow-private",
        *extra, *FAST,
    )  # fmt: skip


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory: pytest.TempPathFactory) -> Recrawled:
    return build_recrawl(tmp_path_factory.mktemp("recrawled"))


def build_recrawl(out: Path) -> Recrawled:
    """Crawl the site into ``out``, change it, crawl it again."""
    archive = out / "collections" / "default" / "archive"
    with MixedSite() as site:
        _crawl(site, out)
        first_files = sorted(archive.glob("*.warc.gz"))
        time.sleep(1.1)  # the runs' captures fall in different seconds (index timestamps)
        between = datetime.now(UTC).replace(microsecond=0)
        time.sleep(1.1)
        site.edit(EDITED, 1, "Paragraph two was rewritten: capacity fell by half this year.")
        site.touch_boilerplate(BOILERPLATE)
        site.remove(REMOVED)
        site.add(NEW_LINKED, "New report A", linked_from=EDITED)
        site.add(NEW_HOME, "New report B")
        site.ignoring = True
        _crawl(site, out)
        url = site.url("")
    second_files = [p for p in sorted(archive.glob("*.warc.gz")) if p not in first_files]
    first, second = ArchiveView.load(archive), ArchiveView.load(archive)
    first.records = [r for r in first.records if archive / r.filename in first_files]
    second.records = [r for r in second.records if archive / r.filename in second_files]
    return Recrawled(url, out, between, first, second, first_files, second_files)


def test_the_collection_has_both_revisit_profiles(recrawled: Recrawled) -> None:
    for profile, path in PROFILES.items():
        revisit = recrawled.capture(path)
        assert revisit.type == "revisit" and revisit.headers["WARC-Profile"] == profile
    for path in UNTOUCHED:
        assert recrawled.capture(path).type == "revisit", path


# -- export ---------------------------------------------------------------------------------


def _export(recrawled: Recrawled, tmp_path: Path, *args: str, name: str = "out.jsonl") -> Path:
    out = tmp_path / name
    summary = tmp_path / f"{name}.summary.json"
    code = main(
        ["export", str(recrawled.out), "--out", str(out), "--workers", "1",
         "--progress", "off", "--summary-json", str(summary), *args]
    )  # fmt: skip
    assert code == 0
    return out


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _summary(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(path.name + ".summary.json").read_text())


def test_export_gives_each_document_its_change_and_previous_capture(
    recrawled: Recrawled, tmp_path: Path
) -> None:
    rows = {r["url"]: r for r in _rows(_export(recrawled, tmp_path))}
    edited = rows[recrawled.url(EDITED)]
    assert edited["change"] == "changed"
    assert edited["timestamp"] == iso_date(recrawled.capture(EDITED))
    assert edited["previous_timestamp"] == iso_date(recrawled.capture(EDITED, run=1))
    assert "capacity fell by half" in edited["text"]
    assert rows[recrawled.url(BOILERPLATE)]["change"] == "unchanged-text"
    for path in (NEW_LINKED, NEW_HOME):
        assert rows[recrawled.url(path)]["change"] == "new"
        assert rows[recrawled.url(path)]["previous_timestamp"] is None
    # an unchanged page's latest document is its first capture: revisits have no text
    for path in UNTOUCHED:
        row = rows[recrawled.url(path)]
        assert row["timestamp"] == iso_date(recrawled.capture(path, run=1))
        assert row["change"] == "new" and row["previous_timestamp"] is None


def test_export_changed_since_gives_the_new_and_edited_articles(
    recrawled: Recrawled, tmp_path: Path
) -> None:
    out = _export(recrawled, tmp_path, "--changed-since", recrawled.between.isoformat())
    rows = _rows(out)
    assert sorted(r["url"] for r in rows) == sorted(
        recrawled.url(p) for p in ("/", EDITED, NEW_LINKED, NEW_HOME)
    )
    assert {r["change"] for r in rows} == {"new", "changed"}
    assert all(r["timestamp"] >= recrawled.between.isoformat() for r in rows)
    summary = _summary(out)
    assert summary["exported"] == 4 and summary["filtered"]["changed-since"] > 0


def test_export_all_captures_gives_each_text_version_once(
    recrawled: Recrawled, tmp_path: Path
) -> None:
    out = _export(recrawled, tmp_path, "--all-captures")
    rows = _rows(out)
    versions: dict[str, list[str]] = {}
    for row in rows:
        versions.setdefault(row["url"], []).append(row["change"])
    assert versions[recrawled.url(EDITED)] == ["new", "changed"]
    assert versions[recrawled.url("/")] == ["new", "changed"]
    assert versions[recrawled.url(BOILERPLATE)] == ["new"]  # run 2 repeats its text
    assert versions[recrawled.url(REMOVED)] == ["new"]  # the 404 has no text
    for path in UNTOUCHED:  # the revisits are not documents
        assert versions[recrawled.url(path)] == ["new"], path
    for path in (NEW_LINKED, NEW_HOME):
        assert versions[recrawled.url(path)] == ["new"]
    coll = recrawled.coll
    revisits = {
        (e.filename, e.offset)
        for path in UNTOUCHED
        for e in coll.captures(recrawled.url(path))
        if e.fields["mime"] == "warc/revisit"
    }
    assert len(revisits) == len(UNTOUCHED)
    assert not revisits & {(r["warc_filename"], r["warc_offset"]) for r in rows}
    assert len(rows) == 9 + 4
    summary = _summary(out)
    assert summary["repeated_versions"] == 1 and summary["exported"] == len(rows)


def test_export_parquet_has_the_change_fields(recrawled: Recrawled, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out = _export(recrawled, tmp_path, "--all-captures", name="out.parquet")
    table = pq.read_table(out)
    assert table.schema.field("change").type == pa.string()
    assert table.schema.field("previous_timestamp").type == pa.timestamp("us", tz="UTC")
    rows = [r for r in table.to_pylist() if r["url"] == recrawled.url(EDITED)]
    assert [r["change"] for r in rows] == ["new", "changed"]
    first = datetime.fromisoformat(iso_date(recrawled.capture(EDITED, run=1)))
    assert rows[0]["previous_timestamp"] is None
    assert rows[1]["previous_timestamp"] == first


def test_reextract_keeps_each_capture_s_change_and_previous_capture(
    recrawled: Recrawled, tmp_path: Path
) -> None:
    """Re-extraction writes the newest metadata of every page: the version chain must survive."""
    copy = tmp_path / "copy"
    shutil.copytree(recrawled.out, copy)
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = _rows(_export(recrawled, tmp_path / "before", "--all-captures"))
    assert main(["reextract", str(copy), "--workers", "1", "--progress", "off"]) == 0
    after = _rows(_export(replace(recrawled, out=copy), tmp_path / "after", "--all-captures"))

    def chain(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str | None]]:
        return sorted(
            (r["url"], r["timestamp"], r["change"], r["previous_timestamp"]) for r in rows
        )

    assert chain(after) == chain(before)
    assert {r["change"] for r in after} == {"new", "changed"}


def test_export_changed_since_refuses_reextract(recrawled: Recrawled, tmp_path: Path) -> None:
    code = main(
        ["export", str(recrawled.out), "--out", str(tmp_path / "x.jsonl"),
         "--changed-since", "2024", "--reextract"]
    )  # fmt: skip
    assert code == 2


# -- replay ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(recrawled: Recrawled, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(recrawled.out, cache_dir=tmp_path_factory.mktemp("replay-cache"))


@pytest.mark.parametrize("profile", list(PROFILES))
def test_replay_of_a_revisit_gives_the_original_payload(
    recrawled: Recrawled, app: Any, profile: str
) -> None:
    path = PROFILES[profile]
    revisit, original = recrawled.capture(path), recrawled.capture(path, run=1)
    url, ts = recrawled.url(path), timestamp(revisit)
    raw = call(app, f"/{ts}id_/{url}")
    assert raw.status == 200 and raw.body == original.payload
    page = call(app, f"/{ts}/{url}")
    assert page.status == 200 and "Paragraph one of report" in page.text
    assert dict(page.headers)["Memento-Datetime"] == timestamp_to_http_date(ts)


def test_timemap_and_cdx_list_every_capture_with_the_revisits(
    recrawled: Recrawled, app: Any
) -> None:
    path = NOT_MODIFIED[0]
    url = recrawled.url(path)
    stamps = [timestamp(recrawled.capture(path, run=1)), timestamp(recrawled.capture(path))]
    timemap = call(app, f"/timemap/link/{url}").text
    assert timemap.count("memento") == 2
    assert all(f"/{ts}/{url}" in timemap for ts in stamps)
    lines = call(app, f"/cdx?url={url}&output=json").text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["timestamp"] for r in rows] == stamps
    assert [r["mime"] for r in rows] == ["text/html", "warc/revisit"]
    listed = call(app, f"/timemap/json/{url}").text.splitlines()
    assert len(listed) == 2


def test_reader_lists_the_versions_with_their_change_and_diff_links(
    recrawled: Recrawled, app: Any
) -> None:
    url = recrawled.url(EDITED)
    first, second = recrawled.capture(EDITED, run=1), recrawled.capture(EDITED)
    a, b = timestamp(first), timestamp(second)
    page = call(app, f"/reader/{b}/{url}").text
    assert "Captures of this URL (2)" in page
    assert "<span class='change'>new</span>" in page
    assert "<span class='change'>changed (1 edited)</span>" in page
    assert "<th>Change</th><td>changed (1 edited)</td>" in page
    link = f"/diff?url={quote(url, safe='')}&amp;a={a}&amp;b={b}"
    assert link in page
    diff = call(app, html.unescape(link))
    assert diff.status == 200 and "diff_chg" in diff.text
    words = re.sub(r"<[^>]+>", "", html.unescape(diff.text))
    assert "fell" in words and "rose" in words


@pytest.mark.parametrize("profile", list(PROFILES))
def test_reader_of_a_revisit_shows_the_original_text(
    recrawled: Recrawled, app: Any, profile: str
) -> None:
    path = PROFILES[profile]
    url = recrawled.url(path)
    revisit, original = recrawled.capture(path), recrawled.capture(path, run=1)
    page = call(app, f"/reader/{timestamp(revisit)}/{url}").text
    text = recrawled.first.text(original).partition("\n\n")[2].strip()
    assert html.escape(text.splitlines()[0]) in page
    assert "<h1>Mill report" in page  # the original's title
    kind = "not-modified" if profile == REVISIT_NOT_MODIFIED else "identical"
    assert f"<th>Change</th><td>{kind}</td>" in page
    assert "this capture is a revisit" in page
    assert f"<span class='change'>{kind} (revisit)</span>" in page
    # the text did not change between the two captures
    diff = call(app, f"/diff?url={url}&a={timestamp(original)}&b={timestamp(revisit)}")
    assert "The two texts are identical." in diff.text


def test_reader_of_a_gone_page_says_so_without_extracting_the_404(
    recrawled: Recrawled, app: Any
) -> None:
    url = recrawled.url(REMOVED)
    page = call(app, f"/reader/{timestamp(recrawled.capture(REMOVED))}/{url}").text
    assert "<th>Change</th><td>gone</td>" in page
    assert "<h2>Text</h2>" not in page and "extracted at replay" not in page


# -- check ----------------------------------------------------------------------------------


def test_check_finds_a_revisit_whose_original_is_not_checked(
    recrawled: Recrawled, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", *map(str, recrawled.second_files)]) == 1
    out = capsys.readouterr().out
    missing = [line for line in out.splitlines() if "not in the files checked" in line]
    assert len(missing) == len(recrawled.second.of_type("revisit"))  # robots.txt's too
    revisit = recrawled.capture(UNTOUCHED[0])
    original = recrawled.capture(UNTOUCHED[0], run=1)
    expected = f"revisit of {revisit.url} refers to {original.id}, not in the files checked"
    assert any(line.strip().endswith(expected) for line in missing)
    file_name = str(recrawled.second_files[0])
    assert all(re.match(rf"\s+{re.escape(file_name)}:\d+: revisit of ", x) for x in missing)

    assert main(["check", *map(str, recrawled.first_files + recrawled.second_files)]) == 0
    assert main(["check", str(recrawled.coll.archive_dir)]) == 0
    assert "not in the files checked" not in capsys.readouterr().out


# -- WACZ and crawl --from-archive ----------------------------------------------------------


def test_wacz_lists_analysed_pages_not_revisits_nor_gone_pages(
    recrawled: Recrawled, tmp_path: Path
) -> None:
    result = write_wacz(recrawled.coll, tmp_path / "recrawl.wacz")
    with zipfile.ZipFile(result.path) as wacz:
        lines = wacz.read("pages/pages.jsonl").decode().splitlines()[1:]
    pages = [json.loads(line) for line in lines]
    assert pages and all(p.get("title") and p.get("text") for p in pages)
    ids = {p["id"] for p in pages}
    for record in recrawled.second.records:
        if record.type == "revisit" or record.url == recrawled.url(REMOVED):
            assert record.id.strip("<>").removeprefix("urn:uuid:") not in ids
    # run 1's nine pages, then run 2's five analysed responses
    assert len(pages) == result.pages == 9 + 5
    urls = [p["url"] for p in pages]
    for path in UNTOUCHED:  # listed once, at the capture holding the payload
        assert urls.count(recrawled.url(path)) == 1
    assert urls.count(recrawled.url(EDITED)) == 2


@needs_py_wacz
def test_py_wacz_validates_the_recrawled_collection(recrawled: Recrawled, tmp_path: Path) -> None:
    path = write_wacz(recrawled.coll, tmp_path / "recrawl.wacz").path
    result = subprocess.run(
        [str(WACZ_BIN), "validate", "-f", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_crawl_from_archive_replays_every_page_of_a_recrawl(
    recrawled: Recrawled, tmp_path: Path
) -> None:
    out, stats = tmp_path / "replayed", tmp_path / "stats.json"
    warcloom(
        "crawl", recrawled.url("/"), "--from-archive", str(recrawled.out), "--out", str(out),
        "--follow", "all", "--stats-json", str(stats), "-s", "WARCLOOM_WORKERS=1",
    )  # fmt: skip
    numbers = load_stats(stats)
    assert numbers.get("warcloom/archive/miss", 0) == 0
    view = ArchiveView.load(out / "collections" / "default" / "archive")
    titles = {}
    for record in view.of_type("metadata"):
        fields = parse_warc_fields(record.payload)
        if "title" in fields:
            titles[record.url] = fields["title"]
    # the newest capture of every page: unchanged ones through their revisits
    live = ["/", *UNTOUCHED, EDITED, BOILERPLATE, NEW_LINKED, NEW_HOME]
    assert sorted(titles) == sorted(recrawled.url(p) for p in live)
    for path in UNTOUCHED:
        assert titles[recrawled.url(path)] == f"Mill report {path[6]}"
    texts = {r.url: r.payload.decode() for r in view.of_type("conversion")}
    assert "capacity fell by half" in texts[recrawled.url(EDITED)]
    assert "Paragraph one of report 0" in texts[recrawled.url(NOT_MODIFIED[0])]
