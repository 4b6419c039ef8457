"""A job with ``redis = "..."`` enqueues its runs on the cluster; standing workers crawl them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cluster_helpers import crawl_name, redis_or_skip
from crawl_helpers import ArchiveView
from jobs_helpers import FAST, run_warcloom, runs_of, start_warcloom, stop, wait_for, write_jobs
from news_site import NewsSite

from archive.collection import Run
from crawler.cluster import connect
from crawler.jobs import JobsFile, JobsFileError

WORKER_AGENT = "standing-worker/1.0"
ENQUEUER_AGENT = "enqueuer/1.0"
WAITING = "waiting for work"


def test_the_redis_key_makes_the_run_enqueue_on_the_cluster(tmp_path: Path) -> None:
    path = write_jobs(
        tmp_path / "warcloom.toml",
        {"news": {"seeds": ["https://example.org/"], "every": "1h", "redis": "redis://h:6379/2"}},
    )
    [job] = JobsFile.load(path)
    assert "--redis=redis://h:6379/2" in job.crawl_args()
    assert "--enqueue-only" in job.crawl_args()
    assert "--collection=news" in job.crawl_args()
    write_jobs(path, {"news": {"seeds": ["https://example.org/"], "every": "1h", "redis": "h"}})
    with pytest.raises(JobsFileError, match=r"job 'news': redis: expected a redis://"):
        JobsFile.load(path)


def _enqueue(seed: str, url: str, name: str, out: Path) -> subprocess.CompletedProcess[str]:
    return run_warcloom(
        "crawl", seed, "--redis", url, "--collection", name, "--out", str(out),
        "--enqueue-only", cwd=out.parent, timeout=60,
    )  # fmt: skip


def test_an_enqueue_while_the_crawl_goes_on_adds_nothing_twice(tmp_path: Path) -> None:
    url = redis_or_skip()
    with crawl_name() as name, NewsSite() as site:
        first = _enqueue(site.url("/"), url, name, tmp_path / "e")
        second = _enqueue(site.url("/"), url, name, tmp_path / "e")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "enqueued 1 request(s)" in first.stdout and "(0 already there)" in first.stdout
    assert "enqueued 0 request(s)" in second.stdout and "(1 already there)" in second.stdout
    assert site.server.paths() == []  # nothing fetched by an enqueuer
    assert not (tmp_path / "e" / "collections" / name / "archive").exists()
    runs = runs_of(tmp_path / "e", name)
    assert [(r.outcome, dict(r.counts)) for r in runs] == [
        ("enqueued", {"enqueued": 1}),
        ("enqueued", {"enqueued": 0}),
    ]


def _worker_runs(out: Path, name: str, count: int) -> list[Run]:
    return wait_for(
        lambda: (runs := runs_of(out, name)) and len(runs) >= count and runs,
        f"the standing worker's crawl {count}",
        timeout=60,
    )


def test_job_runs_are_enqueued_and_crawled_by_a_standing_worker(tmp_path: Path) -> None:
    url = redis_or_skip()
    worker_out = tmp_path / "worker"
    log = tmp_path / "worker.log"
    with crawl_name() as name, NewsSite() as site:
        settings = {**FAST, "USER_AGENT": WORKER_AGENT, "WARCLOOM_PROGRESS": "off"}
        worker = start_warcloom(
            "crawl", "--redis", url, "--collection", name, "--out", str(worker_out), "--stay",
            "--follow", "all", *(f"-s{k}={v}" for k, v in settings.items()),
            cwd=tmp_path, log=log,
        )  # fmt: skip
        try:
            wait_for(lambda: WAITING in log.read_text(), "the worker to wait", timeout=30)
            write_jobs(
                tmp_path / "warcloom.toml",
                {
                    "news": {
                        "seeds": [site.url("/")],
                        "every": "6h",
                        "redis": url,
                        "collection": name,
                        "settings": {**FAST, "USER_AGENT": ENQUEUER_AGENT},
                    }
                },
            )
            # run 1: enqueued, returns at once; the standing worker captures every page
            began = time.monotonic()
            result = run_warcloom("jobs", "run", "news", cwd=tmp_path, timeout=60)
            took = time.monotonic() - began
            assert result.returncode == 0, result.stdout + result.stderr
            assert "news: enqueued in" in result.stdout and "enqueued 1" in result.stdout
            assert took < 20, took
            [first] = _worker_runs(worker_out, name, 1)
            assert first.outcome == "finished" and first.counts.get("new", 0) == 9
            # run 2, after the site changed: crawled again by the same worker, incrementally
            site.edit("/news/1.html", 1, "Paragraph two was rewritten: capacity fell by half.")
            result = run_warcloom("jobs", "run", "news", cwd=tmp_path, timeout=60)
            assert result.returncode == 0, result.stdout + result.stderr
            second = _worker_runs(worker_out, name, 2)[1]
            wait_for(lambda: log.read_text().count(WAITING) >= 3, "the worker to wait again")
            # SIGTERM while it waits: exit 0, its files closed
            assert stop(worker, signal.SIGTERM, timeout=30) == 0, log.read_text()[-3000:]
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        history = run_warcloom("history", "news", "--json", cwd=tmp_path)
    output = log.read_text()
    assert history.returncode == 0, history.stderr
    enqueued = json.loads(history.stdout)
    assert [(r["outcome"], r["counts"], r["job"]) for r in enqueued] == [
        ("enqueued", {"enqueued": 1}, "news"),
        ("enqueued", {"enqueued": 1}, "news"),
    ]
    # nothing fetched by the enqueuing runs: every request is the worker's
    agents = {hit.agent for hit in site.server.hits}
    assert agents == {WORKER_AGENT}, agents
    # every page captured by the first crawl; the second: revisits and the one change
    view = ArchiveView.load(worker_out / "collections" / name / "archive")
    pages = {site.url("/"), *(site.url(p) for p in site.articles)}
    assert pages <= {r.url for r in view.of_type("response")}
    revisited = {r.url for r in view.of_type("revisit")}
    assert pages - {site.url("/"), site.url("/news/1.html")} <= revisited, output[-3000:]
    assert second.outcome == "finished" and second.counts.get("changed") == 1, second
    assert second.counts.get("not-modified", 0) >= 7, second
    checked = subprocess.run(
        [Path(sys.executable).parent / "warcio", "check", *map(str, view.files)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not list(worker_out.rglob("*.open")), list(worker_out.rglob("*"))


def test_the_scheduler_enqueues_a_redis_job_and_fetches_nothing(tmp_path: Path) -> None:
    url = redis_or_skip()
    log = tmp_path / "daemon.log"
    with crawl_name() as name, NewsSite() as site:
        job = {"seeds": [site.url("/")], "every": "6h", "redis": url, "collection": name}
        write_jobs(tmp_path / "warcloom.toml", {"news": {**job, "settings": FAST}})
        daemon = start_warcloom("schedule", cwd=tmp_path, log=log)
        try:
            [run] = wait_for(lambda: runs_of(tmp_path / "warcloom-data", name), "the run", 60)
            wait_for(lambda: "news: enqueued in" in log.read_text(), "the run's line", 30)
        finally:
            code = stop(daemon, signal.SIGTERM, timeout=60)
        queued = connect(url).hget(f"warcloom:{name}:count", "queued")
    assert code == 0, log.read_text()
    assert run.outcome == "enqueued" and dict(run.counts) == {"enqueued": 1} and run.job == "news"
    assert int(queued) == 1  # waiting for a standing worker
    assert site.server.paths() == []
