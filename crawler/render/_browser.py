"""Chromium driven through Playwright: one page loaded from its raw capture, every network
exchange the browser makes for it recorded, the rendered DOM and a screenshot taken.

The page's document is handed to the browser from the raw capture (``route.fulfill``), so
the DOM grows from exactly the archived bytes and the server is not asked twice; every
other request (scripts, XHR/fetch, images, frames) goes to the network, vetted first
(``allow``), and is recorded from Playwright's network events: request headers and body,
status, response headers and body (Chromium gives bodies content-decoded). Bounded: a page
has ``timeout`` seconds to load and settle, then is taken as it is; contexts are limited;
the browser is started afresh after ``restart_after`` pages or when it died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request as PwRequest
from playwright.async_api import Response as PwResponse
from playwright.async_api import TimeoutError as PlaywrightTimeout

from archive.records import HttpExchange
from crawler.render._options import RenderOptions

__all__ = ["BrowserFailure", "ChromiumRenderer", "Document", "Rendering"]

logger = logging.getLogger(__name__)

Allow = Callable[[str], Awaitable[bool]]

# headers that describe the transfer of the document, not the document handed over
_NOT_FULFILLED = {"content-encoding", "content-length", "transfer-encoding", "connection"}
_STEP_TIMEOUT = 10.0  # seconds for the DOM, the screenshot, closing a context
_BODY_GRACE = 2.0  # seconds the bodies still on the wire get once the page is taken


@dataclass(frozen=True)
class Document:
    """The raw capture of a page, as the browser is given it."""

    url: str
    status: int
    headers: list[tuple[str, str]]  # content-decoded body: no Content-Encoding
    body: bytes


@dataclass(frozen=True)
class BrowserFailure:
    """A request the browser made that got no complete response."""

    url: str
    method: str
    request_target: str
    request_headers: list[tuple[bytes, bytes]]
    request_body: bytes
    date: datetime
    error: str


@dataclass
class Rendering:
    """What loading one page gave: its exchanges, its DOM and screenshot, what went wrong."""

    url: str
    exchanges: list[HttpExchange] = field(default_factory=list)
    failures: list[BrowserFailure] = field(default_factory=list)
    dom: str | None = None
    screenshot: bytes | None = None
    problem: str | None = None  # the page did not load in time, the browser failed, ...
    timed_out: bool = False
    seconds: float = 0.0
    taken: datetime = field(default_factory=lambda: datetime.now(UTC))  # DOM and screenshot


class _Launched:
    """One browser process and the pages it has been given."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.pages = 0
        self.active = 0
        self.retired = False

    @property
    def usable(self) -> bool:
        return not self.retired and self.browser.is_connected()


class ChromiumRenderer:
    """Renders pages in Debian's Chromium (never a downloaded browser build)."""

    def __init__(self, options: RenderOptions, allow: Allow, user_agent: str | None = None):
        self.options = options
        self.allow = allow
        self.user_agent = user_agent
        self.launches = 0
        self._slots = asyncio.Semaphore(options.contexts)
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._current: _Launched | None = None

    async def render(self, document: Document) -> Rendering:
        """Load ``document`` and record what the browser did; never raises for the page's
        sake (a failure is the rendering's ``problem``)."""
        async with self._slots:
            started = time.monotonic()
            rendering = Rendering(document.url)
            launched: _Launched | None = None
            try:
                launched = await self._browser()
                launched.active += 1
                launched.pages += 1
                budget = self.options.timeout * 2 + 4 * _STEP_TIMEOUT  # the last resort
                await asyncio.wait_for(self._load(launched.browser, document, rendering), budget)
            except (PlaywrightError, TimeoutError) as exc:
                rendering.problem = f"browser failed: {type(exc).__name__}: {exc}".strip()
                if launched is not None:
                    launched.retired = True  # started afresh for the next page
            finally:
                if launched is not None:
                    launched.active -= 1
                    await self._retire_if_done(launched)
            rendering.seconds = time.monotonic() - started
        return rendering

    async def close(self) -> None:
        """Close the browser and Playwright's driver."""
        if self._current is not None:
            self._current.retired = True
            await self._retire_if_done(self._current)
            self._current = None
        await self._stop_driver()

    async def _stop_driver(self) -> None:
        if self._playwright is not None:
            playwright, self._playwright = self._playwright, None
            with contextlib.suppress(PlaywrightError, OSError):
                await playwright.stop()

    # -- the browser ---------------------------------------------------------------------

    async def _browser(self) -> _Launched:
        async with self._lock:
            current = self._current
            if current is not None and current.usable:
                if current.pages < self.options.restart_after:
                    return current
                current.retired = True
            if current is not None:
                await self._retire_if_done(current)
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            try:
                browser = await self._playwright.chromium.launch(
                    executable_path=self.options.chromium, headless=True
                )
            except PlaywrightError:  # the driver itself may be gone: start it afresh too
                await self._stop_driver()
                raise
            self.launches += 1
            if self.launches > 1:
                logger.info("Chromium started afresh (launch %d)", self.launches)
            self._current = _Launched(browser)
            return self._current

    async def _retire_if_done(self, launched: _Launched) -> None:
        if launched.active == 0 and (launched.retired or not launched.usable):
            with contextlib.suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(launched.browser.close(), _STEP_TIMEOUT)

    # -- one page ------------------------------------------------------------------------

    async def _load(self, browser: Browser, document: Document, rendering: Rendering) -> None:
        context = await browser.new_context(
            service_workers="block", user_agent=self.user_agent or None
        )
        try:
            page = await context.new_page()
            recorder = _Recorder(document, self.allow, rendering)
            await context.route("**/*", recorder.route)
            page.on("request", recorder.requested)
            page.on("response", recorder.responded)
            page.on("requestfailed", recorder.failed)
            await self._navigate(page, document.url, rendering)
            await recorder.settle(_BODY_GRACE if rendering.timed_out else _STEP_TIMEOUT)
            await self._snapshot(page, rendering)
        finally:
            with contextlib.suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(context.close(), _STEP_TIMEOUT)

    async def _navigate(self, page: Page, url: str, rendering: Rendering) -> None:
        """Load the page (its ``load`` event), then let it settle (network idle) in what is
        left of the timeout; a page that does not load in time is taken as it is."""
        timeout = self.options.timeout
        started = time.monotonic()
        try:
            await page.goto(url, wait_until="load", timeout=timeout * 1000)
        except PlaywrightTimeout:
            rendering.timed_out = True
            rendering.problem = f"the page did not finish loading within {timeout:g} s"
            return
        left = timeout - (time.monotonic() - started)
        if left > 0:
            with contextlib.suppress(PlaywrightTimeout):
                await page.wait_for_load_state("networkidle", timeout=left * 1000)

    async def _snapshot(self, page: Page, rendering: Rendering) -> None:
        rendering.taken = datetime.now(UTC)
        try:
            rendering.dom = await asyncio.wait_for(page.content(), _STEP_TIMEOUT)
            rendering.screenshot = await page.screenshot(
                full_page=True, type="png", timeout=_STEP_TIMEOUT * 1000
            )
        except (PlaywrightError, TimeoutError) as exc:
            what = "screenshot" if rendering.dom is not None else "DOM"
            problem = f"no {what}: {type(exc).__name__}: {exc}".strip()
            rendering.problem = f"{rendering.problem}; {problem}" if rendering.problem else problem


class _Recorder:
    """The network events of one page, turned into exchanges and failures."""

    def __init__(self, document: Document, allow: Allow, rendering: Rendering) -> None:
        self.document = document
        self.allow = allow
        self.rendering = rendering
        self.fulfilled: PwRequest | None = None
        self.started: dict[PwRequest, datetime] = {}
        self.refused: set[PwRequest] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def route(self, route: Route, request: PwRequest) -> None:
        if self.fulfilled is None and request.is_navigation_request():
            self.fulfilled = request  # the page itself: from its raw capture, not recorded
            self.started.pop(request, None)
            document = self.document
            headers = {
                name: value
                for name, value in document.headers
                if name.lower() not in _NOT_FULFILLED
            }
            await route.fulfill(status=document.status, headers=headers, body=document.body)
        elif await self.allow(request.url):
            await route.continue_()
        else:
            self.refused.add(request)
            await route.abort("blockedbyclient")

    def requested(self, request: PwRequest) -> None:
        if request is not self.fulfilled and _recordable(request.url):
            self.started[request] = datetime.now(UTC)

    def responded(self, response: PwResponse) -> None:
        request = response.request
        if request in self.started and request is not self.fulfilled:
            self._track(self._exchange(response, self.started.pop(request)))

    def failed(self, request: PwRequest) -> None:
        date = self.started.pop(request, None)
        if date is not None:
            reason = "refused: not a public address" if request in self.refused else None
            error = reason or request.failure or "failed"
            self._track(self._failure(request, date, error))

    def _track(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def settle(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the exchanges being read; what is left (a body
        still on the wire, a request never answered) is recorded as a failure."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)
        for task in list(self.tasks):
            task.cancel()
        now = datetime.now(UTC)
        for request, date in list(self.started.items()):
            message = f"no response by {now.isoformat(timespec='seconds')}, the page was taken"
            self._track(self._failure(request, date, message))
        self.started.clear()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=_STEP_TIMEOUT)

    async def _exchange(self, response: PwResponse, date: datetime) -> None:
        request = response.request
        try:
            try:
                body = await response.body()
            except PlaywrightError as exc:
                if not 300 <= response.status < 400:  # a redirect has no body to keep
                    raise PlaywrightError(f"body not received: {exc}") from None
                body = b""
            headers = _response_headers(await response.headers_array())
            sent = await _request_headers(request)
            address = None
            with contextlib.suppress(PlaywrightError):
                server = await response.server_addr()
                address = server["ipAddress"] if server else None
        except asyncio.CancelledError:
            message = "the body was still arriving when the page was taken"
            self.rendering.failures.append(await self._failed(request, date, message))
            raise
        except PlaywrightError as exc:
            self.rendering.failures.append(await self._failed(request, date, str(exc)))
            return
        status_line = f"HTTP/1.1 {response.status} {response.status_text}".rstrip()
        self.rendering.exchanges.append(
            HttpExchange(
                url=response.url,
                method=request.method,
                request_target=_request_target(request.url),
                request_headers=sent,
                request_body=request.post_data_buffer or b"",
                protocol="HTTP/1.1",
                status=response.status,
                response_headers=headers,
                body=body,
                date=date,
                ip_address=address,
                status_line=status_line,
            )
        )

    async def _failure(self, request: PwRequest, date: datetime, error: str) -> None:
        self.rendering.failures.append(await self._failed(request, date, error))

    async def _failed(self, request: PwRequest, date: datetime, error: str) -> BrowserFailure:
        try:
            sent = await asyncio.wait_for(_request_headers(request), _BODY_GRACE)
        except (PlaywrightError, TimeoutError, asyncio.CancelledError):
            sent = [(b"Host", _host(request.url))]
        return BrowserFailure(
            url=request.url,
            method=request.method,
            request_target=_request_target(request.url),
            request_headers=sent,
            request_body=request.post_data_buffer or b"",
            date=date,
            error=error,
        )


def _recordable(url: str) -> bool:
    return url.startswith(("http:", "https:"))


def _host(url: str) -> bytes:
    return urlsplit(url).netloc.rpartition("@")[2].encode("latin-1", "replace")


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target


async def _request_headers(request: PwRequest) -> list[tuple[bytes, bytes]]:
    """The headers as the browser sent them, ``Host`` first when it did not say it."""
    sent = [
        (h["name"].encode("latin-1"), h["value"].encode("latin-1", "replace"))
        for h in await request.headers_array()
    ]
    if not any(name.lower() == b"host" for name, _ in sent):
        sent.insert(0, (b"Host", _host(request.url)))
    return sent


def _response_headers(headers: list[dict[str, str]]) -> list[tuple[bytes, bytes]]:
    """Response headers as stored: the body is content-decoded, so Content-Encoding is
    renamed ``X-Crawler-Content-Encoding`` (Transfer-Encoding and Content-Length are
    handled by :mod:`archive.records`)."""
    stored = []
    for header in headers:
        name = header["name"]
        if name.lower() == "content-encoding":
            name = "X-Crawler-Content-Encoding"
        stored.append((name.encode("latin-1"), header["value"].encode("latin-1", "replace")))
    return stored
