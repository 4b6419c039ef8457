"""warcloom's settings, parsed once into a frozen dataclass that rejects contradictions."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from weakref import WeakKeyDictionary

from scrapy.settings import BaseSettings

from archive.collection import Collection
from archive.extraction import ExtractionOptions
from crawler.render import RenderOptions
from crawler.requisites import RequisitePolicy

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["FOLLOW_MODES", "WarcloomConfig", "crawler_config", "known_settings"]

FOLLOW_MODES = ("related", "content", "all")
FollowMode = Literal["related", "content", "all"]


@dataclass(frozen=True)
class WarcloomConfig:
    """Every ``WARCLOOM_*`` setting, typed and checked."""

    out: Path
    collection: str = "default"
    prefix: str = "warcloom"
    warc_max_size: int = 10**9
    follow: FollowMode = "related"
    extract: bool = True
    extract_inline: bool = False
    workers: int = 2
    extract_timeout: float | None = 60.0
    allow_private: bool = False
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    link_rules: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    operator: str = ""
    progress: Literal["auto", "on", "off"] = "auto"
    extraction: ExtractionOptions = field(default_factory=ExtractionOptions)
    requisites: RequisitePolicy = field(default_factory=RequisitePolicy)
    render: RenderOptions = field(default_factory=RenderOptions)

    @property
    def coll(self) -> Collection:
        """Where the crawl writes: the collection ``collection`` of ``out``."""
        return Collection.under(self.out, self.collection)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> WarcloomConfig:
        """Read and check the settings; raises ValueError on a bad or contradictory value."""
        follow = settings.get("WARCLOOM_FOLLOW", "related")
        if follow not in FOLLOW_MODES:
            raise ValueError(f"WARCLOOM_FOLLOW must be one of {FOLLOW_MODES}, got {follow!r}")
        max_size = settings.getint("WARCLOOM_WARC_MAX_SIZE", 10**9)
        if max_size < 4096:
            raise ValueError(f"WARCLOOM_WARC_MAX_SIZE must be at least 4096, got {max_size}")
        workers = settings.getint("WARCLOOM_WORKERS", 0) or os.cpu_count() or 1
        extract = settings.getbool("WARCLOOM_EXTRACT", True)
        inline = settings.getbool("WARCLOOM_EXTRACT_INLINE", False)
        if inline and not extract:
            raise ValueError("WARCLOOM_EXTRACT_INLINE needs WARCLOOM_EXTRACT on")
        timeout = settings.getfloat("WARCLOOM_EXTRACT_TIMEOUT", 60.0)
        if timeout < 0:
            raise ValueError(f"WARCLOOM_EXTRACT_TIMEOUT must be >= 0 (0: none), got {timeout}")
        progress = settings.get("WARCLOOM_PROGRESS", "auto")
        if progress not in ("auto", "on", "off"):
            raise ValueError(f"WARCLOOM_PROGRESS must be auto, on or off, got {progress!r}")
        requisites = RequisitePolicy(
            mode=settings.get("WARCLOOM_REQUISITES", "same-site"),
            hosts=frozenset(h.lower() for h in settings.getlist("WARCLOOM_REQUISITES_HOSTS")),
            max_size=settings.getint("WARCLOOM_REQUISITE_MAXSIZE", RequisitePolicy.max_size),
        )
        collection = settings.get("WARCLOOM_COLLECTION", "default")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", collection):
            raise ValueError(f"WARCLOOM_COLLECTION must be a plain name, got {collection!r}")
        return cls(
            out=Path(settings.get("WARCLOOM_OUT", "warcloom-data")),
            collection=collection,
            prefix=settings.get("WARCLOOM_PREFIX", "warcloom"),
            warc_max_size=max_size,
            follow=follow,
            extract=extract,
            extract_inline=inline,
            workers=workers,
            extract_timeout=timeout or None,
            allow_private=settings.getbool("WARCLOOM_ALLOW_PRIVATE", False),
            include=_patterns(settings.getlist("WARCLOOM_INCLUDE")),
            exclude=_patterns(settings.getlist("WARCLOOM_EXCLUDE")),
            link_rules=_link_rules(settings.getdict("WARCLOOM_LINK_RULES")),
            operator=settings.get("WARCLOOM_OPERATOR", ""),
            progress=progress,
            extraction=ExtractionOptions(
                favor_precision=settings.getbool("WARCLOOM_FAVOR_PRECISION", False),
                favor_recall=settings.getbool("WARCLOOM_FAVOR_RECALL", False),
                include_comments=settings.getbool("WARCLOOM_INCLUDE_COMMENTS", False),
                fast=settings.getbool("WARCLOOM_FAST_EXTRACTION", False),
                with_text=extract,
                max_size=settings.getint("WARCLOOM_ANALYSE_MAXSIZE", ExtractionOptions.max_size),
                requisites=requisites.enabled,
            ),
            requisites=requisites,
            render=RenderOptions.from_settings(settings),
        )


def _patterns(values: list[str]) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(v) for v in values if v)
    except re.error as exc:
        raise ValueError(f"bad URL regex in WARCLOOM_INCLUDE/EXCLUDE: {exc}") from exc


def _link_rules(raw: Mapping[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    rules: dict[str, dict[str, tuple[str, ...]]] = {}
    for host, kinds in raw.items():
        if not isinstance(kinds, Mapping) or set(kinds) - {"related", "body"}:
            raise ValueError(
                f"WARCLOOM_LINK_RULES[{host!r}] must map 'related'/'body' to selector lists"
            )
        rules[host] = {
            kind: (sel,) if isinstance(sel, str) else tuple(sel) for kind, sel in kinds.items()
        }
    return rules


_NAMED = re.compile(r"""["'](WARCLOOM_[A-Z0-9_]+)["']""")
_READ_AS = re.compile(r"""\.get(int|float|bool)\(\s*["'](WARCLOOM_[A-Z0-9_]+)["']""")
_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool}


@functools.cache
def known_settings() -> dict[str, type | None]:
    """Every ``WARCLOOM_*`` setting the crawler knows, with the type it is read as (int,
    float or bool; None: anything else): the names in crawler/settings.py and in the code
    of the ``crawler`` package (this module, the add-ons, the commands), so a setting is
    known where it is read."""
    import crawler
    from crawler import settings as project_settings

    known: dict[str, type | None] = dict.fromkeys(
        name for name in vars(project_settings) if name.startswith("WARCLOOM_")
    )
    for path in sorted(Path(crawler.__file__).parent.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        known.update((name, known.get(name)) for name in _NAMED.findall(source))
        known.update((name, _TYPES[getter]) for getter, name in _READ_AS.findall(source))
    return known


_PARSED: WeakKeyDictionary[Crawler, WarcloomConfig] = WeakKeyDictionary()


def crawler_config(crawler: Crawler) -> WarcloomConfig:
    """The crawl's configuration, parsed once per crawler (its settings are frozen by then)."""
    config = _PARSED.get(crawler)
    if config is None:
        config = _PARSED[crawler] = WarcloomConfig.from_settings(crawler.settings)
    return config
