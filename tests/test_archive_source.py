"""Replay into spiders: lookups, the download handler, the add-on, and a whole crawl of the
sample site replayed from its archive with the site stopped and no socket opened."""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from crawl_helpers import FAST, ArchiveView, load_stats, warcloom
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warc_fixtures import (
    Capture,
    WarcBuilder,
    html_page,
    make_collection,
    sample_captures,
    warc_name,
    write_warc,
)

from archive.collection import Collection
from archive.records import HttpExchange, build_capture, parse_warc_fields
from crawler.archive_source import (
    HANDLER,
    HIT_FLAG,
    MISS_FLAG,
    ArchiveDownloadHandler,
    ArchiveReplayAddon,
    ArchiveSource,
    ReplayOptions,
)
from crawler.capture import CAPTURE_DATE, RESPONSE_ID, WarcCaptureMiddleware
from crawler.safety import PrivateAddressMiddleware
from crawler.sample_site import SampleSite


def replay_args(archive: Path) -> list[str]:
    """Options of a replayed crawl."""
    return ["--from-archive", str(archive)]


# ---------------------------------------------------------------------------
# a small collection built by hand


@dataclass
class Fixture:
    collection: Path
    captures: dict[str, Capture]
    ids: dict[str, str]


OLD = Capture(
    "http://example.com/twice",
    html_page("Old twice"),
    date="2023-01-01T00:00:00Z",
    title="Old twice",
)
NEW = Capture(
    "http://example.com/twice",
    html_page("New twice"),
    date="2024-06-01T00:00:00Z",
    title="New twice",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    root = tmp_path_factory.mktemp("small")
    coll = make_collection(root, "c")
    caps = {c.url: c for c in sample_captures()}
    write_warc(coll / "archive" / warc_name(0), caps.values())
    ids: dict[str, str] = {}
    with WarcBuilder(coll / "archive" / warc_name(1)) as b:
        b.warcinfo()
        b.capture(OLD)
        b.capture(NEW)
        home = caps["http://example.com/"]
        ids["revisit"] = b.revisit(
            Capture("http://example.com/", date="2024-07-01T00:00:00Z"),
            home,
            "2024-07-01T00:00:00Z",
        )
        ids["resource"] = b.resource("http://example.com/data.txt", b"plain data", "text/plain")
        exchange = HttpExchange(
            url="http://example.com/cookies",
            method="GET",
            request_target="/cookies",
            request_headers=[(b"Host", b"example.com")],
            request_body=b"",
            protocol="HTTP/1.1",
            status=302,
            response_headers=[
                (b"Location", b"/"),
                (b"Set-Cookie", b"a=1"),
                (b"Set-Cookie", b"b=2"),
            ],
            body=b"",
            date=datetime(2024, 5, 2, tzinfo=UTC),
            ip_address="10.1.2.3",
        )
        response, request = build_capture(exchange)
        b.writer.write_record(request)
        b.writer.write_record(response)
        ids["cookies"] = response.rec_headers.get_header("WARC-Record-ID")
    Collection.open(coll).rebuild_index()
    return Fixture(coll, caps, ids)


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name.lower()]


def test_stored_status_headers_and_body(small: Fixture) -> None:
    found = ArchiveSource(small.collection).get("http://example.com/style.css")
    assert found is not None
    stored, body = found
    assert (stored.status, stored.protocol) == (200, "HTTP/1.1")
    assert body == b"body { color: red }"
    assert header_values(stored.headers, "Content-Type") == ["text/css"]
    assert stored.ip_address == "127.0.0.1"
    assert stored.record_id == small.captures["http://example.com/style.css"].ids["response"]


def test_repeated_headers_are_kept_and_redirects_replay_as_redirects(small: Fixture) -> None:
    found = ArchiveSource(small.collection).get("http://example.com/cookies")
    assert found is not None
    stored, _ = found
    assert stored.status == 302
    assert header_values(stored.headers, "Set-Cookie") == ["a=1", "b=2"]
    assert header_values(stored.headers, "Location") == ["/"]
    assert stored.ip_address == "10.1.2.3"


def test_gzip_body_stays_content_encoded(small: Fixture) -> None:
    url = "https://news.example.org/2024/hangzhou?id=7"
    found = ArchiveSource(small.collection).get(url)
    assert found is not None
    stored, body = found
    assert header_values(stored.headers, "Content-Encoding") == ["gzip"]
    assert gzip.decompress(body) == small.captures[url].body


def test_chunked_body_is_dechunked_and_transfer_encoding_dropped(small: Fixture) -> None:
    url = "http://example.com/chunked"
    response = asyncio.run(make_handler(small.collection).download_request(Request(url)))
    assert response.body == small.captures[url].body
    assert response.headers.getlist("Transfer-Encoding") == []
    assert response.headers.getlist("Content-Length") == [str(len(response.body)).encode()]


def test_newest_capture_by_default_and_nearest_to_a_timestamp(small: Fixture) -> None:
    newest = ArchiveSource(small.collection).get(OLD.url)
    assert newest is not None and b"New twice" in newest[1]
    old = ArchiveSource(small.collection, timestamp="2023").get(OLD.url)
    assert old is not None and b"Old twice" in old[1]
    assert old[0].record_id == OLD.ids["response"]
    near_new = ArchiveSource(small.collection, timestamp="20240501").get(OLD.url)
    assert near_new is not None and b"New twice" in near_new[1]


def test_revisit_resolves_to_the_original_payload(small: Fixture) -> None:
    home = small.captures["http://example.com/"]
    found = ArchiveSource(small.collection).get(home.url)  # newest: the revisit
    assert found is not None
    stored, body = found
    assert stored.record_id == small.ids["revisit"]
    assert stored.original_id == home.ids["response"]
    assert stored.status == 200
    assert body == home.body
    older = ArchiveSource(small.collection, timestamp="20240501").get(home.url)
    assert older is not None and older[0].original_id is None


def test_resource_record_and_head_and_miss(small: Fixture) -> None:
    source = ArchiveSource(small.collection)
    resource = source.get("http://example.com/data.txt")
    assert resource is not None
    assert (resource[0].status, resource[1]) == (200, b"plain data")
    assert header_values(resource[0].headers, "Content-Type") == ["text/plain"]
    request = Request("http://example.com/style.css", method="HEAD")
    head = asyncio.run(make_handler(small.collection).download_request(request))
    assert head.status == 200 and head.body == b""
    assert head.headers.getlist("Content-Length") == [b"19"]  # the stored payload's
    assert source.get("http://example.com/nowhere") is None
    assert source.get("http://other.example/") is None


def test_open_collection(tmp_path: Path, small: Fixture) -> None:
    def resolve_collection(path: Path) -> Path:
        return Collection.open(path).root

    out = small.collection.parent.parent
    assert resolve_collection(small.collection) == small.collection
    assert resolve_collection(out) == small.collection
    make_collection(tmp_path, "a")
    make_collection(tmp_path, "b")
    with pytest.raises(ValueError, match="several collections"):
        resolve_collection(tmp_path)
    with pytest.raises(ValueError, match="not a collection"):
        resolve_collection(tmp_path / "collections" / "a" / "indexes")
    no_index = make_collection(tmp_path / "x", "c")
    with pytest.raises(ValueError, match="no index"):
        ArchiveSource(no_index)


def test_replay_options_check_the_timestamp(small: Fixture) -> None:
    settings = Settings({"WARCLOOM_FROM_ARCHIVE": str(small.collection)})
    assert ReplayOptions.from_settings(settings).timestamp is None
    settings.set("WARCLOOM_ARCHIVE_TIMESTAMP", "2024-05")
    with pytest.raises(ValueError, match="1-14 digits"):
        ReplayOptions.from_settings(settings)
    with pytest.raises(ValueError, match="needs WARCLOOM_FROM_ARCHIVE"):
        ReplayOptions.from_settings(Settings())


# ---------------------------------------------------------------------------
# the handler and the add-on


def make_handler(collection: Path, **settings: Any) -> ArchiveDownloadHandler:
    crawler = get_crawler(settings_dict={"WARCLOOM_FROM_ARCHIVE": str(collection), **settings})
    return ArchiveDownloadHandler.from_crawler(crawler)


def test_handler_hit_carries_flags_ip_meta_and_counts(small: Fixture) -> None:
    handler = make_handler(small.collection)
    request = Request("http://example.com/cookies")
    response = asyncio.run(handler.download_request(request))
    assert response.status == 302
    assert response.flags == [HIT_FLAG]
    assert response.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
    assert str(response.ip_address) == "10.1.2.3"
    assert response.protocol == "HTTP/1.1"
    assert request.meta[RESPONSE_ID] == small.ids["cookies"]
    assert request.meta[CAPTURE_DATE] == datetime(2024, 5, 2, tzinfo=UTC)
    page = asyncio.run(handler.download_request(Request("http://example.com/")))
    assert page.status == 200 and type(page).__name__ == "HtmlResponse"
    stats = handler.crawler.stats.get_stats()
    assert stats["warcloom/archive/hit"] == 2
    assert stats["warcloom/archive/revisit"] == 1


def test_handler_miss_is_a_404_with_a_stat(small: Fixture) -> None:
    handler = make_handler(small.collection)
    request = Request("http://example.com/nowhere")
    response = asyncio.run(handler.download_request(request))
    assert response.status == 404
    assert response.flags == [MISS_FLAG]
    assert RESPONSE_ID not in request.meta
    assert handler.crawler.stats.get_value("warcloom/archive/miss") == 1


def test_handler_honours_the_timestamp(small: Fixture) -> None:
    handler = make_handler(small.collection, WARCLOOM_ARCHIVE_TIMESTAMP="20230101")
    response = asyncio.run(handler.download_request(Request(OLD.url)))
    assert b"Old twice" in response.body


def addon_settings(**cmdline: Any) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", PrivateAddressMiddleware, 40)
    settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", WarcCaptureMiddleware, 950)
    settings.setdict(cmdline, priority="cmdline")
    return settings


def enabled_middlewares(settings: Settings) -> set[Any]:
    return {k for k, v in settings.getwithbase("DOWNLOADER_MIDDLEWARES").items() if v is not None}


def test_addon_wires_replay_only_when_asked(small: Fixture) -> None:
    untouched = addon_settings()
    ArchiveReplayAddon().update_settings(untouched)
    assert {PrivateAddressMiddleware, WarcCaptureMiddleware} <= enabled_middlewares(untouched)
    assert untouched.getwithbase("DOWNLOAD_HANDLERS").get("http") != HANDLER

    settings = addon_settings(WARCLOOM_FROM_ARCHIVE=str(small.collection), DOWNLOAD_TIMEOUT=3)
    settings.set("DOWNLOAD_DELAY", 2.5, priority="cmdline")
    ArchiveReplayAddon().update_settings(settings)
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert handlers["http"] == handlers["https"] == HANDLER
    assert not {PrivateAddressMiddleware, WarcCaptureMiddleware} & enabled_middlewares(settings)
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is False
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.5  # given on the command line: kept

    keep = addon_settings(
        WARCLOOM_FROM_ARCHIVE=str(small.collection), WARCLOOM_ARCHIVE_CAPTURE=True
    )
    ArchiveReplayAddon().update_settings(keep)
    assert WarcCaptureMiddleware in enabled_middlewares(keep)

    with pytest.raises(ValueError):
        ArchiveReplayAddon().update_settings(addon_settings(WARCLOOM_FROM_ARCHIVE="/nonexistent"))


# ---------------------------------------------------------------------------
# end to end: crawl the sample site, stop it, crawl it again from the archive

GUARD = """\
import errno, os, socket

_LOG = os.environ["WARCLOOM_CONNECT_LOG"]
_INET = (socket.AF_INET, socket.AF_INET6)


def _note(what):
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()} {what}\\n")


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def connect(self, address):
    if self.family in _INET:
        _note(f"connect {address!r}")
        raise ConnectionRefusedError(errno.ECONNREFUSED, "no network in this test")
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in _INET:
        _note(f"connect {address!r}")
        return errno.ECONNREFUSED
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
_note("guard loaded")
"""


@dataclass
class Replay:
    seed: str
    missing: str
    port: int
    original: ArchiveView
    original_stats: dict[str, Any]
    replayed: ArchiveView
    stats: dict[str, Any]
    connect_log: list[str]
    strace_log: str | None


def guarded_run(
    args: list[str], guard_dir: Path, log: Path, strace_out: Path | None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(guard_dir), os.environ.get("PYTHONPATH")])),
        "WARCLOOM_CONNECT_LOG": str(log),
    }
    command = [sys.executable, *args]
    if strace_out is not None:
        command = [
            "strace", "-f", "-qq", "-e", "trace=connect", "-e", "signal=none",
            "-o", str(strace_out), *command,
        ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    root = tmp_path_factory.mktemp("replay")
    original_out, replay_out = root / "original", root / "replayed"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        missing = site.url("/never-archived.html")
        port = site.port
        warcloom(
            "crawl", seed, "--out", str(original_out), "--collection", "news",
            "--stats-json", str(root / "original.json"), *FAST,
        )  # fmt: skip
    # the site is stopped: nothing answers on its port any more
    guard_dir = root / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = root / "connects.log"
    strace_out = root / "strace.log" if shutil.which("strace") else None
    result = guarded_run(
        [
            "-m", "crawler.cli", "crawl", seed, missing, "--out", str(replay_out),
            "--collection", "news", "--stats-json", str(root / "replayed.json"),
            "-s", "WARCLOOM_WORKERS=2", *replay_args(original_out),
        ],
        guard_dir, log, strace_out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return Replay(
        seed=seed,
        missing=missing,
        port=port,
        original=ArchiveView.load(original_out / "collections" / "news" / "archive"),
        original_stats=load_stats(root / "original.json"),
        replayed=ArchiveView.load(replay_out / "collections" / "news" / "archive"),
        stats=load_stats(root / "replayed.json"),
        connect_log=log.read_text().splitlines(),
        strace_log=strace_out.read_text() if strace_out else None,
    )


def analysed(view: ArchiveView) -> dict[str, tuple[str, list[str]]]:
    """url -> (title, language tags) from the metadata records of analysed pages."""
    out = {}
    for record in view.of_type("metadata"):
        fields = parse_warc_fields(record.payload)
        if "title" in fields:
            out[record.url] = (fields["title"], [x["tag"] for x in fields.get("languages", [])])
    return out


def test_replay_analyses_the_same_pages_with_the_same_titles_and_languages(
    replay: Replay,
) -> None:
    original, replayed = analysed(replay.original), analysed(replay.replayed)
    assert len(original) >= 50
    assert replayed == original
    assert replay.stats["finish_reason"] == "finished"
    for key, value in replay.original_stats.items():
        if key == "warcloom/pages" or key.startswith("warcloom/pages/lang/"):
            assert replay.stats.get(key) == value, key


def test_replay_counts_hits_and_misses(replay: Replay) -> None:
    stats = replay.stats
    # every archived exchange is asked for again (the retried 500 twice, as before) ...
    assert stats["warcloom/archive/hit"] == replay.original_stats["warcloom/captures"]
    # ... and the one seed that was never crawled is a miss
    assert stats["warcloom/archive/miss"] == 1
    assert stats["downloader/response_status_count/404"] == (
        replay.original_stats["downloader/response_status_count/404"] + 1
    )
    # robots.txt came from the archive: the same paths are refused
    assert stats["robotstxt/forbidden"] == replay.original_stats["robotstxt/forbidden"]


def test_replay_writes_no_captures_only_analysis_of_the_archived_responses(
    replay: Replay,
) -> None:
    assert "warcloom/captures" not in replay.stats
    assert not replay.replayed.of_type("response") and not replay.replayed.of_type("request")
    original_ids = {r.id for r in replay.original.of_type("response")}
    referred = {r.headers["WARC-Refers-To"] for r in replay.replayed.of_type("metadata")}
    assert referred and referred <= original_ids


def test_replay_opens_no_socket_to_the_site(replay: Replay) -> None:
    assert any("guard loaded" in line for line in replay.connect_log)
    attempts = [line for line in replay.connect_log if " connect " in line]
    assert attempts == []
    if replay.strace_log is None:
        pytest.skip("strace not installed: checked at the Python socket level only")
    assert f"htons({replay.port})" not in replay.strace_log
    inet = [line for line in replay.strace_log.splitlines() if "AF_INET" in line]
    assert inet == []  # no TCP/UDP connect of any kind, not even DNS


def test_the_socket_checks_would_see_a_connection(tmp_path: Path, replay: Replay) -> None:
    """Control: the same instruments catch a plain connect to the (stopped) site."""
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "connects.log"
    strace_out = tmp_path / "strace.log" if shutil.which("strace") else None
    code = (
        "import socket, sys\n"
        f"s = socket.socket(); print(s.connect_ex(('127.0.0.1', {replay.port})))\n"
        "import _socket\n"
        f"raw = _socket.socket(); print(raw.connect_ex(('127.0.0.1', {replay.port})))\n"
    )
    result = guarded_run(["-c", code], guard_dir, log, strace_out)
    assert result.returncode == 0, result.stderr
    assert f"connect ('127.0.0.1', {replay.port})" in log.read_text()
    if strace_out is not None:  # the C-level socket bypasses the Python guard, not strace
        assert f"htons({replay.port})" in strace_out.read_text()


def test_from_archive_writes_next_to_the_archive_unless_told_where(tmp_path: Path) -> None:
    out = tmp_path / "original"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        warcloom("crawl", seed, "--out", str(out), "--depth", "1", *FAST)
    coll = Collection.open(out)
    before = set(coll.files())
    # no --out: the analysis goes into the archive it replays, beside its responses
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", seed, "--depth", "1", *FAST,
         *replay_args(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert not (tmp_path / "warcloom-data").exists()
    added = set(coll.files()) - before
    assert len(added) == 1 and len(coll.runs()) == 2
    # another --out: said, in one line, that it refers to responses it does not hold
    other = tmp_path / "elsewhere"
    said = warcloom("crawl", seed, "--out", str(other), "--depth", "1", *FAST, *replay_args(out))
    assert f"refer to responses in {coll.root}" in said
