"""Scheduled crawls: the jobs file, one run of a job, and the scheduler daemon.

* :mod:`._jobsfile`: ``warcloom.toml`` parsed once into frozen :class:`Job` s, or one
  :class:`JobsFileError` naming the file, the job and the key;
* :mod:`._runner`: :class:`JobRun`, one ``warcloom crawl`` subprocess and its history line;
* :mod:`._daemon`: :class:`JobScheduler`, APScheduler running every job when due;
* :mod:`._report`: the one-line texts of runs.
"""

from __future__ import annotations

from ._daemon import JobScheduler, last_run, next_run_time
from ._jobsfile import (
    DEFAULT_JOBS_FILE,
    Job,
    JobsFile,
    JobsFileError,
)
from ._report import format_history_line, format_result, stamp
from ._runner import JobRun, outcome_of, run_from_stats

__all__ = [
    "DEFAULT_JOBS_FILE",
    "Job",
    "JobRun",
    "JobScheduler",
    "JobsFile",
    "JobsFileError",
    "format_history_line",
    "format_result",
    "last_run",
    "next_run_time",
    "outcome_of",
    "run_from_stats",
    "stamp",
]
