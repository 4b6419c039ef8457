"""Runs page analysis off the reactor: a process pool sized to the cores.

Results come back to the reactor thread as Deferreds, so spider callbacks can
``await`` them while the crawl keeps downloading.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from twisted.internet.defer import Deferred

from archive.extraction import ExtractionOptions, PageAnalysis, analyse_html

__all__ = ["ExtractionPool"]

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    """Import and seed everything once per worker, before the first page arrives."""
    analyse_html(b"<html><body><p>warm up</p></body></html>", "http://localhost/")


class ExtractionPool:
    """``analyse(...)`` in ``workers`` processes, or inline on the caller's thread."""

    def __init__(self, workers: int, *, inline: bool = False) -> None:
        self.workers = max(1, workers)
        self.inline = inline
        self._executor: ProcessPoolExecutor | None = None
        self.submitted = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_up,
            )
        return self._executor

    def analyse(
        self,
        body: bytes,
        url: str,
        *,
        content_type: str | None,
        content_language: str | None,
        options: ExtractionOptions,
    ) -> Deferred[PageAnalysis]:
        """Analyse a page; the Deferred fires on the reactor thread."""
        kwargs: dict[str, Any] = {
            "content_type": content_type,
            "content_language": content_language,
            "options": options,
        }
        if self.inline:
            d: Deferred[PageAnalysis] = Deferred()
            d.callback(analyse_html(body, url, **kwargs))
            return d
        self.submitted += 1
        try:
            future = self._pool().submit(analyse_html, body, url, **kwargs)
        except BrokenProcessPool:
            self._restart()
            future = self._pool().submit(analyse_html, body, url, **kwargs)
        return self._deferred(future, url)

    def _deferred(self, future: Future[PageAnalysis], url: str) -> Deferred[PageAnalysis]:
        from twisted.internet import reactor  # the installed one, never installed here

        d: Deferred[PageAnalysis] = Deferred()

        def fire(done: Future[PageAnalysis]) -> None:
            try:
                result = done.result()
            except BrokenProcessPool as exc:
                # a worker died (segfault, OOM kill): answer this page with an error, go on
                logger.error("Extraction worker died on %s: %s", url, exc)
                reactor.callFromThread(self._restart)
                result = PageAnalysis("", (), {}, error=f"worker died: {exc}")
            except Exception as exc:
                result = PageAnalysis("", (), {}, error=repr(exc))
            reactor.callFromThread(d.callback, result)

        future.add_done_callback(fire)
        return d

    def _restart(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """Stop the workers (waits for running analyses)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
