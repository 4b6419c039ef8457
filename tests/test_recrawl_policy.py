"""The revisit policy: --revisit-after, adaptive intervals, sitemap <lastmod>."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from crawl_helpers import FAST, load_stats, warcloom
from news_site import NewsSite

from archive.collection import Collection
from crawler.durations import parse_duration
from crawler.recrawl import RevisitIntervals

ARTICLES = [f"/news/{i}.html" for i in range(8)]


def _crawl(site: NewsSite, out: Path, *args: str) -> dict:
    stats = out / "stats.json"
    warcloom(
        "crawl",
        "--out",
        str(out),
        "--follow",
        "all",
        "--allow-private",
        "--stats-json",
        str(stats),
        *FAST,
        *args,
    )
    return load_stats(stats)


def _article_hits(site: NewsSite) -> list[str]:
    return [p for p in site.server.paths() if p.startswith("/news/")]


def test_revisit_after_requests_no_recent_page_but_follows_their_links(tmp_path: Path) -> None:
    with NewsSite() as site:
        _crawl(site, tmp_path, site.url("/"))
        assert sorted(set(_article_hits(site))) == ARTICLES
        site.server.hits.clear()
        stats = _crawl(site, tmp_path, site.url("/"), "--revisit-after", "1h")
    assert _article_hits(site) == []  # captured minutes ago: not due
    assert stats["warcloom/recrawl/not_requested"] == len(ARTICLES)  # all reached
    assert stats.get("warcloom/captures/status/200", 0) <= 2  # the seed and robots.txt


def test_sitemap_lastmod_older_than_the_capture_skips_the_page(tmp_path: Path) -> None:
    with NewsSite() as site:
        _crawl(site, tmp_path, "--sitemap", site.url("/sitemap.xml"))
        site.edit("/news/3.html", 0, "The first paragraph, rewritten after the first crawl.")
        site.server.hits.clear()
        stats = _crawl(site, tmp_path, "--sitemap", site.url("/sitemap.xml"))
    assert _article_hits(site) == ["/news/3.html"]  # the only one modified since
    assert stats["warcloom/change/changed"] == 1
    assert stats["warcloom/recrawl/not_requested"] == len(ARTICLES) - 1


def test_adaptive_intervals_double_while_unchanged_and_reset_on_change(tmp_path: Path) -> None:
    intervals = RevisitIntervals(tmp_path / "r.sqlite", minimum=60, maximum=300)
    assert intervals.interval("u") == 60
    for expected in (120, 240, 300, 300):
        intervals.record("u", "not-modified")
        assert intervals.interval("u") == expected
    intervals.record("u", "changed")
    assert intervals.interval("u") == 60
    intervals.record("u", "identical")
    intervals.record("u", "gone")
    assert intervals.interval("u") == 60
    intervals.close()


def test_adaptive_crawl_keeps_intervals_with_the_collection(tmp_path: Path) -> None:
    with NewsSite() as site:
        _crawl(site, tmp_path, site.url("/"))
        site.edit("/news/3.html", 0, "The first paragraph, rewritten after the first crawl.")
        # every page is due (1s), unchanged ones then wait 2s, the changed one 1s
        _crawl(site, tmp_path, site.url("/"), "--revisit", "adaptive", "--revisit-min", "1s")
        state = Collection.under(tmp_path, "default").revisit_state_path
        rows = dict(sqlite3.connect(state).execute("SELECT url, seconds FROM intervals"))
        assert rows[site.url("/news/3.html")] == 1
        assert rows[site.url("/news/5.html")] == 2
        site.server.hits.clear()
        stats = _crawl(
            site, tmp_path, site.url("/"), "--revisit", "adaptive", "--revisit-min", "1h"
        )
    assert _article_hits(site) == []
    assert stats["warcloom/recrawl/not_requested"] == len(ARTICLES)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("6h", 21600), ("1d", 86400), ("1h30m", 5400)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0s", "5", "1y", "-1h", "h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
