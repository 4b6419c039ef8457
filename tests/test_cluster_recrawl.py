"""Incremental recrawls on a cluster: the last captures are shared through Redis, so a host
crawled by one worker last time is recrawled incrementally by whichever worker takes it now
(conditional requests, revisits naming the other worker's records, the right change kinds),
and a Redis outage during look-ups only costs full fetches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import (
    RedisProxy,
    crawl_name,
    redis_or_skip,
    start_workers,
    wait_until,
    worker_args,
)
from crawl_helpers import ArchiveView, Record, warcloom
from news_site import NewsSite
from test_replay import call

from archive.records import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, parse_warc_fields
from archive.replay import make_app
from crawler.cluster import connect
from crawler.cluster._frontier import shared_table_size

EDITED, BOILERPLATE, REMOVED = "/news/1.html", "/news/2.html", "/news/3.html"
NEW_LINKED, NEW_HOME = "/news/new-a.html", "/news/new-b.html"
UNTOUCHED = ["/news/0.html", "/news/4.html", "/news/5.html", "/news/6.html", "/news/7.html"]
LEASE = 3  # seconds; a crawl finished longer ago than this is started afresh
WORKER_TIMEOUT = 240


def _args(sites: list[NewsSite], url: str, name: str, out: Path, *extra: str) -> list[str]:
    return worker_args(
        [site.url("/") for site in sites],
        url,
        name,
        out,
        "--follow",
        "all",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=4",
        "-s",
        f"WARCLOOM_REDIS_LEASE={LEASE}",
        *extra,
    )


def _run(procs: list[subprocess.Popen]) -> None:
    codes = [proc.wait(timeout=WORKER_TIMEOUT) for proc in procs]
    output = "\n".join(Path(p.log_path).read_text() for p in procs)  # type: ignore[attr-defined]
    assert codes == [0] * len(procs), output[-4000:]


def _change_site(site: NewsSite) -> None:
    site.edit(EDITED, 1, "Paragraph two was rewritten: capacity fell by half this year.")
    site.touch_boilerplate(BOILERPLATE)
    site.remove(REMOVED)
    site.add(NEW_LINKED, "New report A", linked_from=EDITED)
    site.add(NEW_HOME, "New report B")


def _archive(out: Path, name: str) -> Path:
    return out / "collections" / name / "archive"


@dataclass
class ClusterRecrawl:
    name: str
    sites: list[NewsSite]  # stopped by now; their URLs and settings are what matter
    first: ArchiveView  # run 1's worker's archive
    second: ArchiveView  # run 2's workers' archives
    stats: list[dict[str, Any]]  # run 2's workers'
    table: dict[str, Any]  # the shared table's size after run 2
    status: str  # ``warcloom status`` after run 2

    def second_capture(self, site: NewsSite, path: str) -> Record:
        (found,) = [
            r
            for r in self.second.records
            if r.url == site.url(path) and r.type in ("response", "revisit")
        ]
        return found

    def first_response(self, site: NewsSite, path: str) -> Record:
        (found,) = [r for r in self.first.of_type("response") if r.url == site.url(path)]
        return found

    def metadata(self, capture: Record) -> dict[str, Any]:
        return parse_warc_fields(self.second.referring("metadata")[capture.id].payload)


def _view(dirs: list[Path]) -> ArchiveView:
    views = [ArchiveView.load(d) for d in dirs if d.exists()]
    return ArchiveView([f for v in views for f in v.files], [r for v in views for r in v.records])


@pytest.fixture(scope="module")
def cluster_recrawl(tmp_path_factory: pytest.TempPathFactory) -> ClusterRecrawl:
    url = redis_or_skip()
    tmp = tmp_path_factory.mktemp("cluster-recrawl")
    # two hosts answer conditional requests, one ignores validators (digest revisits)
    sites = [NewsSite(conditional=n < 2, host=f"127.0.0.{2 + n}") for n in range(3)]
    with crawl_name() as name:
        for site in sites:
            site.__enter__()
        try:
            # run 1: worker A alone captures every host
            first = start_workers(1, lambda n: _args(sites, url, name, tmp / "a"), tmp, first=0)
            _run(first)
            for site in sites:
                _change_site(site)
            time.sleep(LEASE + 0.5)  # run 1 is over for good: run 2 starts afresh
            # run 2: workers B and C, neither of which has a capture of anything
            outs = [tmp / "b", tmp / "c"]
            second = start_workers(3, lambda n: _args(sites, url, name, outs[n - 1]), tmp, first=1)
            _run(second)
            table = shared_table_size(connect(url), name).to_json()
            status = warcloom("status", "--redis", url, "--collection", name)
        finally:
            for site in sites:
                site.__exit__(None, None, None)
    stats = [json.loads((out / "stats.json").read_text()) for out in outs]
    return ClusterRecrawl(
        name,
        sites,
        _view([_archive(tmp / "a", name)]),
        _view([_archive(out, name) for out in outs]),
        stats,
        table,
        status,
    )


def test_untouched_pages_are_revisits_of_the_other_workers_records(
    cluster_recrawl: ClusterRecrawl,
) -> None:
    run = cluster_recrawl
    for site in run.sites:
        profile = REVISIT_NOT_MODIFIED if site.conditional else REVISIT_IDENTICAL
        kind = "not-modified" if site.conditional else "identical"
        for path in UNTOUCHED:
            revisit = run.second_capture(site, path)
            original = run.first_response(site, path)
            assert revisit.type == "revisit", (site.url(path), revisit.http_status)
            assert revisit.headers["WARC-Profile"] == profile
            assert revisit.headers["WARC-Refers-To"] == original.id
            assert revisit.headers["WARC-Refers-To-Target-URI"] == original.url
            assert revisit.headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
            assert revisit.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
            meta = run.metadata(revisit)
            assert meta["change"] == {"kind": kind}
            assert meta["previous-capture"]["record-id"] == original.id
    assert sum(s.get("warcloom/cluster/captures/found", 0) for s in run.stats) > 0
    assert not any(s.get("warcloom/cluster/captures/lookup_failed") for s in run.stats)


def test_conditional_requests_carry_the_validators_of_the_other_workers_capture(
    cluster_recrawl: ClusterRecrawl,
) -> None:
    run = cluster_recrawl
    site = run.sites[0]
    (request,) = [r for r in run.second.of_type("request") if r.url == site.url(UNTOUCHED[0])]
    names = {name.lower() for name, _ in request.http_headers}
    assert {"if-none-match", "if-modified-since"} <= names


def test_each_capture_gets_its_change_kind_against_the_other_workers_capture(
    cluster_recrawl: ClusterRecrawl,
) -> None:
    run = cluster_recrawl
    for site in run.sites:
        edited = run.metadata(run.second_capture(site, EDITED))["change"]
        assert edited == {"kind": "changed", "added": 0, "removed": 0, "edited": 1}
        boilerplate = run.second_capture(site, BOILERPLATE)
        assert boilerplate.type == "response"
        assert run.metadata(boilerplate)["change"] == {"kind": "unchanged-text"}
        gone = run.second_capture(site, REMOVED)
        assert gone.http_status == 404 and run.metadata(gone)["change"] == {"kind": "gone"}
        for path in (NEW_LINKED, NEW_HOME):
            meta = run.metadata(run.second_capture(site, path))
            assert meta["change"] == {"kind": "new"} and "previous-capture" not in meta
    counts: dict[str, int] = {}
    for stats in run.stats:
        for key, value in stats.items():
            if key.startswith("warcloom/change/"):
                kind = key.removeprefix("warcloom/change/")
                counts[kind] = counts.get(kind, 0) + value
    hosts = len(run.sites)
    assert counts == {
        "new": 2 * hosts,
        "changed": 2 * hosts,  # the edited article and the home page (a new link)
        "unchanged-text": hosts,
        "not-modified": len(UNTOUCHED) * 2,
        "identical": len(UNTOUCHED),
        "gone": hosts,
    }


def test_files_pass_checks_over_the_merged_directories_and_a_revisit_replays(
    cluster_recrawl: ClusterRecrawl, tmp_path: Path
) -> None:
    run = cluster_recrawl
    files = run.first.files + run.second.files
    # the directories that hold files: a worker of run 2 may have joined after the other
    # had taken every host, and captured nothing
    dirs = sorted({path.parent for path in files})
    warcio = Path(sys.executable).with_name("warcio")
    for path in files:
        result = subprocess.run([str(warcio), "check", str(path)], capture_output=True)
        assert result.returncode == 0, result.stdout
    warcloom("check", *map(str, dirs))
    # one worker's directory alone: its revisits' originals are in another worker's files
    holder = next(r.filename for r in run.second.records if r.type == "revisit")
    (alone_dir,) = {path.parent for path in run.second.files if path.name == holder}
    alone = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "check", str(alone_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert alone.returncode != 0 and "not in the files checked" in alone.stdout + alone.stderr
    # the merged collection (README, cluster section) replays a revisit as its original
    merged = tmp_path / "merged" / "collections" / run.name
    (merged / "archive").mkdir(parents=True)
    (merged / "indexes").mkdir()
    for path in run.first.files + run.second.files:
        os.link(path, merged / "archive" / path.name)
    warcloom("index", str(merged / "archive"), "-o", str(merged / "indexes" / "index.cdxj"))
    site = run.sites[0]
    revisit = run.second_capture(site, UNTOUCHED[0])
    timestamp = "".join(ch for ch in revisit.headers["WARC-Date"][:19] if ch.isdigit())
    app = make_app(merged.parent.parent, cache_dir=tmp_path / "cache")
    resp = call(app, f"/{timestamp}id_/{revisit.url}")
    assert resp.status == 200
    assert resp.body == run.first_response(site, UNTOUCHED[0]).payload


def test_the_shared_table_outlives_the_crawl(cluster_recrawl: ClusterRecrawl) -> None:
    table = cluster_recrawl.table
    pages = {r.url for r in cluster_recrawl.second.records if r.type in ("response", "revisit")}
    pages |= {r.url for r in cluster_recrawl.first.of_type("response")}
    assert table["urls"] >= len(pages) - len(cluster_recrawl.sites)  # the removed ones: 404
    assert table["analyses"] >= 9 * len(cluster_recrawl.sites)
    assert table["bytes per URL"] > 0
    said = f"last captures shared for recrawls: {table['urls']} URL(s)"
    assert said in cluster_recrawl.status, cluster_recrawl.status


def test_redis_down_during_lookups_costs_full_fetches_only(tmp_path: Path) -> None:
    url = redis_or_skip()
    proxy = RedisProxy(url)
    site = NewsSite(articles=24, host="127.0.0.2")
    try:
        with crawl_name() as name, site:
            _run(start_workers(1, lambda n: _args([site], url, name, tmp_path / "a"), tmp_path))
            time.sleep(LEASE + 0.5)
            # one request at a time, a leased batch of 9 drained over ~0.3 s each: Redis is
            # cut while some are leased and not looked up yet
            second = start_workers(
                2,
                lambda n: _args(
                    [site],
                    proxy.url,
                    name,
                    tmp_path / "b",
                    "-s",
                    "CONCURRENT_REQUESTS=1",
                    "-s",
                    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                    "-s",
                    "DOWNLOAD_DELAY=0.3",
                ),
                tmp_path,
                first=1,
            )
            before = len(site.server.hits)
            wait_until(lambda: len(site.server.hits) >= before + 4, 60, "4 requests of run 2")
            proxy.cut()
            time.sleep(4)
            proxy.restore()
            _run(second)
    finally:
        proxy.close()
    output = Path(second[0].log_path).read_text()  # type: ignore[attr-defined]
    assert "cannot be looked up in Redis" in output and "answers again" in output
    stats = json.loads((tmp_path / "b" / "stats.json").read_text())
    assert stats["finish_reason"] == "finished"
    assert stats.get("warcloom/cluster/captures/lookup_failed", 0) >= 1
    first = _view([_archive(tmp_path / "a", name)])
    second_view = _view([_archive(tmp_path / "b", name)])
    originals = {r.url: r.id for r in first.of_type("response")}
    full = 0
    for path in [f"/news/{i}.html" for i in range(24)]:
        (capture,) = [
            r
            for r in second_view.records
            if r.url == site.url(path) and r.type in ("response", "revisit")
        ]
        meta = parse_warc_fields(second_view.referring("metadata")[capture.id].payload)
        if capture.type == "revisit":  # looked up: a revisit of run 1's capture
            assert capture.headers["WARC-Refers-To"] == originals[capture.url]
            assert meta["change"] == {"kind": "not-modified"}
        else:  # degraded: fetched in full, compared with nothing
            assert capture.http_status == 200 and meta["change"] == {"kind": "new"}
            full += 1
    assert full >= 1
    warcloom("check", str(_archive(tmp_path / "a", name)), str(_archive(tmp_path / "b", name)))


def test_a_collection_crawled_alone_before_shares_its_captures_when_confirmed(
    tmp_path: Path,
) -> None:
    """Run 1 without Redis; run 2 on the cluster by the same worker (revisits of its own
    captures: published with their analyses); run 3 by another worker: revisits of run 1's
    records, and an edited page's counts from run 1's text."""
    url = redis_or_skip()
    site = NewsSite(host="127.0.0.2")
    with crawl_name() as name, site:
        alone = ["--out", str(tmp_path / "a"), "--collection", name, "--follow", "all"]
        warcloom("crawl", site.url("/"), *alone, "--allow-private", "-s", "DOWNLOAD_DELAY=0")
        _run(start_workers(1, lambda n: _args([site], url, name, tmp_path / "a"), tmp_path))
        site.edit(EDITED, 1, "Paragraph two was rewritten: capacity fell by half this year.")
        time.sleep(LEASE + 0.5)
        _run(start_workers(2, lambda n: _args([site], url, name, tmp_path / "b"), tmp_path, 1))
    first = ArchiveView.load(_archive(tmp_path / "a", name))
    originals = {r.url: r for r in first.of_type("response")}  # run 1's (run 2: revisits)
    third = ArchiveView.load(_archive(tmp_path / "b", name))
    for path in UNTOUCHED:
        (revisit,) = [r for r in third.records if r.url == site.url(path) and r.type == "revisit"]
        assert revisit.headers["WARC-Refers-To"] == originals[site.url(path)].id
    (edited,) = [r for r in third.of_type("response") if r.url == site.url(EDITED)]
    meta = parse_warc_fields(third.referring("metadata")[edited.id].payload)
    assert meta["change"] == {"kind": "changed", "added": 0, "removed": 0, "edited": 1}
