"""The cluster's shared last-captures table against a real Redis (no crawl): what one worker
publishes another reads, an analysis of another payload is never taken for the capture's,
and an outage costs look-ups (misses) and delays publishing, nothing more."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cluster_helpers import RedisProxy, crawl_name, redis_or_skip

from archive.analysis import text_hash
from archive.collection import Collection, LastCapture, LastCaptures, Outlinks
from archive.collection._lastcaptures import encode_analysis, encode_capture, url_key
from archive.links import Link
from crawler.cluster import RedisDown, RedisGuard, connect
from crawler.cluster._captures import RedisLastCaptures
from crawler.cluster._frontier import shared_table_size

URL = "http://news.test/2026/mills.html"


def capture(payload_id: str, day: int = 5) -> LastCapture:
    return LastCapture(
        url=URL,
        record_id=payload_id,
        date=datetime(2026, 1, day, 8, tzinfo=UTC),
        status=200,
        digest="ABCDEF",
        etag='"v1"',
        last_modified=None,
        text_hash=None,
        payload_id=payload_id,
        payload_date=f"2026-01-0{day}T08:00:00Z",
    )


def table(url: str, name: str) -> RedisLastCaptures:
    guard = RedisGuard(url, 300, lambda message: None)
    return RedisLastCaptures(connect(url), f"warcloom:{name}:", guard)


def last_captures(tmp_path: Path, shared: RedisLastCaptures) -> LastCaptures:
    coll = Collection.under(tmp_path / "out", "news")
    coll.make_dirs()
    found = LastCaptures(coll)
    found.share(shared)
    return found


def test_what_one_worker_publishes_another_reads(tmp_path: Path) -> None:
    url = redis_or_skip()
    links = Outlinks([Link("http://news.test/2026/other.html", "content", "")], ["/a.css"])
    with crawl_name() as name:
        writer = table(url, name)
        writer.publish(url_key(URL), encode_capture(capture("<urn:uuid:1>")), None)
        writer.publish(url_key(URL), None, encode_analysis("<urn:uuid:1>", links, "Mills."))
        assert writer.fetch(url_key(URL))[0] is not None  # its own, not sent yet
        reader = last_captures(tmp_path, table(url, name))
        assert reader.get(URL) is None
        writer.send()
        found = reader.get(URL)
        assert found is not None and found.payload_id == "<urn:uuid:1>"
        assert found.text_hash == text_hash("Mills.")  # from the analysis of that payload
        assert reader.outlinks(found) == links
        assert reader.text(found) == "Mills."
        size = shared_table_size(connect(url), name)
        assert (size.urls, size.analyses) == (1, 1) and size.bytes_per_url > 0
        reader.close()


def test_an_analysis_of_another_payload_is_not_the_captures(tmp_path: Path) -> None:
    url = redis_or_skip()
    with crawl_name() as name:
        shared = table(url, name)
        old = Outlinks([Link("http://news.test/old.html", "content", "")], [])
        shared.publish(url_key(URL), None, encode_analysis("<urn:uuid:1>", old, "Old text."))
        shared.publish(url_key(URL), encode_capture(capture("<urn:uuid:2>", day=6)), None)
        shared.send()
        reader = last_captures(tmp_path, table(url, name))
        found = reader.get(URL)
        assert found is not None and found.payload_id == "<urn:uuid:2>"
        assert found.text_hash is None
        assert reader.outlinks(found) == Outlinks([], [])  # not the old page's links
        assert reader.text(found) == ""
        reader.close()


def test_the_newer_of_the_local_and_the_shared_capture_wins(tmp_path: Path) -> None:
    url = redis_or_skip()
    with crawl_name() as name:
        shared = table(url, name)
        reader = last_captures(tmp_path, shared)
        reader._put(url_key(URL), capture("<urn:uuid:local>", day=5))
        shared.publish(url_key(URL), encode_capture(capture("<urn:uuid:other>", day=7)), None)
        shared.send()
        assert reader.get(URL).payload_id == "<urn:uuid:other>"  # type: ignore[union-attr]
        shared.publish(url_key(URL), encode_capture(capture("<urn:uuid:other>", day=3)), None)
        shared.send()
        assert reader.get(URL).payload_id == "<urn:uuid:local>"  # type: ignore[union-attr]
        reader.close()


def test_an_outage_misses_lookups_and_keeps_what_is_unpublished(tmp_path: Path) -> None:
    url = redis_or_skip()
    proxy = RedisProxy(url)
    try:
        with crawl_name() as name:
            shared = table(proxy.url, name)
            shared.publish(url_key(URL), encode_capture(capture("<urn:uuid:1>")), None)
            shared.send()
            proxy.cut()
            assert shared.fetch(url_key(URL)) == (None, None)  # a miss: fetched in full
            assert shared.guard.down
            shared.publish(url_key(URL), encode_capture(capture("<urn:uuid:2>", day=6)), None)
            with pytest.raises(RedisDown):
                shared.send()
            assert shared.pending == 1
            proxy.restore()
            deadline = time.monotonic() + 10
            while shared.pending and time.monotonic() < deadline:
                try:
                    shared.send()
                except RedisDown:
                    time.sleep(0.2)
            assert shared.pending == 0 and not shared.guard.down
            fresh = table(url, name)
            assert fresh.fetch(url_key(URL))[0] == encode_capture(capture("<urn:uuid:2>", day=6))
    finally:
        proxy.close()
