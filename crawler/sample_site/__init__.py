"""A bundled sample news site for tests and demos: `SampleSite` serves it on 127.0.0.1."""

from __future__ import annotations

from crawler.sample_site.server import SampleSite, Served

__all__ = ["SampleSite", "Served"]
