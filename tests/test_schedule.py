"""`warcloom schedule`: jobs run when due, never overlap themselves, missed runs coalesce,
Ctrl-C/SIGTERM stop the crawls cleanly; and `jobs run` is refused while a scheduled run
holds the collection."""

from __future__ import annotations

import itertools
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from jobs_helpers import (
    FAST,
    SLOW,
    run_warcloom,
    runs_of,
    start_warcloom,
    stop,
    wait_for,
    write_jobs,
)

from archive.collection import Outcome, Run
from crawler.jobs import Job, JobsFile, next_run_time, stamp
from crawler.sample_site import SampleSite

OVERLAP = "the previous run of the job was still running"


def job_of(tmp_path: Path, table: dict, name: str = "news") -> Job:
    write_jobs(tmp_path / "warcloom.toml", {name: {"seeds": ["http://x/"], **table}})
    return JobsFile.load(tmp_path / "warcloom.toml").jobs[0]


def ran(
    job: Job, started: datetime, outcome: Outcome = "finished", name: str | None = None
) -> None:
    job.collection.record_run(Run(started, started, outcome, job=name or job.name))


# -- when a job runs next (no processes) -----------------------------------------------------


def test_a_job_that_never_ran_is_due_at_once(tmp_path: Path) -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert next_run_time(job_of(tmp_path, {"every": "6h"}), now) == now
    assert next_run_time(job_of(tmp_path, {"cron": "0 3 * * *"}), now) == now


def test_missed_interval_runs_coalesce_into_one_now(tmp_path: Path) -> None:
    job = job_of(tmp_path, {"every": "10m"})
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    ran(job, now - timedelta(hours=1))  # five runs missed since
    ran(job, now - timedelta(minutes=5), "skipped")  # a skip is no run
    ran(job, now - timedelta(minutes=1), name="other-job")  # another job's run is not ours
    assert next_run_time(job, now) == now
    ran(job, now - timedelta(minutes=1))
    assert next_run_time(job, now) == now + timedelta(minutes=9)  # keeps its cadence


def test_missed_cron_run_is_run_at_start(tmp_path: Path) -> None:
    job = job_of(tmp_path, {"cron": "0 3 * * *", "timezone": "UTC"})
    ran(job, datetime(2026, 5, 1, 3, 0, 0, tzinfo=UTC))
    assert next_run_time(job, datetime(2026, 5, 2, 2, 0, tzinfo=UTC)) == datetime(
        2026, 5, 2, 3, 0, tzinfo=UTC
    )
    late = datetime(2026, 5, 4, 4, 0, tzinfo=UTC)  # three nights missed: one run, now
    assert next_run_time(job, late) == late


def test_cron_runs_in_its_time_zone(tmp_path: Path) -> None:
    job = job_of(tmp_path, {"cron": "0 3 * * *", "timezone": "Asia/Taipei"})
    ran(job, datetime(2026, 5, 1, 19, 0, 0, tzinfo=UTC))  # 03:00 in Taipei
    assert next_run_time(job, datetime(2026, 5, 2, 12, 0, tzinfo=UTC)) == datetime(
        2026, 5, 2, 19, 0, tzinfo=UTC
    )


# -- the daemon, crawling the sample site -----------------------------------------------------


def write_job(tmp_path: Path, seed: str, every: str, settings: dict[str, str]) -> None:
    write_jobs(
        tmp_path / "warcloom.toml",
        {"news": {"seeds": [seed], "every": every, "settings": settings}},
    )


def finished(out: Path, name: str = "news") -> list[Run]:
    return [r for r in runs_of(out, name) if r.outcome == "finished"]


def assert_no_overlap(runs: list[Run]) -> None:
    real = [r for r in runs if r.outcome != "skipped"]
    for before, after in itertools.pairwise(real):
        assert before.finished <= after.started, (before, after)


def test_schedule_runs_a_job_again_and_again_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "warcloom-data"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        write_job(tmp_path, seed, "1s", FAST)
        daemon = start_warcloom("schedule", cwd=tmp_path, log=tmp_path / "daemon.log")
        try:
            wait_for(lambda: len(finished(out)) >= 3, "three finished runs", timeout=300)
        finally:
            code = stop(daemon, signal.SIGINT)
    log = (tmp_path / "daemon.log").read_text()
    assert code == 0, log
    runs = runs_of(out, "news")
    assert all(
        r.job == "news" and r.outcome in ("finished", "skipped", "interrupted") for r in runs
    )
    assert all(r.bytes > 0 for r in finished(out))
    assert_no_overlap(runs)
    assert log.count("news: started (crawl pid ") >= 3
    assert log.count("news: finished in ") >= 3
    assert log.rstrip().endswith("scheduler: stopped")


def test_a_job_slower_than_its_interval_never_overlaps_itself(tmp_path: Path) -> None:
    out = tmp_path / "warcloom-data"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        # about 70 requests at least 0.05 s apart: each run takes longer than the 1 s interval
        write_job(tmp_path, seed, "1s", SLOW)
        daemon = start_warcloom("schedule", cwd=tmp_path, log=tmp_path / "daemon.log")
        try:
            wait_for(lambda: len(finished(out)) >= 2, "two finished runs", timeout=300)
        finally:
            code = stop(daemon, signal.SIGINT)
    log = (tmp_path / "daemon.log").read_text()
    assert code == 0, log
    runs = runs_of(out, "news")
    skipped = [r for r in runs if r.outcome == "skipped"]
    assert skipped and all(r.note == OVERLAP for r in skipped)  # never refused by the lock
    assert_no_overlap(runs)
    assert f"news: skipped: {OVERLAP}" in log


def test_jobs_run_is_refused_while_the_scheduled_run_holds_the_collection(tmp_path: Path) -> None:
    out = tmp_path / "warcloom-data"
    lock = out / "state" / "news.lock"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        settings = {**SLOW, "DOWNLOAD_DELAY": "0.2"}  # a run of 15 s at least
        write_job(tmp_path, seed, "1h", settings)
        daemon = start_warcloom("schedule", cwd=tmp_path, log=tmp_path / "daemon.log")
        try:
            holder = wait_for(
                lambda: lock.is_file() and '"warcloom crawl"' in lock.read_text(),
                "the scheduled crawl to hold the collection",
            )
            assert holder
            [crawl] = psutil.Process(daemon.pid).children()
            refused = run_warcloom("jobs", "run", "news", cwd=tmp_path)
            wait_for(lambda: len(site.requests) >= 5, "the scheduled crawl fetching")
        finally:
            code = stop(daemon, signal.SIGINT)
    log = (tmp_path / "daemon.log").read_text()
    assert refused.returncode == 1
    assert refused.stderr.startswith("warcloom: jobs run news: skipped: collection news is in")
    assert f"warcloom crawl (pid {crawl.pid} on " in refused.stderr
    assert code == 0, log
    assert f"news: stopping the crawl (SIGINT to pid {crawl.pid})" in log
    runs = runs_of(out, "news")
    assert [r.outcome for r in runs] == ["skipped", "interrupted"]
    assert f"pid {crawl.pid}" in runs[0].note
    assert not list((out / "collections" / "news" / "archive").glob("*.open"))  # closed cleanly


def test_missed_run_runs_once_at_start_and_a_recent_one_waits(tmp_path: Path) -> None:
    out = tmp_path / "warcloom-data"
    now = datetime.now(UTC)
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        jobs = {
            "news": {"seeds": [seed], "every": "20m", "settings": FAST},
            "recent": {"seeds": [seed], "every": "1h", "settings": FAST},
        }
        write_jobs(tmp_path / "warcloom.toml", jobs)
        loaded = JobsFile.load(tmp_path / "warcloom.toml")
        ran(loaded.jobs[0], now - timedelta(hours=1))  # three runs missed
        recent = now - timedelta(minutes=10)
        ran(loaded.jobs[1], recent)
        daemon = start_warcloom("schedule", cwd=tmp_path, log=tmp_path / "daemon.log")
        try:
            wait_for(lambda: len(finished(out)) >= 2, "the missed run", timeout=300)
        finally:
            code = stop(daemon, signal.SIGINT)
    log = (tmp_path / "daemon.log").read_text()
    assert code == 0, log
    assert "news: every 20m, next run now" in log
    assert log.count("news: started") == 1  # once, not three times
    recent_next = stamp(recent.replace(microsecond=0) + timedelta(hours=1))
    assert f"recent: every 1h, next run {recent_next}" in log
    assert "recent: started" not in log
    assert [r.outcome for r in runs_of(out, "recent")] == ["finished"]  # only the one we wrote


def test_sigterm_past_the_grace_kills_the_crawl_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "warcloom-data"
    with SampleSite() as site:
        seed = site.url(site.manifest.seed_path)
        settings = {**SLOW, "DOWNLOAD_DELAY": "0.2"}
        write_job(tmp_path, seed, "1h", settings)
        daemon = start_warcloom(
            "schedule", "--grace", "0", cwd=tmp_path, log=tmp_path / "daemon.log"
        )
        try:
            wait_for(lambda: len(site.requests) >= 5, "the crawl under way")
        finally:
            code = stop(daemon, signal.SIGTERM)
    log = (tmp_path / "daemon.log").read_text()
    assert code == 0, log
    assert "still running after 0s: killed (SIGKILL); its next run resumes it" in log
    [run] = runs_of(out, "news")
    assert run.outcome == "interrupted" and run.note == "killed by SIGKILL"
