"""Runs page analysis off the reactor: a process pool sized to the cores.

Pages go to the workers in batches when the workers are busy: a page arriving while
every worker has a batch in hand and one queued waits for the next batch (at most
``batch_size`` pages), which a worker analyses stage by stage
(:func:`archive.extraction.analyse_pages`: each page's result is what it would be alone).
Idle workers get pages at once, so batching adds no wait, and one task per batch instead
of per page saves the pool's per-task work on the reactor's process.

Results come back to the reactor thread as Deferreds, so spider callbacks can ``await``
them while the crawl keeps downloading. trafilatura has no timeout of its own: a page
that keeps a worker busy longer than ``timeout`` seconds is given up, its worker killed
and replaced (pebble does that), and the page recorded with an error. A worker that dies
(a crash, the OOM killer) is replaced the same way. Every worker analyses a small page
when it starts, before it takes any: the timeout is a page's, never an import's.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, TimeoutError
from typing import Any

from pebble import ProcessExpired, ProcessPool
from twisted.internet.defer import Deferred

from archive.extraction import (
    ExtractionOptions,
    HtmlPage,
    PageAnalysis,
    analyse_html,
    analyse_pages,
)

__all__ = ["ExtractionPool"]

logger = logging.getLogger(__name__)

Analyse = Callable[..., PageAnalysis]


WARM_UP_PAGE = b"<html><body><p>warm up</p></body></html>"


def _warm_up(func: Analyse) -> None:
    """A new worker's first analysis (imports, models loaded), outside any page's time."""
    try:
        func(WARM_UP_PAGE, "http://localhost/")
    except Exception:  # a broken installation: start() reports it with its own error
        logger.debug("warm-up analysis failed", exc_info=True)


def _analyse_batch(
    func: Analyse, pages: Sequence[tuple[bytes, str, dict[str, Any]]]
) -> list[PageAnalysis]:
    """Analyse a batch of ``(body, url, kwargs)`` in a worker. ``analyse_html`` pages
    sharing their options are analysed together by ``analyse_pages``."""
    options = [kwargs.get("options") for _, _, kwargs in pages]
    if func is analyse_html and all(o == options[0] for o in options):
        html = [
            HtmlPage(body, url, kwargs.get("content_type"), kwargs.get("content_language"))
            for body, url, kwargs in pages
        ]
        return analyse_pages(html, options[0])
    return [func(body, url, **kwargs) for body, url, kwargs in pages]


class ExtractionPool:
    """``analyse(...)`` in ``workers`` processes, or inline on the caller's thread."""

    def __init__(
        self,
        workers: int,
        *,
        inline: bool = False,
        timeout: float | None = 60.0,
        func: Analyse = analyse_html,
        batch_size: int = 8,
    ) -> None:
        self.workers = max(1, workers)
        self.inline = inline
        self.timeout = timeout
        self.func = func
        self.batch_size = max(1, batch_size)
        self._pool: ProcessPool | None = None
        # reactor thread only: pages waiting for a batch, batches scheduled and not done
        self._waiting: list[tuple[bytes, str, dict[str, Any], Deferred[PageAnalysis]]] = []
        self._in_flight = 0
        self._closed = False

    def _processes(self) -> ProcessPool:
        if self._pool is None:
            self._pool = ProcessPool(
                max_workers=self.workers,
                context=multiprocessing.get_context("spawn"),
                initializer=_warm_up,
                initargs=(self.func,),
            )
        return self._pool

    def start(self) -> None:
        """Start the workers and have one analyse a page: a broken installation (a missing
        module, say) stops the crawl here, once, with its own error, instead of failing
        every page."""
        try:
            if self.inline:
                self.func(WARM_UP_PAGE, "http://localhost/")
            else:
                self._processes().schedule(
                    self.func, args=(WARM_UP_PAGE, "http://localhost/")
                ).result(timeout=300)
        except Exception as exc:
            self.close()
            raise RuntimeError(f"page analysis does not work here: {exc!r}") from exc

    def submit(self, body: bytes, url: str, **kwargs: Any) -> Future[PageAnalysis]:
        """Analyse a page in a worker; the future never fails: errors become the analysis."""
        result: Future[PageAnalysis] = Future()
        scheduled = self._processes().schedule(
            self.func, args=(body, url), kwargs=kwargs, timeout=self.timeout
        )
        scheduled.add_done_callback(lambda done: result.set_result(self._outcome(done, url)))
        return result

    def submit_many(
        self, pages: Sequence[tuple[bytes, str, dict[str, Any]]]
    ) -> list[Future[PageAnalysis]]:
        """Analyse ``(body, url, kwargs)`` pages as one task (its timeout: the pages'
        together); the futures never fail. If the batch fails (a page hung, killed its
        worker or raised), each page is analysed again alone, so only its own analysis
        carries the error."""
        if len(pages) == 1:
            body, url, kwargs = pages[0]
            return [self.submit(body, url, **kwargs)]
        results: list[Future[PageAnalysis]] = [Future() for _ in pages]
        timeout = None if self.timeout is None else self.timeout * len(pages)
        scheduled = self._processes().schedule(
            _analyse_batch, args=(self.func, list(pages)), timeout=timeout
        )

        def done(batch: Future[list[PageAnalysis]]) -> None:
            try:
                analyses = batch.result()
            except Exception as exc:  # a page of the batch failed it: each page alone
                logger.debug("batch of %d pages failed (%r): one by one", len(pages), exc)
                for result, (body, url, kwargs) in zip(results, pages, strict=True):
                    alone = self.submit(body, url, **kwargs)
                    alone.add_done_callback(lambda f, r=result: r.set_result(f.result()))
                return
            for result, analysis in zip(results, analyses, strict=True):
                result.set_result(analysis)

        scheduled.add_done_callback(done)
        return results

    def _outcome(self, done: Future[PageAnalysis], url: str) -> PageAnalysis:
        try:
            return done.result()
        except TimeoutError:
            message = f"extraction timed out after {self.timeout} s (worker replaced)"
        except ProcessExpired as exc:
            message = f"extraction worker died (exit code {exc.exitcode}, worker replaced)"
        except Exception as exc:  # the worker raised: keep the crawl going
            message = f"extraction failed: {exc!r}"
        logger.debug("%s: %s", url, message)  # the item pipeline logs it once, with the URL
        return PageAnalysis("", (), {}, errors={"analysis": message})

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
        d: Deferred[PageAnalysis] = Deferred()
        if self.inline:
            d.callback(self.func(body, url, **kwargs))
            return d
        self._waiting.append((body, url, kwargs, d))
        # every worker has a batch in hand and one queued: wait for the next batch
        if self._in_flight < 2 * self.workers or len(self._waiting) >= self.batch_size:
            self._dispatch()
        return d

    def _dispatch(self) -> None:
        """Send the waiting pages as one batch (on the reactor thread)."""
        from twisted.internet import reactor  # the installed one, never installed here

        waiting, self._waiting = self._waiting, []
        if not waiting or self._closed:  # closed: close() answered the waiting pages
            return
        self._in_flight += 1
        futures = self.submit_many([(body, url, kwargs) for body, url, kwargs, _ in waiting])
        remaining = [len(futures)]

        def fire(d: Deferred[PageAnalysis], analysis: PageAnalysis) -> None:
            remaining[0] -= 1
            if remaining[0] == 0:  # the batch is done: its worker can take the next one
                self._in_flight -= 1
                if self._waiting:
                    self._dispatch()
            d.callback(analysis)

        for future, (*_, d) in zip(futures, waiting, strict=True):
            future.add_done_callback(
                lambda done, d=d: reactor.callFromThread(fire, d, done.result())
            )

    def close(self) -> None:
        """Stop the workers (pages still queued are dropped: their analyses say so)."""
        self._closed = True
        waiting, self._waiting = self._waiting, []
        for *_, d in waiting:
            d.callback(PageAnalysis("", (), {}, errors={"analysis": "extraction pool closed"}))
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None
