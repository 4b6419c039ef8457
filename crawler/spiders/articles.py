"""The article spider: seeds in, related reading (or more) followed, pages analysed off-reactor."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future

from archive.links import LinkRules, css_requisites, follow_urls
from crawler.capture import CAPTURE_DATE, RESPONSE_ID
from crawler.config import FOLLOW_MODES, crawler_config
from crawler.items import PageItem, RevisitItem
from crawler.pool import ExtractionPool
from crawler.recrawl import CHANGE, FRESH, LASTMOD, NOT_REQUESTED, PREVIOUS
from crawler.render import PageRenderer
from crawler.requisites import REQUISITE
from crawler.seeds import (
    feed_dates,
    feed_links,
    read_seeds_file,
    sitemap_entries,
    sitemap_lastmods,
)
from crawler.warcstore import WarcStoreExtension

__all__ = ["ArticlesSpider"]

logger = logging.getLogger(__name__)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class ArticlesSpider(scrapy.Spider):
    """Crawl news articles from seeds and follow their related reading.

    Arguments (``-a name=value``): ``seeds`` (comma-separated URLs), ``seeds_file``,
    ``sitemap``, ``feed`` (URLs, comma-separated), ``follow`` (related | content | all),
    ``depth`` (max hops from a seed, 0 = unlimited), ``domains`` (comma-separated hosts;
    default: the seeds' hosts).
    """

    name = "articles"

    def __init__(
        self,
        seeds: str = "",
        seeds_file: str | None = None,
        sitemap: str | None = None,
        feed: str | None = None,
        follow: str | None = None,
        depth: str | int | None = None,
        domains: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seed_urls = _split(seeds) + (read_seeds_file(seeds_file) if seeds_file else [])
        self.sitemaps = _split(sitemap)
        self.feeds = _split(feed)
        if follow is not None and follow not in FOLLOW_MODES:
            raise ValueError(f"follow must be one of {FOLLOW_MODES}, got {follow!r}")
        self.follow_arg = follow
        self.max_depth = int(depth or 0)
        every_seed = self.seed_urls + self.sitemaps + self.feeds
        self.seed_hosts = frozenset((urlsplit(url).hostname or "").lower() for url in every_seed)
        self.allowed_domains = _split(domains) or sorted(self.seed_hosts)
        # URLs this process already turned into requests: most links of a page were seen on
        # earlier pages, and skipping them here saves building, fingerprinting and
        # scheduling a request the frontier would drop anyway (it stays the authority,
        # across resumes too)
        self._followed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticlesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        joining = crawler.settings.get("WARCLOOM_REDIS_URL")  # a worker joining a shared crawl
        if not (spider.seed_urls or spider.sitemaps or spider.feeds or joining):
            raise ValueError("no seeds: give seeds=, seeds_file=, sitemap= or feed=")
        spider.config = crawler_config(crawler)
        spider.follow = spider.follow_arg or spider.config.follow
        spider.pool = ExtractionPool(
            spider.config.workers,
            inline=spider.config.extract_inline,
            timeout=spider.config.extract_timeout,
        )
        spider.renderer = PageRenderer.from_crawler(crawler, spider.pool, spider.seed_hosts)
        spider.pool.start()
        crawler.signals.connect(spider.pool.close, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # seeds, sitemaps and feeds are fetched in full on every crawl, never revisited
        for url in self.seed_urls:
            yield scrapy.Request(url, callback=self.parse, meta={FRESH: True})
        for url in self.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, meta={FRESH: True})
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, meta={FRESH: True})

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        pages, children = sitemap_entries(response.body)
        for url in children:
            yield scrapy.Request(url, callback=self.parse_sitemap, meta={FRESH: True})
        yield from self._requests(pages, response, sitemap_lastmods(response.body))

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        body, url = response.body, response.url
        yield from self._requests(feed_links(body, url), response, feed_dates(body, url))

    async def parse(self, response: Response) -> AsyncIterator[Any]:
        change = response.meta.get(CHANGE)
        if change is not None or NOT_REQUESTED in response.flags:
            for result in self._revisited(response, change):
                yield result
            return
        if not isinstance(response, HtmlResponse):
            self.crawler.stats.inc_value("warcloom/not_extracted/non_html")
            return
        host = (urlsplit(response.url).hostname or "").lower()
        options = replace(
            self.config.extraction, link_rules=LinkRules.for_host(self.config.link_rules, host)
        )
        analysis = await maybe_deferred_to_future(
            self.pool.analyse(
                response.body,
                response.url,
                content_type=_header(response, b"Content-Type"),
                content_language=_header(response, b"Content-Language"),
                options=options,
            )
        )
        rendered = None
        if self.renderer is not None:  # the raw capture is kept, the text is the DOM's
            analysis, rendered = await self.renderer.analysis_of(
                response, response.meta[RESPONSE_ID], analysis, options
            )
        yield PageItem(
            **_capture(response),
            analysis=analysis,
            previous=response.meta.get(PREVIOUS),
            rendered=rendered,
        )
        for request in self._requisites(analysis.requisites, response):
            yield request
        for request in self._requests(follow_urls(analysis.links, self.follow), response):
            yield request

    def parse_requisite(self, response: Response) -> Iterator[scrapy.Request]:
        """A requisite is archived, never analysed; a stylesheet's imports, fonts and images
        are requisites too (a stylesheet not modified since: those of its stored copy)."""
        if NOT_REQUESTED in response.flags or not _is_css(response):
            return
        if response.meta.get(CHANGE) == "not-modified":
            css = self.config.coll.last_payload(response.url) or b""
        elif 200 <= response.status < 300:
            css = response.body
        else:
            return
        encoding = response.encoding if isinstance(response, TextResponse) else "utf-8"
        text = css.decode(encoding, "replace")
        yield from self._requisites(css_requisites(text, response.url), response)

    def _revisited(self, response: Response, change: str | None) -> Iterator[Any]:
        """A page not fetched again, or fetched unchanged (a revisit), or gone: the links
        of its stored analysis are followed, as a recrawl should reach what the last crawl
        reached without reading bodies twice."""
        previous = response.meta[PREVIOUS]
        if change is not None:
            yield RevisitItem(**_capture(response), change=change, previous=previous)
        if change != "gone":
            store = self.crawler.get_extension(WarcStoreExtension)
            links, requisites = store.last_captures.outlinks(previous)
            yield from self._requisites(requisites, response)
            yield from self._requests(follow_urls(links, self.follow), response)

    def _requisites(self, urls: Iterable[str], response: Response) -> Iterator[scrapy.Request]:
        """Requests for the requisites of ``response``'s page the policy allows, not asked
        for yet: fetched soon after the page (a higher priority), whatever the depth."""
        policy = self.config.requisites
        for url in urls:
            if url in self._followed:
                continue
            if not policy.allows(response.url, url):
                self.crawler.stats.inc_value("warcloom/requisites/not_in_scope")
                continue
            self._followed.add(url)
            meta = {REQUISITE: True, "download_maxsize": policy.max_size, "allow_offsite": True}
            yield scrapy.Request(url, callback=self.parse_requisite, priority=1, meta=meta)

    def _requests(
        self, urls: list[str], response: Response, listed: dict[str, Any] | None = None
    ) -> Iterator[scrapy.Request]:
        """Requests for the in-scope URLs not followed yet; ``listed``: their dates in the
        sitemap or feed that listed them (a recrawl skips what did not change since)."""
        depth = response.meta.get("depth", 0) + 1
        if self.max_depth and depth > self.max_depth:
            self.crawler.stats.inc_value("warcloom/scope/too_deep", len(urls))
            return
        fresh = [url for url in urls if url not in self._followed]
        self._followed.update(fresh)
        if len(fresh) < len(urls):
            self.crawler.stats.inc_value("warcloom/links/already_followed", len(urls) - len(fresh))
        for url in fresh:
            if self._in_scope(url):
                when = (listed or {}).get(url)
                meta = {LASTMOD: when} if when is not None else None
                yield scrapy.Request(url, callback=self.parse, meta=meta)

    def _in_scope(self, url: str) -> bool:
        config = self.config
        if config.include and not any(p.search(url) for p in config.include):
            self.crawler.stats.inc_value("warcloom/scope/not_included")
            return False
        if any(p.search(url) for p in config.exclude):
            self.crawler.stats.inc_value("warcloom/scope/excluded")
            return False
        return True


def _capture(response: Response) -> dict[str, Any]:
    """The :class:`crawler.items.CaptureItem` fields of a response."""
    referer = response.request.headers.get(b"Referer") if response.request else None
    return {
        "url": response.url,
        "status": response.status,
        "response_id": response.meta[RESPONSE_ID],
        "capture_date": response.meta[CAPTURE_DATE],
        "depth": response.meta.get("depth", 0),
        "via": referer.decode("latin-1") if referer else None,
        "fetch_ms": 1000 * response.meta.get("download_latency", 0.0),
    }


def _is_css(response: Response) -> bool:
    """A stylesheet, by its Content-Type or (none sent, as in a 304) its path."""
    content_type = _header(response, b"Content-Type")
    if content_type:
        return "css" in content_type.lower()
    return urlsplit(response.url).path.lower().endswith(".css")


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
