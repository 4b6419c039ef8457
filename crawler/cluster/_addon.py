"""Wiring a worker: with ``WARCLOOM_REDIS_URL`` set, the shared frontier replaces the SQLite one."""

from __future__ import annotations

import os

from scrapy.settings import BaseSettings

from crawler.cluster._middleware import ClusterAckMiddleware, ClusterSpiderMiddleware
from crawler.cluster._scheduler import ClusterScheduler
from crawler.frontier import FrontierSpiderMiddleware
from crawler.warcstore import WarcStoreExtension

__all__ = ["ACK_PRIORITY", "ClusterAddon"]

ACK_PRIORITY = 1  # outermost: its process_exception sees what every other one let through


class ClusterAddon:
    """``ADDONS = {"crawler.cluster.ClusterAddon": 1}`` (after the frontier's add-on); does
    nothing unless ``WARCLOOM_REDIS_URL`` is set (a setting, or the environment). Runs after
    the components it replaces are set (``WarcloomAddon`` calls it last but one)."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not (settings.get("WARCLOOM_REDIS_URL") or os.environ.get("WARCLOOM_REDIS_URL")):
            return
        settings.set("SCHEDULER", ClusterScheduler, "addon")
        settings.set_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", FrontierSpiderMiddleware, None
        )
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", ClusterSpiderMiddleware, 10)
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", ClusterAckMiddleware, ACK_PRIORITY
        )
        if settings.getbool("WARCLOOM_REDIS_ENQUEUE_ONLY"):
            # nothing is fetched here: no WARC store (nor the collection's lock, nor the
            # capture and recrawl components that need it), no extraction processes
            settings.set_in_component_priority_dict("EXTENSIONS", WarcStoreExtension, None)
            if settings.getbool("WARCLOOM_EXTRACT", True):
                settings.set("WARCLOOM_EXTRACT_INLINE", True, "addon")
