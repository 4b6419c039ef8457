"""Runs page analysis off the reactor: a process pool sized to the cores.

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
from collections.abc import Callable
from concurrent.futures import Future, TimeoutError
from typing import Any

from pebble import ProcessExpired, ProcessPool
from twisted.internet.defer import Deferred

from archive.extraction import ExtractionOptions, PageAnalysis, analyse_html

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


class ExtractionPool:
    """``analyse(...)`` in ``workers`` processes, or inline on the caller's thread."""

    def __init__(
        self,
        workers: int,
        *,
        inline: bool = False,
        timeout: float | None = 60.0,
        func: Analyse = analyse_html,
    ) -> None:
        self.workers = max(1, workers)
        self.inline = inline
        self.timeout = timeout
        self.func = func
        self._pool: ProcessPool | None = None

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
        from twisted.internet import reactor  # the installed one, never installed here

        future = self.submit(body, url, **kwargs)
        future.add_done_callback(lambda done: reactor.callFromThread(d.callback, done.result()))
        return d

    def close(self) -> None:
        """Stop the workers (pages still queued are dropped)."""
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None
