"""The rendering settings, parsed once and checked (no browser is touched here)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

from scrapy.settings import BaseSettings

__all__ = ["RENDER_MODES", "RenderOptions", "chromium_problem"]

RENDER_MODES = ("never", "auto", "always")
RenderMode = Literal["never", "auto", "always"]
DEFAULT_CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class RenderOptions:
    """``WARCLOOM_RENDER*`` and ``WARCLOOM_CHROMIUM``: when a page is loaded in Chromium,
    and the bounds of doing so."""

    mode: RenderMode = "never"
    min_words: int = 50  # auto: render a page whose raw HTML yields fewer words
    urls: re.Pattern[str] | None = None  # auto: render a page whose URL matches
    chromium: str = DEFAULT_CHROMIUM
    contexts: int = 2  # pages rendered at once, each in its own browser context
    timeout: float = 30.0  # seconds a page may take to load (and settle)
    restart_after: int = 200  # pages rendered before the browser is started afresh

    @property
    def enabled(self) -> bool:
        return self.mode != "never"

    def wants(self, url: str, words: int | None) -> bool:
        """Whether an HTML page whose raw analysis found ``words`` words (None: no text
        was extracted, only the URL decides) is rendered."""
        if self.mode == "always":
            return True
        if self.mode == "never":
            return False
        if words is not None and words < self.min_words:
            return True
        return bool(self.urls and self.urls.search(url))

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RenderOptions:
        """Read and check the settings; raises ValueError on a bad value."""
        mode = settings.get("WARCLOOM_RENDER", "never")
        if mode not in RENDER_MODES:
            raise ValueError(f"WARCLOOM_RENDER must be one of {RENDER_MODES}, got {mode!r}")
        pattern = settings.get("WARCLOOM_RENDER_URLS") or None
        try:
            urls = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise ValueError(f"bad regex in WARCLOOM_RENDER_URLS: {exc}") from None
        options = cls(
            mode=mode,
            min_words=settings.getint("WARCLOOM_RENDER_MIN_WORDS", 50),
            urls=urls,
            chromium=settings.get("WARCLOOM_CHROMIUM") or DEFAULT_CHROMIUM,
            contexts=settings.getint("WARCLOOM_RENDER_CONTEXTS", 2),
            timeout=settings.getfloat("WARCLOOM_RENDER_TIMEOUT", 30.0),
            restart_after=settings.getint("WARCLOOM_RENDER_RESTART_AFTER", 200),
        )
        for name, value, least in (
            ("WARCLOOM_RENDER_MIN_WORDS", options.min_words, 0),
            ("WARCLOOM_RENDER_CONTEXTS", options.contexts, 1),
            ("WARCLOOM_RENDER_TIMEOUT", options.timeout, 1),
            ("WARCLOOM_RENDER_RESTART_AFTER", options.restart_after, 1),
        ):
            if value < least:
                raise ValueError(f"{name} must be at least {least}, got {value}")
        return options


def chromium_problem(options: RenderOptions, settings: BaseSettings | None = None) -> str | None:
    """Why pages cannot be rendered here (None: they can): no Chromium at the launch path,
    no Playwright, or a crawl answered from an archive (the browser would go to the live
    web). Only asked when rendering is on."""
    if not options.enabled:
        return None
    if settings is not None and settings.get("WARCLOOM_FROM_ARCHIVE"):
        return (
            f"--render {options.mode} cannot be used with --from-archive: "
            "the browser would fetch the pages' resources from the live web"
        )
    path = options.chromium
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return (
            f"--render {options.mode} needs Chromium at {path} (WARCLOOM_CHROMIUM): "
            "install it with `apt-get install chromium`"
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return f"--render {options.mode} needs the playwright package: pip install playwright"
    return None
