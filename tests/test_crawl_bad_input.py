"""Bad input and hostile pages: the crawl goes on, failures are archived and counted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from crawl_helpers import FAST, ArchiveView, load_stats, warcloom

from archive.records import parse_warc_fields
from crawler.sample_site import SampleSite


def crawl(site: SampleSite, seed_path: str, out: Path, *extra: str, env=None) -> dict:
    stats_path = out / "stats.json"
    output = warcloom(
        "crawl",
        site.url(seed_path),
        "--out",
        str(out),
        "--stats-json",
        str(stats_path),
        *FAST,
        *extra,
        env=env,
    )
    stats = load_stats(stats_path)
    stats["_output"] = output
    return stats


def test_bad_pages_are_archived_counted_and_the_crawl_goes_on(tmp_path: Path) -> None:
    with SampleSite(stall_seconds=8) as site:
        manifest = site.manifest
        stats = crawl(
            site,
            manifest.bad_input_page,
            tmp_path,
            "-s",
            "DOWNLOAD_MAXSIZE=1000000",  # /bad/huge.html is ~3 MB
            "-s",
            "DOWNLOAD_TIMEOUT=2",
            "-s",
            "RETRY_ENABLED=False",
        )
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    responses = view.responses_by_url()
    errors = {r.url: parse_warc_fields(r.payload) for r in view.of_type("metadata")}
    assert stats["finish_reason"] == "finished"

    # pages that parse badly still give text, or an error counted in stats; never a crash
    for path in (manifest.malformed_path, manifest.wrong_charset_path, manifest.binary_path):
        (response,) = responses[site.url(path)]
        assert response.http_status == 200
        assert site.url(path) in errors  # a metadata record was written for it
    # a page whose declared charset is wrong (GBK labelled UTF-8) is read as GBK
    wrong = site.url(manifest.wrong_charset_path)
    (wrong_response,) = responses[wrong]
    fields = view.metadata_fields(wrong_response)
    assert fields["charset-declared"] == "utf-8" and fields["charset"].startswith("gb")
    assert fields["languages"][0]["tag"] == "zh-Hans"
    expected = next(a for a in manifest.extra_articles if a.path == manifest.wrong_charset_path)
    assert expected.paragraphs[0] in view.text(wrong_response)
    # over the size cap: not fetched whole, the failure and the cap are archived
    huge = errors[site.url(manifest.huge_path)]
    assert huge["download-maxsize"] == 1000000
    assert "fetch-error" in huge
    # reset: archived as an error (request record + error metadata)
    reset = site.url(manifest.reset_path)
    assert "fetch-error" in errors[reset]
    request_ids = {r.id for r in view.of_type("request") if r.url == reset}
    error_record = next(r for r in view.of_type("metadata") if r.url == reset)
    assert error_record.headers["WARC-Concurrent-To"] in request_ids
    # a short body, and a body stalled past DOWNLOAD_TIMEOUT, are kept, flagged
    # truncated (disconnect / time), with their real length
    (short,) = responses[site.url(manifest.short_path)]
    assert short.headers["WARC-Truncated"] == "disconnect"
    assert ("X-Crawler-Content-Length", "5000") in short.http_headers
    assert ("Content-Length", str(len(short.payload))) in short.http_headers
    (stalled,) = responses[site.url(manifest.stall_path)]
    assert stalled.headers["WARC-Truncated"] == "time"
    assert stalled.payload
    assert ("Content-Length", str(len(stalled.payload))) in stalled.http_headers
    declared = dict(stalled.http_headers)["X-Crawler-Content-Length"]
    assert len(stalled.payload) < int(declared)
    assert stats["warcloom/captures/truncated"] == 2
    assert stats["warcloom/fetch_errors"] >= 2
    # each failure is logged once with its URL
    for path in (manifest.reset_path, manifest.huge_path):
        assert stats["_output"].count(f"Fetch failed for {site.url(path)}") == 1
    warcio = str(Path(sys.executable).parent / "warcio")
    for path in view.files:
        assert subprocess.run([warcio, "check", str(path)]).returncode == 0


def test_private_addresses_are_refused_before_any_connection(tmp_path: Path) -> None:
    with SampleSite(proxy=True) as site:
        manifest = site.manifest
        # every request goes through the site's proxy: anything that is not refused
        # would show up in site.leaked instead of leaving the machine
        env = {"http_proxy": site.base_url, "https_proxy": site.base_url, "no_proxy": ""}
        stats = crawl(site, manifest.ssrf_page, tmp_path, "--follow", "all", env=env)
        leaked = list(site.leaked)
    assert leaked == []
    refused = stats["warcloom/refused/private_address"]
    assert refused == len(manifest.ssrf_targets)
    for target in manifest.ssrf_targets:
        assert f"Refused {target}" in stats["_output"]
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    archived = {r.url for r in view.records}
    assert not archived & set(manifest.ssrf_targets)


def test_allow_private_lifts_the_rule(tmp_path: Path) -> None:
    with SampleSite(proxy=True) as site:
        targets = site.manifest.ssrf_targets
        hosts = ["127.0.0.1", *(urlsplit(url).hostname for url in targets)]
        env = {"http_proxy": site.base_url, "https_proxy": site.base_url, "no_proxy": ""}
        stats = crawl(
            site,
            site.manifest.ssrf_page,
            tmp_path,
            "--follow",
            "all",
            "--allow-private",
            "--domains",
            *hosts,
            "-s",
            "RETRY_ENABLED=False",
            env=env,
        )
        leaked = set(site.leaked)
    assert "warcloom/refused/private_address" not in stats
    # the test's proxy caught them (and answered 502): with the rule lifted they were sent
    assert {url for url in targets if "localdomain" not in url} <= leaked
