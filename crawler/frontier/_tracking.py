"""The spider middleware that tells the scheduler when a page's links are all stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from crawler.frontier._scheduler import ID_KEY, PARENT_KEY, SqliteScheduler

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["FrontierSpiderMiddleware", "middleware_enabled"]


class FrontierSpiderMiddleware:
    """Tells :class:`SqliteScheduler` when every request a callback yielded was enqueued.

    Put it closest to the engine (a low order, e.g. 10) so that it sees the requests other
    spider middlewares let through.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _scheduler(self, response: Response) -> tuple[SqliteScheduler, int] | None:
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        parent = response.meta.get(ID_KEY) if response.request is not None else None
        if isinstance(scheduler, SqliteScheduler) and parent is not None:
            return scheduler, parent
        return None

    def _tag(self, found: tuple[SqliteScheduler, int] | None, output: Any) -> Any:
        if found is not None and isinstance(output, Request):
            scheduler, parent = found
            output.meta[PARENT_KEY] = parent
            scheduler.child_yielded(parent)
        return output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        found = self._scheduler(response)
        try:
            for output in result:
                yield self._tag(found, output)
        finally:
            if found is not None:
                found[0].output_finished(found[1])

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        found = self._scheduler(response)
        try:
            async for output in result:
                yield self._tag(found, output)
        finally:
            if found is not None:
                found[0].output_finished(found[1])

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        found = self._scheduler(response)
        if found is not None:
            found[0].output_finished(found[1])


def middleware_enabled(settings: BaseSettings) -> bool:
    for component in build_component_list(settings.getwithbase("SPIDER_MIDDLEWARES")):
        try:
            cls = load_object(component) if isinstance(component, str) else component
        except (ImportError, NameError, ValueError):
            continue
        if isinstance(cls, type) and issubclass(cls, FrontierSpiderMiddleware):
            return True
    return False
