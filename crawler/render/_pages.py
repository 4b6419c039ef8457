"""The crawl's side of rendering: which pages go to the browser, the records of what the
browser did, and the page's analysis from its rendered DOM.

The raw capture is always kept and analysed first; a page the options want rendered
(:meth:`RenderOptions.wants`) is then loaded in Chromium from that capture, and written as:

* per browser exchange, request + response records (``WARC-Concurrent-To`` each other and
  the page's raw response) and a metadata record ``via: "browser"`` about the response; a
  request that got no complete response: its request record and a metadata record naming
  the error, as the capture middleware does for failed fetches;
* the rendered DOM, a ``resource`` record ``urn:dom:<url>`` (``text/html``), and a PNG
  screenshot, a ``resource`` record ``urn:screenshot:<url>``, both ``WARC-Refers-To`` the
  page's raw response.

The DOM goes through the same analysis pool as raw pages: the page's text, languages and
links are the rendered DOM's, and its metadata record says so (``rendered``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from warcio.recordloader import ArcWarcRecord

from archive.extraction import ExtractionOptions, PageAnalysis
from archive.records import (
    build_capture,
    build_error_record,
    build_metadata_record,
    build_request_record,
    build_resource_record,
    record_id,
)
from archive.writer import WarcWriteError
from crawler.config import crawler_config
from crawler.pool import ExtractionPool
from crawler.render._browser import ChromiumRenderer, Document, Rendering
from crawler.render._options import RenderOptions, chromium_problem
from crawler.safety import _literal_verdict, is_public_address
from crawler.warcstore import WarcStoreExtension

__all__ = ["PageRenderer", "browser_may_fetch", "rendering_records"]

logger = logging.getLogger(__name__)

_ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


class PageRenderer:
    """Renders the pages the options want, archives what the browser did, and returns
    the analysis of the rendered DOM."""

    def __init__(
        self,
        crawler: Crawler,
        options: RenderOptions,
        pool: ExtractionPool,
        exempt_hosts: frozenset[str],
    ) -> None:
        self.crawler = crawler
        self.options = options
        self.pool = pool
        self.store: WarcStoreExtension | None = None  # the crawl's, once it is open
        self.allow_private = crawler_config(crawler).allow_private
        self.exempt_hosts = exempt_hosts
        self.browser = ChromiumRenderer(options, self._allowed)
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, pool: ExtractionPool, exempt_hosts: frozenset[str]
    ) -> PageRenderer | None:
        """The renderer of a crawl, or None when ``WARCLOOM_RENDER`` is ``never``. Raises
        RuntimeError when pages cannot be rendered here (no Chromium, no asyncio reactor)."""
        options = crawler_config(crawler).render
        if not options.enabled:
            return None
        problem = chromium_problem(options, crawler.settings)
        if problem is None and crawler.settings.get("TWISTED_REACTOR") != _ASYNCIO_REACTOR:
            problem = f"--render {options.mode} needs TWISTED_REACTOR = {_ASYNCIO_REACTOR}"
        if problem is not None:
            raise RuntimeError(problem)
        return cls(crawler, options, pool, exempt_hosts)

    def _opened(self, spider: object) -> None:
        # the crawl's User-Agent (with its contact URL), as the add-ons left it
        self.browser.user_agent = self.crawler.settings.get("USER_AGENT")
        self.store = self.crawler.get_extension(WarcStoreExtension)
        if self.store is None:
            raise RuntimeError("rendering needs crawler.warcstore.WarcStoreExtension")

    async def _closed(self, spider: object) -> None:
        await self.browser.close()

    async def analysis_of(
        self,
        response: Response,
        response_id: str,
        analysis: PageAnalysis,
        options: ExtractionOptions,
    ) -> tuple[PageAnalysis, dict[str, Any] | None]:
        """The page's analysis (its rendered DOM's when it was rendered) and, when it was,
        what the metadata record says of the rendering."""
        words = analysis.word_count if options.with_text else None
        wanted = self.options.wants(response.url, words)
        if self.store is None or not (wanted and 200 <= response.status < 300):
            return analysis, None
        rendering = await self.browser.render(_document(response, analysis.charset))
        self._count(rendering)
        records, dom_id, screenshot_id = rendering_records(rendering, response_id)
        try:
            self.store.write(records, last_captures=False)
        except WarcWriteError:  # the crawl is stopping (see WarcStoreExtension)
            self._inc("warcloom/not_archived/renderings")
            return analysis, None
        rendered = {
            "dom": dom_id,
            "screenshot": screenshot_id,
            "responses": len(rendering.exchanges),
            "failed-requests": len(rendering.failures),
            "seconds": round(rendering.seconds, 2),
            "problem": rendering.problem,
        }
        if rendering.dom is None:
            return analysis, rendered
        dom_analysis = await maybe_deferred_to_future(
            self.pool.analyse(
                rendering.dom.encode("utf-8"),
                response.url,
                content_type="text/html; charset=utf-8",
                content_language=_header(response, b"Content-Language"),
                options=options,
            )
        )
        # the charset is the archived response's, not the DOM's (handed over as UTF-8)
        raw_charset = {"charset": analysis.charset, "charset_declared": analysis.charset_declared}
        return replace(dom_analysis, **raw_charset), rendered

    async def _allowed(self, url: str) -> bool:
        allowed = await browser_may_fetch(url, self.exempt_hosts, self.allow_private)
        if not allowed:
            self._inc("warcloom/render/refused")
        return allowed

    def _count(self, rendering: Rendering) -> None:
        self._inc("warcloom/render/pages")
        self._inc("warcloom/render/responses", len(rendering.exchanges))
        if rendering.failures:
            self._inc("warcloom/render/failed_requests", len(rendering.failures))
        if rendering.timed_out:
            self._inc("warcloom/render/timeouts")
        if rendering.problem:
            if not rendering.timed_out:
                self._inc("warcloom/render/errors")
            logger.warning("Rendering %s: %s", rendering.url, rendering.problem)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("warcloom/render/browser_launches", self.browser.launches)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)


async def browser_may_fetch(url: str, exempt_hosts: frozenset[str], allow_private: bool) -> bool:
    """What the browser may fetch: http(s), and no private address unless allowed or its
    host is exempt (the seeds' hosts), as for the crawl's own requests. A name is resolved here and
    again by Chromium: unlike the crawl's own fetches, a name that changes its answer in
    between is not caught."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    if allow_private or host in exempt_hosts:
        return True
    verdict = _literal_verdict(host)
    if verdict is None:
        try:
            answers = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80)
        except OSError:
            return True  # Chromium's own lookup fails the same way
        verdict = bool(answers) and all(is_public_address(str(a[4][0])) for a in answers)
    return verdict


def rendering_records(
    rendering: Rendering, page_response_id: str
) -> tuple[list[ArcWarcRecord], str | None, str | None]:
    """The records of one page's rendering (see the module's docstring), and the record
    IDs of its DOM and its screenshot (None: not taken)."""
    records: list[ArcWarcRecord] = []
    page = rendering.url
    for exchange in rendering.exchanges:
        linked = replace(exchange, extra_warc_headers={"WARC-Concurrent-To": page_response_id})
        response, request = build_capture(linked)
        fields = {"via": "browser", "page": page}
        metadata = build_metadata_record(exchange.url, record_id(response), exchange.date, fields)
        records += [request, response, metadata]
    for failure in rendering.failures:
        request = build_request_record(
            failure.url,
            f"{failure.method} {failure.request_target} HTTP/1.1",
            failure.request_headers,
            failure.request_body,
            failure.date,
            concurrent_to=page_response_id,
        )
        fields = {"fetch-error": failure.error, "via": "browser", "page": page}
        error = build_error_record(failure.url, record_id(request), failure.date, fields)
        records += [request, error]
    dom_id = screenshot_id = None
    if rendering.dom is not None:
        dom = build_resource_record(
            f"urn:dom:{page}",
            "text/html; charset=utf-8",
            rendering.dom.encode("utf-8"),
            rendering.taken,
            refers_to=page_response_id,
        )
        dom_id = record_id(dom)
        records.append(dom)
    if rendering.screenshot is not None:
        shot = build_resource_record(
            f"urn:screenshot:{page}",
            "image/png",
            rendering.screenshot,
            rendering.taken,
            refers_to=page_response_id,
        )
        screenshot_id = record_id(shot)
        records.append(shot)
    return records, dom_id, screenshot_id


def _document(response: Response, charset: str) -> Document:
    """The raw capture as the browser is given it, its Content-Type naming the charset the
    analysis found (:mod:`archive.charset`): a page that declares none would otherwise be
    decoded by the browser's own guess, and its DOM and text differ from the raw page's."""
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
        if name.lower() != b"content-type"
    ]
    mime = (_header(response, b"Content-Type") or "text/html").split(";")[0].strip()
    headers.append(("Content-Type", f"{mime}; charset={charset}" if charset else mime))
    return Document(response.url, response.status, headers, response.body)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
