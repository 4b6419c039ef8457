"""Browser rendering for pages that need JavaScript (``WARCLOOM_RENDER``): Debian's
Chromium driven through Playwright, every exchange it makes archived, the text taken from
the rendered DOM."""

from __future__ import annotations

from crawler.render._options import RENDER_MODES, RenderOptions, chromium_problem

__all__ = ["RENDER_MODES", "PageRenderer", "RenderOptions", "chromium_problem"]


def __getattr__(name: str) -> object:
    # PageRenderer imports Playwright: only when a crawl renders
    if name == "PageRenderer":
        from crawler.render._pages import PageRenderer

        return PageRenderer
    raise AttributeError(name)
