"""The warcinfo record says what is true of its file: wire-faithful heads, or rebuilt ones
(with the fallback logged and counted)."""

from __future__ import annotations

import json
from pathlib import Path

from crawl_helpers import FAST, load_stats, warcloom
from warcio.archiveiterator import ArchiveIterator

from crawler.sample_site import SampleSite
from crawler.warcstore import FIDELITY_NOTES

SCRAPY_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"


def _crawl(out: Path, *args: str) -> tuple[str, dict, str]:
    with SampleSite() as site:
        said = warcloom(
            "crawl", site.url(site.manifest.seed_path), "--depth", "0", "--out", str(out),
            "--stats-json", str(out / "stats.json"), *FAST, *args,
        )  # fmt: skip
    (path,) = sorted((out / "collections" / "default" / "archive").glob("*.warc.gz"))
    with open(path, "rb") as fh:
        info = next(iter(ArchiveIterator(fh))).content_stream().read().decode()
    return " ".join(info.split()), load_stats(out / "stats.json"), said


def test_the_wire_handler_is_said_to_keep_heads_as_received(tmp_path: Path) -> None:
    info, stats, _ = _crawl(tmp_path)
    assert " ".join(FIDELITY_NOTES[True].split()) in info
    assert "warcloom/wire/fallback" not in stats


def test_scrapys_own_handler_is_said_to_rebuild_heads(tmp_path: Path) -> None:
    handlers = json.dumps({"http": SCRAPY_HANDLER, "https": SCRAPY_HANDLER})
    info, stats, said = _crawl(tmp_path, "-v", "-s", f"DOWNLOAD_HANDLERS={handlers}")
    assert " ".join(FIDELITY_NOTES[False].split()) in info
    assert stats["warcloom/wire/fallback"] == 1
    assert said.count("wire-faithful HTTP handler is not in use") == 1
