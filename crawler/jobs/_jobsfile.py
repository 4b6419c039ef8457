"""The jobs file: ``[jobs.NAME]`` tables of crawls and their schedules, read once.

``JobsFile.load(path)`` parses and checks the whole file before anything runs; the first
mistake stops it with a :class:`JobsFileError` naming the file, the job and the key.
Relative paths (``out``, ``seeds_file``) are taken from the jobs file's directory;
durations are :func:`crawler.durations.parse_duration`'s.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from archive.collection import Collection
from crawler.durations import parse_duration

__all__ = [
    "DEFAULT_JOBS_FILE",
    "FOLLOW",
    "Job",
    "JobsFile",
    "JobsFileError",
    "Schedule",
]

DEFAULT_JOBS_FILE = "warcloom.toml"
DEFAULT_OUT = "warcloom-data"
FOLLOW = ("related", "content", "all")
REVISIT = ("always", "adaptive")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_STR_LISTS = ("seeds", "sitemap", "feed", "include", "exclude", "domains")


class JobsFileError(ValueError):
    """A mistake in the jobs file; the message is one line naming file, job and key."""


@dataclass(frozen=True)
class Schedule:
    """When a job runs: a crontab line (in ``timezone``, local time without one) or a fixed
    interval (``every``)."""

    cron: str | None = None
    every: timedelta | None = None
    timezone: str | None = None
    every_text: str = ""

    def trigger(self) -> Any:
        """The APScheduler trigger for this schedule."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.cron is not None:
            zone = ZoneInfo(self.timezone) if self.timezone else None
            return CronTrigger.from_crontab(self.cron, timezone=zone)
        assert self.every is not None
        return IntervalTrigger(seconds=self.every.total_seconds())

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time a run is due strictly after ``moment`` (None: never again)."""
        if self.every is not None:
            return moment + self.every
        found = self.trigger().get_next_fire_time(None, moment + timedelta(microseconds=1))
        return found.astimezone(UTC) if found else None

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron}" + (f" ({self.timezone})" if self.timezone else "")
        return f"every {self.every_text}"


@dataclass(frozen=True)
class Job:
    """One ``[jobs.NAME]`` table: what to crawl (as ``warcloom crawl`` takes it), where to,
    and when."""

    name: str
    schedule: Schedule
    out: Path
    collection_name: str
    seeds: tuple[str, ...] = ()
    seeds_file: Path | None = None
    sitemap: tuple[str, ...] = ()
    feed: tuple[str, ...] = ()
    depth: int | None = None
    follow: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    revisit_after: str | None = None
    revisit: str | None = None
    revisit_min: str | None = None
    revisit_max: str | None = None
    allow_private: bool = False
    contact: str | None = None
    redis: str | None = None
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def collection(self) -> Collection:
        return Collection.under(self.out, self.collection_name)

    def crawl_args(self) -> list[str]:
        """The arguments of ``warcloom crawl`` for this job (without the command itself)."""
        args = [*self.seeds]
        if self.seeds_file is not None:
            args.append(f"--seeds-file={self.seeds_file}")
        args += [f"--sitemap={url}" for url in self.sitemap]
        args += [f"--feed={url}" for url in self.feed]
        if self.depth is not None:
            args.append(f"--depth={self.depth}")
        if self.follow is not None:
            args.append(f"--follow={self.follow}")
        args += [f"--include={regex}" for regex in self.include]
        args += [f"--exclude={regex}" for regex in self.exclude]
        if self.domains:
            args += ["--domains", *self.domains]
        for flag, value in (
            ("--revisit-after", self.revisit_after),
            ("--revisit", self.revisit),
            ("--revisit-min", self.revisit_min),
            ("--revisit-max", self.revisit_max),
        ):
            if value is not None:
                args.append(f"{flag}={value}")
        if self.allow_private:
            args.append("--allow-private")
        if self.contact is not None:
            args.append(f"--contact={self.contact}")
        if self.redis is not None:  # the cluster's standing workers crawl it
            args += [f"--redis={self.redis}", "--enqueue-only"]
        for name, value in self.settings:
            args += ["-s", f"{name}={value}"]
        args += [f"--out={self.out}", f"--collection={self.collection_name}"]
        args += ["-s", f"WARCLOOM_JOB={self.name}"]
        return args


# the keys of a [jobs.NAME] table: a Job's fields, the collection's name and the schedule's
_KEYS = frozenset(f.name for f in fields(Job)) - {"name", "schedule", "collection_name"} | {
    "collection",
    "cron",
    "timezone",
    "every",
}


@dataclass(frozen=True)
class JobsFile:
    """Every job of a jobs file, in the file's order."""

    path: Path
    jobs: tuple[Job, ...]

    @classmethod
    def load(cls, path: str | Path) -> JobsFile:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise JobsFileError(f"{path}: no such jobs file (give one with --jobs PATH)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise JobsFileError(f"{path}: cannot read it: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            where = _syntax_error_place(path, str(exc))
            raise JobsFileError(f"{path}: {where}TOML syntax error: {exc}") from None
        unknown = sorted(set(raw) - {"jobs"})
        if unknown:
            raise JobsFileError(f"{path}: unknown key {unknown[0]!r} (only [jobs.NAME] tables)")
        tables = raw.get("jobs")
        if not isinstance(tables, dict) or not tables:
            raise JobsFileError(f"{path}: no jobs: add a [jobs.NAME] table")
        jobs = tuple(_parse_job(path, name, table) for name, table in tables.items())
        return cls(path, jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(self.jobs)

    def names(self) -> list[str]:
        return [job.name for job in self.jobs]

    def get(self, name: str) -> Job | None:
        return next((job for job in self.jobs if job.name == name), None)


def _syntax_error_place(path: Path, message: str) -> str:
    """``job 'NAME': KEY: `` for the place a TOML error names, as far as the text says (the
    key only if the error is within its line: at a line's start the error is the line's
    before)."""
    found = re.search(r"at line (\d+), column (\d+)", message)
    if not found:
        return ""
    row, column = int(found.group(1)), int(found.group(2))
    lines = path.read_text(encoding="utf-8").splitlines()[:row]
    job = None
    for line in lines:
        header = re.match(r"\s*\[\s*jobs\.([A-Za-z0-9_-]+)", line)
        if header:
            job = header.group(1)
    if not job:
        return ""
    assignment = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", lines[-1]) if lines else None
    if assignment and column > assignment.end():
        return f"job {job!r}: {assignment.group(1)}: "
    return f"job {job!r}: "


class _Mistake(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _parse_job(path: Path, name: str, table: Any) -> Job:
    try:
        if not _NAME.fullmatch(name):
            raise _Mistake("name", "a job name is letters, digits, '.', '_' and '-'")
        if not isinstance(table, dict):
            raise _Mistake("name", "expected a [jobs.NAME] table")
        return _job(path.parent, name, table)
    except _Mistake as exc:
        message = " ".join(str(exc).split())  # one line, whatever a library said
        raise JobsFileError(f"{path}: job {name!r}: {exc.key}: {message}") from None


def _job(base: Path, name: str, table: Mapping[str, Any]) -> Job:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _Mistake(unknown[0], f"unknown key (known: {', '.join(sorted(_KEYS))})")
    lists = {key: _str_list(table, key) for key in _STR_LISTS}
    seeds_file = _opt(table, "seeds_file", str)
    if not (lists["seeds"] or seeds_file or lists["sitemap"] or lists["feed"]):
        raise _Mistake("seeds", "no seeds: give seeds, seeds_file, sitemap or feed")
    depth = _opt(table, "depth", int)
    if depth is not None and (isinstance(depth, bool) or depth < 0):
        raise _Mistake("depth", f"expected a whole number >= 0, got {depth!r}")
    follow = _opt(table, "follow", str, FOLLOW)
    durations = {}
    for key in ("revisit_after", "revisit_min", "revisit_max"):
        durations[key] = _opt(table, key, str)
        if durations[key] is not None:
            _duration(durations[key], key)
    revisit = _opt(table, "revisit", str, REVISIT)
    redis = _opt(table, "redis", str)
    if redis is not None and not redis.startswith(("redis://", "rediss://", "unix://")):
        raise _Mistake("redis", f"expected a redis://, rediss:// or unix:// URL, got {redis!r}")
    collection = _opt(table, "collection", str) or name
    if not _NAME.fullmatch(collection):
        raise _Mistake("collection", f"{collection!r}: use letters, digits, '.', '_' and '-'")
    return Job(
        name=name,
        schedule=_schedule(table),
        out=base / (_opt(table, "out", str) or DEFAULT_OUT),
        collection_name=collection,
        seeds_file=base / seeds_file if seeds_file else None,
        depth=depth,
        follow=follow,
        revisit=revisit,
        **durations,
        allow_private=bool(_opt(table, "allow_private", bool)),
        contact=_opt(table, "contact", str),
        redis=redis,
        settings=_settings(table),
        **lists,
    )


def _schedule(table: Mapping[str, Any]) -> Schedule:
    cron = _opt(table, "cron", str)
    every = _opt(table, "every", str)
    zone = _opt(table, "timezone", str)
    if cron is not None and every is not None:
        raise _Mistake("every", "give cron or every, not both")
    if cron is None and every is None:
        raise _Mistake("cron", 'no schedule: give cron = "0 */6 * * *" or every = "6h"')
    if zone is not None:
        if cron is None:
            raise _Mistake("timezone", "only goes with cron")
        try:
            ZoneInfo(zone)
        except (ValueError, LookupError):
            raise _Mistake("timezone", f"unknown time zone {zone!r} (an IANA name)") from None
    if every is not None:
        return Schedule(every=_duration(every, "every"), every_text=every)
    schedule = Schedule(cron=cron, timezone=zone)
    try:
        trigger = schedule.trigger()
    except ValueError as exc:
        raise _Mistake("cron", f"bad cron line {cron!r}: {exc}") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise _Mistake("cron", f"{cron!r} never runs")
    return schedule


def _duration(text: str, key: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise _Mistake(key, str(exc)) from None


def _opt(table: Mapping[str, Any], key: str, kind: type, choices: tuple[str, ...] = ()) -> Any:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Mistake(key, f"expected {_TYPE_NAMES[kind]}, got {value!r}")
    if choices and value not in choices:
        raise _Mistake(key, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false"}


def _str_list(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _Mistake(key, f"expected a list of strings, got {value!r}")
    return tuple(value)


def _settings(table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """``settings`` as ``-s NAME=VALUE`` pairs: scalars as text (``True``/``False`` as Scrapy
    reads them), lists comma-joined, tables as JSON (what ``settings.getdict`` parses)."""
    value = table.get("settings", {})
    if not isinstance(value, dict):
        raise _Mistake("settings", f"expected a table of NAME = value, got {value!r}")
    pairs = []
    for name, item in value.items():
        if isinstance(item, dict):
            text = json.dumps(item, default=str)
        elif isinstance(item, list) and all(isinstance(v, str | int | float) for v in item):
            text = ",".join(str(v) for v in item)
        elif isinstance(item, str | int | float):
            text = str(item)
        else:
            raise _Mistake(
                f"settings.{name}", f"expected a string, number, list or table, got {item!r}"
            )
        pairs.append((name, text))
    return tuple(pairs)
