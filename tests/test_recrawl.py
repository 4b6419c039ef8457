"""Incremental recrawls end to end: a real site that changes between two crawls, served by
a server that honours conditional requests and by one that ignores them."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crawl_helpers import FAST, ArchiveView, Record, warcloom
from news_site import NewsSite
from test_replay import call

from archive.collection import Collection
from archive.records import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, parse_warc_fields
from archive.replay import make_app

EDITED, BOILERPLATE, REMOVED = "/news/1.html", "/news/2.html", "/news/3.html"
NEW_LINKED, NEW_HOME = "/news/new-a.html", "/news/new-b.html"
UNTOUCHED = ["/news/0.html", "/news/4.html", "/news/5.html", "/news/6.html", "/news/7.html"]


@dataclass
class Recrawl:
    site_url: str
    out: Path
    first: ArchiveView  # the records of run 1
    second: ArchiveView  # the records of run 2
    conditional: bool

    def url(self, path: str) -> str:
        return self.site_url + path

    def second_capture(self, path: str) -> Record:
        (found,) = [
            r
            for r in self.second.records
            if r.url == self.url(path) and r.type in ("response", "revisit")
        ]
        return found

    def first_response(self, path: str) -> Record:
        (found,) = [r for r in self.first.of_type("response") if r.url == self.url(path)]
        return found

    def metadata(self, capture: Record) -> dict[str, Any]:
        return parse_warc_fields(self.second.referring("metadata")[capture.id].payload)


def _crawl(site: NewsSite, out: Path) -> None:
    warcloom("crawl", site.url("/"), "--out", str(out), "--follow", "all", "--allow-private", *FAST)


@pytest.fixture(scope="module", params=[True, False], ids=["conditional", "ignores-validators"])
def recrawl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Recrawl:
    out = tmp_path_factory.mktemp("recrawl")
    archive = out / "collections" / "default" / "archive"
    with NewsSite(conditional=request.param) as site:
        _crawl(site, out)
        first_files = sorted(archive.glob("*.warc.gz"))
        site.edit(EDITED, 1, "Paragraph two was rewritten: capacity fell by half this year.")
        site.touch_boilerplate(BOILERPLATE)
        site.remove(REMOVED)
        site.add(NEW_LINKED, "New report A", linked_from=EDITED)
        site.add(NEW_HOME, "New report B")
        _crawl(site, out)
        url = site.url("")
    first = ArchiveView.load(archive)
    first.records = [r for r in first.records if Path(archive / r.filename) in first_files]
    second = ArchiveView.load(archive)
    second.records = [r for r in second.records if Path(archive / r.filename) not in first_files]
    return Recrawl(url, out, first, second, request.param)


def test_untouched_pages_are_revisits_of_the_right_profile(recrawl: Recrawl) -> None:
    profile = REVISIT_NOT_MODIFIED if recrawl.conditional else REVISIT_IDENTICAL
    for path in UNTOUCHED:
        revisit = recrawl.second_capture(path)
        original = recrawl.first_response(path)
        assert revisit.type == "revisit", path
        assert revisit.headers["WARC-Profile"] == profile
        assert revisit.headers["WARC-Refers-To"] == original.id
        assert revisit.headers["WARC-Refers-To-Target-URI"] == original.url
        assert revisit.headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
        assert revisit.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
        assert revisit.payload == b""  # the body is not stored twice
        kind = "not-modified" if recrawl.conditional else "identical"
        meta = recrawl.metadata(revisit)
        assert meta["change"] == {"kind": kind}
        assert meta["previous-capture"]["record-id"] == original.id


def test_conditional_requests_carry_the_stored_validators(recrawl: Recrawl) -> None:
    if not recrawl.conditional:
        pytest.skip("the server sends no validators")
    (request,) = [
        r for r in recrawl.second.of_type("request") if r.url == recrawl.url(UNTOUCHED[0])
    ]
    names = {name.lower() for name, _ in request.http_headers}
    assert {"if-none-match", "if-modified-since"} <= names


def test_each_capture_gets_its_change_kind(recrawl: Recrawl) -> None:
    edited = recrawl.metadata(recrawl.second_capture(EDITED))["change"]
    assert edited == {"kind": "changed", "added": 0, "removed": 0, "edited": 1}
    boilerplate = recrawl.metadata(recrawl.second_capture(BOILERPLATE))
    assert boilerplate["change"] == {"kind": "unchanged-text"}
    assert recrawl.second_capture(BOILERPLATE).type == "response"  # the bytes did change
    gone = recrawl.second_capture(REMOVED)
    assert gone.http_status == 404 and recrawl.metadata(gone)["change"] == {"kind": "gone"}
    for path in (NEW_LINKED, NEW_HOME):
        meta = recrawl.metadata(recrawl.second_capture(path))
        assert meta["change"] == {"kind": "new"} and "previous-capture" not in meta


def test_the_run_is_in_the_history_with_its_counts(recrawl: Recrawl) -> None:
    first, second = Collection.open(recrawl.out).runs()
    assert first.outcome == second.outcome == "finished"
    assert first.counts == {"new": 9}
    unchanged = "not-modified" if recrawl.conditional else "identical"
    assert second.counts == {
        "new": 2,
        "changed": 2,  # the edited article and the home page, which links a new one
        "unchanged-text": 1,
        unchanged: len(UNTOUCHED),
        "gone": 1,
    }


def test_replay_of_a_revisit_shows_the_original(recrawl: Recrawl, tmp_path: Path) -> None:
    revisit = recrawl.second_capture(UNTOUCHED[0])
    timestamp = "".join(ch for ch in revisit.headers["WARC-Date"][:19] if ch.isdigit())
    app = make_app(recrawl.out, cache_dir=tmp_path)
    resp = call(app, f"/{timestamp}id_/{revisit.url}")
    assert resp.status == 200
    assert resp.body == recrawl.first_response(UNTOUCHED[0]).payload


def test_every_file_passes_warcio_and_warcloom_check(recrawl: Recrawl) -> None:
    warcio = Path(sys.executable).with_name("warcio")
    for path in recrawl.second.files:
        result = subprocess.run([str(warcio), "check", str(path)], capture_output=True)
        assert result.returncode == 0, result.stdout
    warcloom("check", str(recrawl.out / "collections" / "default" / "archive"))
