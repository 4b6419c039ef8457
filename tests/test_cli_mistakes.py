"""A user's mistake is one line on stderr, exit 2 and nothing left behind; the exit codes
are one contract across commands (0 ok, 1 damage or failed items, 2 bad arguments)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from warc_fixtures import (
    corrupted_copy,
    make_collection,
    sample_captures,
    warc_name,
    write_warc,
)

from archive.collection import Collection

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_ENABLED=False", "-s", "WARCLOOM_PROGRESS=off"]


def _cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``warcloom ARGS`` in a fresh interpreter, run from ``cwd``."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        timeout=timeout,
    )


def _assert_mistake(run: subprocess.CompletedProcess[str], where: Path, *said: str) -> None:
    """Exit 2, one line on stderr saying ``said``, no traceback, nothing created."""
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    assert run.stderr.startswith("warcloom") and run.stderr.count("\n") == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    for text in said:
        assert text in run.stderr
    left = [p for p in where.rglob("*") if p.name in ("collections", "state")]
    assert not left


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """An indexed collection under ``tmp_path/data``."""
    coll = make_collection(tmp_path / "data")
    write_warc(coll / "archive" / warc_name(1), sample_captures())
    Collection.open(coll).rebuild_index()
    return coll


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty working directory: whatever a failed command creates shows up here."""
    path = tmp_path / "work"
    path.mkdir()
    return path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- 1. replay --------------------------------------------------------------------------------


def test_replay_on_a_port_in_use(collection: Path, work: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        run = _cli(work, "replay", str(collection), "--port", port)
    _assert_mistake(run, work, f"--port {port}", "in use")


# -- 2-7. crawl: checked before anything is created -------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from-archive", "/nonexistent"], ["--from-archive", "/nonexistent"]),
        (["--from-archive", "{work}"], ["--from-archive"]),
        (["--from-archive", "{coll}", "--archive-timestamp", "May"], ["WARCLOOM_ARCHIVE_TIME"]),
        (["--out", "{work}/file"], ["--out {work}/file", "not a directory"]),
        (["--out", "/proc/warcloom/out"], ["--out /proc/warcloom/out"]),
        (["-s", "DOWNLOAD_DELAY=abc"], ["DOWNLOAD_DELAY", "a number", "'abc'"]),
        (["-s", "WARCLOOM_WORKERS=zero"], ["WARCLOOM_WORKERS", "an integer", "'zero'"]),
        (["-s", "ROBOTSTXT_OBEY=maybe"], ["ROBOTSTXT_OBEY", "true or false"]),
        (["-s", "WARCLOOM_FRONTIER_COMMIT_INTERVAL=soon"], ["COMMIT_INTERVAL", "a number"]),
        (["-s", "WARCLOOM_FOLLOW=everything"], ["WARCLOOM_FOLLOW must be one of"]),
        (["-s", "NOEQUALS"], ["-s expects NAME=VALUE"]),
        (["--seeds-file", "/nonexistent"], ["--seeds-file /nonexistent", "No such file"]),
        (["--seeds-file", "{work}"], ["--seeds-file {work}"]),
        (["--seeds-file", "{work}/latin1.txt"], ["--seeds-file {work}/latin1.txt", "UTF-8"]),
        (["--seeds-file", "{work}/empty.txt"], ["--seeds-file {work}/empty.txt", "no URL"]),
        (["--seeds-file", "{work}/bad.txt"], ["{work}/bad.txt:2: news.example/today has no"]),
        (["--depth", "-1"], ["--depth -1", "0 means no limit"]),
        (["--requisites-hosts", "cdn.example"], ["--requisites-hosts needs --requisites all"]),
        (["-s", "WARCLOOM_REQUISITES=some"], ["requisites must be one of"]),
        (["-s", "WARCLOOM_REQUISITE_MAXSIZE=-1"], ["requisite max size must be >= 0"]),
        (["--stats-json", "/proc/warcloom/s.json"], ["--stats-json /proc/warcloom/s.json"]),
        (["--follow", "everything"], ["--follow", "invalid choice", "--help"]),
    ],
)
def test_crawl_mistakes(collection: Path, work: Path, args: list[str], said: list[str]) -> None:
    (work / "file").write_text("")
    (work / "latin1.txt").write_bytes("http://caf\xe9.example/\n".encode("latin-1"))
    (work / "empty.txt").write_text("# nothing yet\n\n")
    (work / "bad.txt").write_text("http://ok.example/\nnews.example/today\n")
    fill = {"work": work, "coll": collection}
    seed = [] if "--seeds-file" in args else ["http://127.0.0.1:9/"]
    out = [] if "--out" in args else ["--out", str(work / "out")]
    run = _cli(work, "crawl", *seed, *out, *(a.format(**fill) for a in args))
    _assert_mistake(run, work, *(s.format(**fill) for s in said))


@pytest.mark.parametrize(
    ("seed", "said"),
    [
        (
            "example.org/news",
            "seed example.org/news has no scheme: did you mean http://example.org/news?",
        ),
        ("localhost:8080/a", "did you mean http://localhost:8080/a?"),
        ("ftp://example.org/pub", "seed ftp://example.org/pub: only http and https"),
        ("http:///path", "seed http:///path has no host"),
        ("http://example.org:http/", "seed http://example.org:http/"),
    ],
)
def test_unusable_seeds(work: Path, seed: str, said: str) -> None:
    run = _cli(work, "crawl", seed, "--out", str(work / "out"))
    _assert_mistake(run, work, said)


@pytest.mark.parametrize("option", ["--sitemap", "--feed"])
def test_unusable_sitemap_and_feed(work: Path, option: str) -> None:
    run = _cli(work, "crawl", option, "example.org/feed.xml", "--out", str(work / "out"))
    _assert_mistake(run, work, f"{option} example.org/feed.xml has no scheme")


def test_no_seeds_is_a_mistake(work: Path) -> None:
    run = _cli(work, "crawl", "--out", str(work / "out"))
    _assert_mistake(run, work, "give seed URLs")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--enqueue-only", "http://127.0.0.1:9/"], "--enqueue-only needs --redis URL"),
        (["--stay"], "--stay needs --redis URL"),
        (["--redis", "{redis}", "--stay", "http://127.0.0.1:9/"], "--stay takes no seeds"),
        (["--redis", "{redis}", "--enqueue-only"], "--enqueue-only needs seed URLs"),
        (["--redis", "{redis}", "--enqueue-only", "--stay"], "cannot be used together"),
    ],
)
def test_cluster_mode_mistakes(
    work: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    monkeypatch.delenv("WARCLOOM_REDIS_URL", raising=False)
    redis = "redis://127.0.0.1:9/0"  # checked before any Redis is asked
    filled = [a.format(redis=redis) for a in args]
    run = _cli(work, "crawl", *filled, "--collection", "c", "--out", str(work / "out"))
    _assert_mistake(run, work, said)


def test_demo_checks_its_settings_too(work: Path) -> None:
    run = _cli(work, "demo", "--out", str(work / "out"), "-s", "CONCURRENT_REQUESTS=many")
    _assert_mistake(run, work, "CONCURRENT_REQUESTS", "a number")


def test_setting_values_that_convert_are_taken() -> None:
    from crawler.commands.crawl import setting_problem

    for name, value in [
        ("DOWNLOAD_DELAY", "0.5"),
        ("DOWNLOAD_TIMEOUT", "2.5"),  # an int default read as a float
        ("CONCURRENT_REQUESTS", "8"),
        ("AUTOTHROTTLE_ENABLED", "False"),
        ("ROBOTSTXT_OBEY", "0"),
        ("WARCLOOM_EXTRACT", "true"),
        ("WARCLOOM_WORKERS", "4"),
        ("WARCLOOM_WARC_MAX_SIZE", "100000"),
        ("WARCLOOM_FOLLOW", "all"),  # a string: not checked here
        ("USER_AGENT", "me"),
        ("SOMETHING_ELSE", "x"),
    ]:
        assert setting_problem(name, value) is None, name
    assert "an integer" in (setting_problem("WARCLOOM_WARC_MAX_SIZE", "1e9") or "")


# -- 10. unknown WARCLOOM_* settings --------------------------------------------------------


def test_unknown_warcloom_settings_get_a_hint() -> None:
    from scrapy.settings import Settings

    from crawler.commands.crawl import unknown_settings
    from crawler.config import known_settings

    known = known_settings()
    # from crawler/settings.py, crawler/config.py and the add-ons (frontier, replay)
    for name in (
        "WARCLOOM_OUT",
        "WARCLOOM_WORKERS",
        "WARCLOOM_LINK_RULES",
        "WARCLOOM_FRONTIER_COMMIT_OPS",
        "WARCLOOM_ARCHIVE_CAPTURE",
        "WARCLOOM_ALLOW_PRIVATE",
    ):
        assert name in known, name
    assert known["WARCLOOM_WORKERS"] is int and known["WARCLOOM_EXTRACT"] is bool
    settings = Settings({"WARCLOOM_WORKER": "2", "WARCLOOM_EXTRACT": "1", "WARCLOOM_ZZZ": "1"})
    said = unknown_settings(settings)
    assert said == [
        "unknown setting WARCLOOM_WORKER (did you mean WARCLOOM_WORKERS?)",
        "unknown setting WARCLOOM_ZZZ",
    ]


# -- 11. every fetch failed -------------------------------------------------------------------


def test_a_crawl_where_every_fetch_failed_says_so(work: Path) -> None:
    stats_path = work / "stats.json"
    seed = f"http://127.0.0.1:{_closed_port()}/"
    run = _cli(
        work,
        "crawl",
        seed,
        "--allow-private",
        "--out",
        str(work / "out"),
        "--stats-json",
        str(stats_path),
        *QUICK,
        "-s",
        "WARCLOOM_WORKER=1",
    )
    assert run.returncode == 1, run.stderr[-2000:]
    assert "no page could be fetched" in run.stdout
    # an unknown WARCLOOM_* setting is a warning with a hint, and the crawl went on
    warnings = [line for line in run.stderr.splitlines() if "WARCLOOM_WORKER " in line]
    assert warnings == [
        "warcloom: warning: unknown setting WARCLOOM_WORKER (did you mean WARCLOOM_WORKERS?)"
    ]
    assert json.loads(stats_path.read_text())["finish_reason"] == "finished"


# -- 8, 9. export -----------------------------------------------------------------------------


@pytest.fixture
def warc(tmp_path: Path) -> Path:
    path = tmp_path / "in" / warc_name(1)
    path.parent.mkdir()
    write_warc(path, sample_captures())
    return path


@pytest.mark.parametrize(
    ("name", "magic"),
    [
        ("x.parquet", b"PAR1"),
        ("x.jsonl", b'{"'),
        ("x.json", b'{"'),
        ("x.wet.gz", b"\x1f\x8b"),
        ("x.warc.gz", b"\x1f\x8b"),
        ("x.wet", b"\x1f\x8b"),
    ],
)
def test_export_takes_the_format_from_the_name(
    warc: Path, work: Path, name: str, magic: bytes
) -> None:
    run = _cli(work, "export", str(warc), "--out", name, "--workers", "1")
    assert run.returncode == 0, run.stderr[-2000:]
    assert (work / name).read_bytes().startswith(magic)


def test_export_to_a_directory_writes_text(warc: Path, work: Path) -> None:
    (work / "texts").mkdir()
    run = _cli(work, "export", str(warc), "--out", "texts", "--workers", "1")
    assert run.returncode == 0, run.stderr[-2000:]
    assert list((work / "texts").rglob("*.txt"))
    run = _cli(work, "export", str(warc), "--out", "more/", "--workers", "1")
    assert run.returncode == 0, run.stderr[-2000:]
    assert list((work / "more").rglob("*.txt"))


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--out", "x.csv"], ["--out x.csv", "--format"]),
        (["--out", "x.parquet", "--format", "jsonl"], ["--format jsonl", "x.parquet"]),
        (["--out", "x.jsonl", "--format", "txt"], ["--format txt", "x.jsonl"]),
        (["--out", "nodir/x.jsonl"], ["--out nodir/x.jsonl", "No such file"]),
        (["--out", "/proc/x.jsonl"], ["--out /proc/x.jsonl"]),
        (["--out", "x.jsonl", "--summary-json", "/proc/x/s.json"], ["--summary-json /proc/x/s"]),
        (["--out", "x.jsonl", "--workers", "0"], ["--workers", "must be 1 or more"]),
        ([], ["the following arguments are required: --out"]),
    ],
)
def test_export_mistakes(warc: Path, work: Path, args: list[str], said: list[str]) -> None:
    workers = [] if "--workers" in args else ["--workers", "1"]
    run = _cli(work, "export", str(warc), *args, *workers)
    _assert_mistake(run, work, *said)
    assert ".tmp" not in run.stderr
    assert not list(work.iterdir())


def test_export_names_the_links_file_not_its_temporary(warc: Path, work: Path) -> None:
    run = _cli(work, "export", str(warc), "--out", "x.jsonl", "--links", "nodir/l.csv")
    assert run.returncode == 2 and "nodir/l.csv" in run.stderr and ".tmp" not in run.stderr


# -- 12. one exit-code contract ---------------------------------------------------------------


def test_wacz_exit_codes(collection: Path, work: Path, tmp_path: Path) -> None:
    _assert_mistake(_cli(work, "wacz", str(work / "missing")), work, "missing")
    _assert_mistake(_cli(work, "wacz", str(collection), "-o", "x.zip"), work, "x.zip")
    run = _cli(work, "wacz", str(collection), "-o", "nodir/x.wacz")
    _assert_mistake(run, work, "nodir/x.wacz")
    assert ".tmp" not in run.stderr
    assert _cli(work, "wacz", str(collection), "-o", "ok.wacz").returncode == 0
    # damage skipped while packaging: 1, and the WACZ is still written
    damaged = make_collection(tmp_path / "damaged")
    good = collection / "archive" / warc_name(1)
    corrupted_copy(good, damaged / "archive" / warc_name(1), record_index=3)
    Collection.open(damaged).rebuild_index()
    run = _cli(work, "wacz", str(damaged), "-o", "d.wacz")
    assert run.returncode == 1 and "skipped:" in run.stderr
    assert (work / "d.wacz").is_file()


def test_reextract_and_replay_mistakes_are_exit_2(collection: Path, work: Path) -> None:
    _assert_mistake(_cli(work, "reextract", str(work / "missing")), work, "missing")
    run = _cli(work, "reextract", str(collection), "--workers", "0")
    _assert_mistake(run, work, "--workers", "must be 1 or more")
    _assert_mistake(_cli(work, "replay", str(work / "missing")), work, "missing")
    # refused, rather than a traceback (a port too large) or a server that never answers
    run = _cli(work, "replay", str(collection), "--port", "70000")
    _assert_mistake(run, work, "--port 70000")
    _assert_mistake(_cli(work, "replay", str(collection), "--threads", "0"), work, "--threads 0")
