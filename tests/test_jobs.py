"""The jobs file, `warcloom jobs run|list` and `warcloom history`: parsing, runs, history."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from jobs_helpers import FAST, SLOW, run_warcloom, runs_of, start_warcloom, wait_for, write_jobs

from archive.collection import Collection
from crawler.jobs import (
    JobRun,
    JobsFile,
    JobsFileError,
    outcome_of,
    run_from_stats,
    stamp,
)
from crawler.sample_site import SampleSite

# -- the jobs file --------------------------------------------------------------------------


def test_every_key_is_parsed_and_passed_to_crawl(tmp_path: Path) -> None:
    path = write_jobs(
        tmp_path / "warcloom.toml",
        {
            "news": {
                "seeds": ["https://example.org/", "https://example.org/b"],
                "seeds_file": "seeds.txt",
                "sitemap": ["https://example.org/sitemap.xml"],
                "feed": ["https://example.org/rss.xml"],
                "depth": 2,
                "follow": "content",
                "include": ["/news/"],
                "exclude": ["-print$"],
                "domains": ["example.org", "www.example.org"],
                "revisit_after": "6h",
                "revisit": "adaptive",
                "revisit_min": "1h",
                "revisit_max": "2w",
                "settings": {"DOWNLOAD_DELAY": 2, "ROBOTSTXT_OBEY": True, "X": ["a", "b"]},
                "out": "data",
                "collection": "papers",
                "cron": "0 */6 * * *",
                "timezone": "Europe/Paris",
            },
            "blog": {"feed": ["https://blog.example/atom"], "every": "1h30m"},
        },
    )
    jobs = JobsFile.load(path)
    assert jobs.names() == ["news", "blog"]
    news, blog = jobs.jobs
    assert news.schedule.cron == "0 */6 * * *" and news.schedule.timezone == "Europe/Paris"
    assert news.schedule.describe() == "cron 0 */6 * * * (Europe/Paris)"
    assert news.revisit_after == "6h"
    assert news.collection.root == tmp_path / "data" / "collections" / "papers"
    assert news.seeds_file == tmp_path / "seeds.txt"  # relative to the jobs file
    args = news.crawl_args()
    assert args[:2] == ["https://example.org/", "https://example.org/b"]
    for expected in (
        f"--seeds-file={tmp_path / 'seeds.txt'}",
        "--sitemap=https://example.org/sitemap.xml",
        "--feed=https://example.org/rss.xml",
        "--depth=2",
        "--follow=content",
        "--include=/news/",
        "--exclude=-print$",
        "--revisit-after=6h",
        "--revisit=adaptive",
        "--revisit-min=1h",
        "--revisit-max=2w",
        f"--out={tmp_path / 'data'}",
        "--collection=papers",
    ):
        assert expected in args
    pairs = [args[i + 1] for i, arg in enumerate(args) if arg == "-s"]
    assert pairs == ["DOWNLOAD_DELAY=2", "ROBOTSTXT_OBEY=True", "X=a,b", "WARCLOOM_JOB=news"]
    domains = args.index("--domains")
    assert args[domains + 1 : domains + 3] == ["example.org", "www.example.org"]
    # defaults: out warcloom-data, the collection named after the job
    assert blog.schedule.every == timedelta(hours=1, minutes=30)
    assert blog.schedule.describe() == "every 1h30m"
    assert blog.collection.root == tmp_path / "warcloom-data" / "collections" / "blog"
    assert blog.crawl_args()[0] == "--feed=https://blog.example/atom"


SEEDS = 'seeds = ["http://127.0.0.1:9/"]\n'

BAD_FILES = {
    "unknown key": ("[jobs.news]\n" + SEEDS + 'every = "15m"\nseed = "x"\n', "seed", "unknown"),
    "bad cron": ("[jobs.news]\n" + SEEDS + 'cron = "61 * * * *"\n', "cron", "61"),
    "cron of 4 fields": ("[jobs.news]\n" + SEEDS + 'cron = "0 * * *"\n', "cron", "fields"),
    "bad every": ("[jobs.news]\n" + SEEDS + 'every = "15 minutes"\n', "every", "duration"),
    "every of no time": ("[jobs.news]\n" + SEEDS + 'every = "0s"\n', "every", "no time at all"),
    "cron and every": (
        "[jobs.news]\n" + SEEDS + 'cron = "0 * * * *"\nevery = "1h"\n',
        "every",
        "not both",
    ),
    "no schedule": ("[jobs.news]\n" + SEEDS, "cron", "no schedule"),
    "no seeds": ('[jobs.news]\nevery = "1h"\ndepth = 2\n', "seeds", "no seeds"),
    "bad timezone": (
        "[jobs.news]\n" + SEEDS + 'cron = "0 3 * * *"\ntimezone = "Mars/Olympus"\n',
        "timezone",
        "Mars/Olympus",
    ),
    "bad revisit_after": (
        "[jobs.news]\n" + SEEDS + 'every = "1h"\nrevisit_after = "soon"\n',
        "revisit_after",
        "soon",
    ),
    "bad revisit": ("[jobs.news]\n" + SEEDS + 'every = "1h"\nrevisit = "x"\n', "revisit", "'x'"),
    "bad follow": ("[jobs.news]\n" + SEEDS + 'every = "1h"\nfollow = "some"\n', "follow", "some"),
    "seeds not a list": ('[jobs.news]\nseeds = "http://x/"\nevery = "1h"\n', "seeds", "list"),
    "TOML syntax": ("[jobs.news]\n" + SEEDS + "every = 15m\n", "every", "TOML syntax error"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_jobs_file_is_one_line_exit_2_and_nothing_starts(tmp_path: Path, case: str) -> None:
    text, key, detail = BAD_FILES[case]
    (tmp_path / "warcloom.toml").write_text(text, encoding="utf-8")
    result = run_warcloom("schedule", cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"warcloom: warcloom.toml: job 'news': {key}: "), line
    assert detail in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warcloom.toml"]  # nothing created


@pytest.mark.parametrize(
    "command", [("jobs", "list"), ("jobs", "run", "news"), ("history", "news"), ("schedule",)]
)
def test_every_command_stops_at_a_bad_jobs_file(tmp_path: Path, command: tuple[str]) -> None:
    jobs = tmp_path / "etc" / "jobs.toml"
    jobs.parent.mkdir()
    jobs.write_text("[jobs.news]\n" + SEEDS + 'cron = "0 3 * * * *"\n', encoding="utf-8")
    result = run_warcloom(*command, "--jobs", str(jobs), cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"warcloom: {jobs}: job 'news': cron: bad cron line " + (
        "'0 3 * * * *': Wrong number of fields; got 6, expected 5\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etc"]


def test_missing_jobs_file_and_unknown_job(tmp_path: Path) -> None:
    result = run_warcloom("jobs", "list", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert (
        result.stderr == "warcloom: warcloom.toml: no such jobs file (give one with --jobs PATH)\n"
    )
    write_jobs(tmp_path / "warcloom.toml", {"news": {"seeds": ["http://x/"], "every": "1h"}})
    result = run_warcloom("jobs", "run", "sports", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "warcloom: warcloom.toml: no job 'sports' (jobs: news)\n"
    (tmp_path / "x.toml").write_text("title = 'x'\n[jobs.a]\n")
    with pytest.raises(JobsFileError, match=r"unknown key 'title' \(only \[jobs.NAME\] tables\)"):
        JobsFile.load(tmp_path / "x.toml")


# -- the runner's history line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "code", "outcome", "note"),
    [
        ({"finish_reason": "finished"}, 0, "finished", ""),
        ({"finish_reason": "shutdown"}, 1, "interrupted", "stopped by SIGINT or SIGTERM"),
        ({"finish_reason": "closespider_timeout"}, 1, "finished", "closespider_timeout"),
        ({"finish_reason": "cancelled"}, 1, "failed", "finish reason cancelled"),
        ({}, 1, "failed", "exit code 1"),
        ({}, -signal.SIGKILL, "interrupted", "killed by SIGKILL"),
    ],
)
def test_outcome_of_a_crawl(stats: dict, code: int, outcome: str, note: str) -> None:
    found = outcome_of(stats, code)
    assert found[0] == outcome and note in found[1]


def test_run_line_from_stats() -> None:
    now = datetime.now(UTC)
    stats = {
        "finish_reason": "finished",
        "warcloom/bytes": 1234,
        "warcloom/fetch_errors": 3,
        "warcloom/change/new": 5,
        "warcloom/change/unchanged-text": 2,
    }
    run = run_from_stats(stats, 0, started=now, finished=now, job="news")
    assert run.outcome == "finished" and run.job == "news"
    assert run.counts == {"new": 5, "unchanged-text": 2}
    assert (run.failures, run.bytes) == (3, 1234)


FAKE_CRAWL = """\
import json, sys
from datetime import UTC, datetime
from archive.collection import Collection, Run
args = dict(a[2:].split("=", 1) for a in sys.argv if a.startswith("--") and "=" in a)
pairs = dict(sys.argv[i + 1].split("=", 1) for i, a in enumerate(sys.argv) if a == "-s")
now = datetime.now(UTC)
stats = {"finish_reason": "finished", "warcloom/bytes": 99, "warcloom/change/new": 7}
open(args["stats-json"], "w").write(json.dumps(stats))
if MODE == "own-line":
    Collection.under(args["out"], args["collection"]).record_run(
        Run(now, now, "finished", {"new": 1}, job=pairs["WARCLOOM_JOB"], note="by the crawl")
    )
"""


def fake_python(tmp_path: Path, mode: str) -> str:
    """An interpreter stand-in that plays `warcloom crawl` (with or without its own line)."""
    script = tmp_path / f"fake-{mode}"
    root = Path(__file__).resolve().parent.parent
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(root)!r})\nMODE = {mode!r}\n"
        + FAKE_CRAWL
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_runner_writes_the_line_when_the_crawl_does_not(tmp_path: Path) -> None:
    write_jobs(tmp_path / "warcloom.toml", {"news": {"seeds": ["http://x/"], "every": "1h"}})
    job = JobsFile.load(tmp_path / "warcloom.toml").jobs[0]
    result = JobRun(job, python=fake_python(tmp_path, "no-line")).run()
    assert result.exit_code == 0
    [run] = job.collection.runs()
    assert run.to_json() == result.run.to_json()
    assert (run.outcome, run.job, run.counts, run.bytes) == ("finished", "news", {"new": 7}, 99)


def test_runner_adds_no_second_line_when_the_crawl_wrote_one(tmp_path: Path) -> None:
    write_jobs(tmp_path / "warcloom.toml", {"news": {"seeds": ["http://x/"], "every": "1h"}})
    job = JobsFile.load(tmp_path / "warcloom.toml").jobs[0]
    result = JobRun(job, python=fake_python(tmp_path, "own-line")).run()
    [run] = job.collection.runs()
    assert run.note == "by the crawl" and result.run.to_json() == run.to_json()


# -- real crawls of the sample site -----------------------------------------------------------


def test_jobs_run_list_and_history(tmp_path: Path) -> None:
    with SampleSite() as site:
        write_jobs(
            tmp_path / "warcloom.toml",
            {
                "news": {
                    "seeds": [site.url(site.manifest.seed_path)],
                    "every": "6h",
                    "settings": FAST,
                }
            },
        )
        before = run_warcloom("jobs", "list", cwd=tmp_path)
        result = run_warcloom("jobs", "run", "news", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "finish reason: finished" in result.stdout  # the crawl's own output, streamed
    assert " news: started (crawl pid " in result.stdout
    assert " news: finished in " in result.stdout
    [run] = runs_of(tmp_path / "warcloom-data", "news")
    assert run.outcome == "finished" and run.job == "news" and run.bytes > 0

    assert before.returncode == 0
    header, line = before.stdout.splitlines()
    assert header.split() == ["job", "schedule", "next", "run", "last", "run", "collection"]
    collection = "warcloom-data/collections/news"
    assert line.split() == ["news", "every", "6h", "due", "now", "never", "run", collection]
    after = run_warcloom("jobs", "list", cwd=tmp_path).stdout.splitlines()[1].split()
    next_run = stamp(run.started + timedelta(hours=6))
    assert after[3:] == [next_run, "finished", stamp(run.finished), collection]

    history = run_warcloom("history", "news", cwd=tmp_path)
    [line] = history.stdout.splitlines()
    assert line.split()[:3] == [stamp(run.started), stamp(run.finished), "finished"]
    assert f"{run.bytes:,} bytes" in line and "failures 0" in line
    # a collection or an output directory names the same history, --json the same runs
    for name in ("warcloom-data", "warcloom-data/collections/news"):
        as_json = json.loads(run_warcloom("history", name, "--json", cwd=tmp_path).stdout)
        assert as_json == [run.to_json()]
        assert as_json[0]["started"].endswith("Z") and isinstance(as_json[0]["counts"], dict)
    unknown = run_warcloom("history", "nowhere", cwd=tmp_path)
    assert unknown.returncode == 2 and "nowhere" in unknown.stderr


def test_jobs_run_when_the_collection_is_held_is_skipped(tmp_path: Path) -> None:
    write_jobs(tmp_path / "warcloom.toml", {"news": {"seeds": ["http://x/"], "every": "1h"}})
    coll = Collection.under(tmp_path / "warcloom-data", "news")
    with coll.lock() as lock:
        lock.acquire("a test holding it")
        result = run_warcloom("jobs", "run", "news", cwd=tmp_path)
    assert result.returncode == 1
    assert f"a test holding it (pid {os.getpid()} on " in result.stderr
    [run] = coll.runs()
    assert run.outcome == "skipped" and run.job == "news" and str(os.getpid()) in run.note


def articles_fetched(site: SampleSite) -> int:
    return sum(path.startswith("/news/") for path in list(site.requests))


def test_sigkilled_run_resumes_on_the_next_run_and_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "warcloom-data"
    with SampleSite() as site:
        reachable = {site.url(a.path) for a in site.manifest.articles if a.reachable}
        settings = {**SLOW, "LOG_LEVEL": "INFO"}
        seed = site.url(site.manifest.seed_path)
        job = {"seeds": [seed], "every": "1h", "settings": settings}
        write_jobs(tmp_path / "warcloom.toml", {"news": job})
        runner = start_warcloom("jobs", "run", "news", cwd=tmp_path, log=tmp_path / "first.log")
        wait_for(lambda: articles_fetched(site) >= 15, "15 articles fetched")
        [crawl] = psutil.Process(runner.pid).children()
        crawl.send_signal(signal.SIGKILL)
        assert runner.wait(timeout=60) == 128 + signal.SIGKILL
        [killed] = runs_of(out, "news")
        assert killed.outcome == "interrupted" and "SIGKILL" in killed.note
        second = run_warcloom("jobs", "run", "news", cwd=tmp_path)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "resuming:" in second.stdout
    assert [r.outcome for r in runs_of(out, "news")] == ["interrupted", "finished"]
    index = (out / "collections" / "news" / "indexes" / "index.cdxj").read_text()
    for url in reachable:
        assert f'"url": "{url}"' in index
    assert not list((out / "collections" / "news" / "archive").glob("*.open"))
