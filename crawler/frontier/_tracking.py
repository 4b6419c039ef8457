"""The spider middleware that tells the scheduler when a page's links are all stored.

It owns the contract with the scheduler: the two ``request.meta`` keys and the two calls of
:class:`ChildTracker`, which :class:`~crawler.frontier.SqliteScheduler` inherits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = [
    "ID_KEY",
    "PARENT_KEY",
    "CallbackOutputs",
    "ChildTracker",
    "FrontierSpiderMiddleware",
    "middleware_enabled",
]

#: ``request.meta`` key holding the frontier row id of a request handed to the engine.
ID_KEY = "warcloom_frontier_id"
#: ``request.meta`` key holding the row id of the request whose callback yielded it.
PARENT_KEY = "warcloom_frontier_parent"


class ChildTracker:
    """A scheduler that wants to know when a callback's requests have all been enqueued (the
    spider middleware calls these two); it keeps the count in ``_outputs``."""

    _outputs: CallbackOutputs

    def child_yielded(self, parent_id: int) -> None:
        """Count a request (a cluster worker: or an item) yielded by the callback of
        ``parent_id``."""
        self._outputs.yielded(parent_id)

    def output_finished(self, parent_id: int) -> None:
        """The callback of ``parent_id`` yielded its last output."""
        self._outputs.finished(parent_id)


class CallbackOutputs:
    """The done rule's bookkeeping, for a :class:`ChildTracker` scheduler: what each callback
    yielded and what of it arrived; ``done(parent_id)`` is called once the callback finished
    and everything it yielded arrived."""

    def __init__(self, done: Callable[[int], None]) -> None:
        self._done = done
        self._pending: dict[int, int] = {}  # parent id -> yielded, not arrived yet
        self._finished: set[int] = set()  # callbacks that ended with outputs pending

    def yielded(self, parent_id: int) -> None:
        self._pending[parent_id] = self._pending.get(parent_id, 0) + 1

    def finished(self, parent_id: int) -> None:
        if self._pending.get(parent_id, 0) <= 0:
            self._pending.pop(parent_id, None)
            self._done(parent_id)
        else:
            self._finished.add(parent_id)

    def untag(self, request: Request) -> int | None:
        """Take the frontier's tags off a request about to be queued: its parent's output
        arrived. Returns the id the request had: one of ours coming back (a redirect, a
        retry), which supersedes the one in flight."""
        parent = request.meta.pop(PARENT_KEY, None)
        if parent is not None:
            self.arrived(parent)
        return request.meta.pop(ID_KEY, None)

    def arrived(self, parent_id: int) -> None:
        left = self._pending.get(parent_id, 0) - 1
        if left > 0:
            self._pending[parent_id] = left
            return
        self._pending.pop(parent_id, None)
        if parent_id in self._finished:
            self._finished.discard(parent_id)
            self._done(parent_id)


class FrontierSpiderMiddleware:
    """Tells a :class:`ChildTracker` scheduler (:class:`~crawler.frontier.SqliteScheduler`)
    when every request a callback yielded was enqueued.

    Put it closest to the engine (a low order, e.g. 10) so that it sees the requests other
    spider middlewares let through.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _scheduler(self, response: Response) -> tuple[ChildTracker, int] | None:
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        parent = response.meta.get(ID_KEY) if response.request is not None else None
        if isinstance(scheduler, ChildTracker) and parent is not None:
            return scheduler, parent
        return None

    def _tag(self, found: tuple[ChildTracker, int] | None, output: Any) -> Any:
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
