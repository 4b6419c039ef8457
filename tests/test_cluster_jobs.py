"""A job with ``redis = "..."`` runs its crawl as a worker of the shared crawl."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import crawl_name, redis_or_skip
from jobs_helpers import FAST, run_warcloom, runs_of, write_jobs

from crawler.jobs import JobsFile, JobsFileError
from crawler.sample_site import SampleSite


def test_the_redis_key_passes_redis_to_the_crawl(tmp_path: Path) -> None:
    path = write_jobs(
        tmp_path / "warcloom.toml",
        {"news": {"seeds": ["https://example.org/"], "every": "1h", "redis": "redis://h:6379/2"}},
    )
    [job] = JobsFile.load(path)
    assert "--redis=redis://h:6379/2" in job.crawl_args()
    assert "--collection=news" in job.crawl_args()
    write_jobs(path, {"news": {"seeds": ["https://example.org/"], "every": "1h", "redis": "h"}})
    with pytest.raises(JobsFileError, match=r"job 'news': redis: expected a redis://"):
        JobsFile.load(path)


def test_a_job_runs_as_a_cluster_worker(tmp_path: Path) -> None:
    url = redis_or_skip()
    with crawl_name() as name, SampleSite() as site:
        write_jobs(
            tmp_path / "warcloom.toml",
            {
                "news": {
                    "seeds": [site.url(site.manifest.seed_path)],
                    "every": "6h",
                    "redis": url,
                    "collection": name,
                    "settings": FAST,
                }
            },
        )
        result = run_warcloom("jobs", "run", "news", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "finish reason: finished" in result.stdout
    assert "cluster worker " in result.stdout
    [run] = runs_of(tmp_path / "warcloom-data", name)
    assert run.outcome == "finished" and run.job == "news" and run.bytes > 0
