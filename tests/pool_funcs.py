"""Analysis stand-ins for pool tests: they run in worker processes, so they live in a module."""

from __future__ import annotations

import os
import time
from typing import Any

from archive.extraction import PageAnalysis, analyse_html


def slow_or_dying(body: bytes, url: str, **kwargs: Any) -> PageAnalysis:
    """Hangs on /hang, kills its own process on /die, analyses anything else for real."""
    if url.endswith("/hang"):
        time.sleep(60)
    if url.endswith("/die"):
        os._exit(3)
    if url.endswith("/raise"):
        raise RuntimeError("extractor bug")
    return analyse_html(body, url, **kwargs)


def broken_installation(body: bytes, url: str, **kwargs: Any) -> PageAnalysis:
    """What a worker does when a dependency is missing."""
    raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")
