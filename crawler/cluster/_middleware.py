"""The two middlewares that tell a cluster worker's scheduler when a request is done."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.http import Request

from crawler.frontier import FrontierSpiderMiddleware
from crawler.stopping import StopExtension

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

__all__ = ["ClusterAckMiddleware", "ClusterSpiderMiddleware"]


class ClusterSpiderMiddleware(FrontierSpiderMiddleware):
    """:class:`~crawler.frontier.FrontierSpiderMiddleware` that counts a callback's items
    too: the scheduler acknowledges a request once its items went through the pipelines
    (``item_scraped``, ``item_dropped`` or ``item_error``), so its records are written."""

    def _tag(self, found: Any, output: Any) -> Any:
        if found is not None and output is not None and not isinstance(output, Request):
            scheduler, parent = found
            scheduler.child_yielded(parent)
            return output
        return super()._tag(found, output)


class ClusterAckMiddleware:
    """Downloader middleware placed outermost (its ``process_exception`` runs last): a
    request that ends without a response (download error after retries, robots.txt, offsite)
    is done, unless the crawl is stopping (then it was dropped, and is fetched again)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        stop = self.crawler.get_extension(StopExtension)
        if stop is not None and stop.reason is not None:
            return
        engine = self.crawler.engine
        failed = getattr(engine.scheduler if engine else None, "request_failed", None)
        if failed is not None:
            failed(request)
