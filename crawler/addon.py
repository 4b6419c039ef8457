"""One add-on that wires warcloom into a Scrapy project: ``ADDONS = {WarcloomAddon: 0}``."""

from __future__ import annotations

from importlib.metadata import version

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from crawler import wire
from crawler.archive_source import ArchiveReplayAddon
from crawler.capture import WarcCaptureMiddleware
from crawler.cluster import ClusterAddon
from crawler.frontier import FrontierAddon
from crawler.history import RunHistoryExtension
from crawler.pipelines import WarcMetadataPipeline
from crawler.progress import ProgressExtension
from crawler.recrawl import RecrawlMiddleware
from crawler.retry import RetryAfterMiddleware
from crawler.safety import PrivateAddressMiddleware, RefusedAnswerMiddleware
from crawler.stopping import StopExtension
from crawler.warcstore import WarcStoreExtension

__all__ = ["WarcloomAddon"]

# Fixed priorities. The guard runs before the offsite filter (50) and robots.txt (100);
# capture sits on the wire side of HttpCache (900), before Redirect (600) and
# HttpCompression (590) see the response. A lookup the guard's resolver refused is
# turned into a refusal above capture and retry, so neither sees it.
GUARD_PRIORITY = 40
CAPTURE_PRIORITY = 950
RECRAWL_PRIORITY = 960  # just outside capture: it decides what capture writes
REFUSAL_PRIORITY = 990
RETRY_PRIORITY = 550  # Scrapy's RetryMiddleware, replaced by one that honours Retry-After
CONCURRENT_ITEMS = 4  # a page's output processed at once (Scrapy's default: 100)


class WarcloomAddon:
    """Capture, archive, SSRF guard, crash-safe frontier (shared in Redis with
    ``WARCLOOM_REDIS_URL``), progress, prompt stops (signals, write errors): all at fixed
    priorities; replay from an archive instead of the network
    when ``WARCLOOM_FROM_ARCHIVE`` is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        FrontierAddon().update_settings(settings)
        for middleware, priority in (
            (PrivateAddressMiddleware, GUARD_PRIORITY),
            (RefusedAnswerMiddleware, REFUSAL_PRIORITY),
            (WarcCaptureMiddleware, CAPTURE_PRIORITY),
            (RecrawlMiddleware, RECRAWL_PRIORITY),
            (RetryMiddleware, None),
            (RetryAfterMiddleware, RETRY_PRIORITY),
        ):
            settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", middleware, priority)
        settings.set_in_component_priority_dict("ITEM_PIPELINES", WarcMetadataPipeline, 300)
        settings.set_in_component_priority_dict("EXTENSIONS", StopExtension, 90)
        settings.set_in_component_priority_dict("EXTENSIONS", WarcStoreExtension, 100)
        settings.set_in_component_priority_dict("EXTENSIONS", ProgressExtension, 500)
        settings.set_in_component_priority_dict("EXTENSIONS", RunHistoryExtension, 600)
        # with WARCLOOM_REDIS_URL: the shared frontier (after the components it replaces
        # or, enqueuing only, switches off)
        ClusterAddon().update_settings(settings)
        contact = settings.get("WARCLOOM_CONTACT_URL")
        if contact and (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["addon"]:
            # a clear User-Agent with a contact URL, unless the project set its own
            settings.set("USER_AGENT", f"warcloom/{version('warcloom')} (+{contact})", "addon")
        # Scrapy starts CONCURRENT_ITEMS (100) asyncio tasks for every response's output,
        # whatever its size; a page yields one item and a few requests, and warcloom's
        # pipeline is synchronous: 100 tasks a page were ~8% of the reactor's time
        settings.set("CONCURRENT_ITEMS", CONCURRENT_ITEMS, "addon")
        # a short body is archived (flagged WARC-Truncated) rather than dropped
        settings.set("DOWNLOAD_FAIL_ON_DATALOSS", False, "addon")
        if wire.AVAILABLE:
            handler = "crawler.wire.WireHTTPDownloadHandler"
            handlers = {"http": handler, "https": handler}
            handlers.update(settings.getdict("DOWNLOAD_HANDLERS"))
            settings.set("DOWNLOAD_HANDLERS", handlers, "addon")
        # with WARCLOOM_FROM_ARCHIVE: answer from the archive instead of the network
        ArchiveReplayAddon().update_settings(settings)
