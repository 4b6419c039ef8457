"""The add-on that sets a crawl up to replay from an archive instead of the network."""

from __future__ import annotations

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from crawler.capture import WarcCaptureMiddleware
from crawler.safety import PrivateAddressMiddleware

from ._options import ReplayOptions

__all__ = ["HANDLER", "ArchiveReplayAddon"]

# the dotted path Scrapy loads the download handler by (re-exported by the package)
HANDLER = "crawler.archive_source.ArchiveDownloadHandler"


class ArchiveReplayAddon:
    """Sets a crawl up to replay when ``WARCLOOM_FROM_ARCHIVE`` is set (does nothing otherwise).

    Put it after :class:`crawler.addon.WarcloomAddon` in ``ADDONS``. It installs
    :class:`ArchiveDownloadHandler` for http and https, switches off the private-address
    guard (no host is contacted) and, unless ``WARCLOOM_ARCHIVE_CAPTURE`` is on, the capture
    middleware: the replayed crawl then writes only analysis records (metadata +
    conversion) that refer to the archived responses by record ID. The politeness delays
    go to zero unless they were given on the command line.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("WARCLOOM_FROM_ARCHIVE"):
            return
        ReplayOptions.from_settings(settings)  # a bad path or timestamp stops the crawl here
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update(http=HANDLER, https=HANDLER)
        priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_HANDLERS", handlers, priority)
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", PrivateAddressMiddleware, None
        )
        if not settings.getbool("WARCLOOM_ARCHIVE_CAPTURE"):
            settings.set_in_component_priority_dict(
                "DOWNLOADER_MIDDLEWARES", WarcCaptureMiddleware, None
            )
        quick = {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": settings.getint("CONCURRENT_REQUESTS", 16),
        }
        for name, value in quick.items():
            if (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
                settings.set(name, value, "project")
