"""Serve the sample site from a `ThreadingHTTPServer` on 127.0.0.1 in a daemon thread."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit

from crawler.sample_site._build import build_site
from crawler.sample_site._special import not_found_route
from crawler.sample_site._types import Route, SiteManifest

__all__ = ["SampleSite", "Served"]

_T = TypeVar("_T")

logger = logging.getLogger(__name__)


class Served(NamedTuple):
    """One request the site served."""

    path: str
    start: float  # time.monotonic() once its request was read
    replied: float  # ... before its response began to be written (its client cannot have it)
    end: float  # ... and once its response was written
    agent: str  # the client's User-Agent


class SampleSite:
    """The bundled news site, started on a free port.

    >>> with SampleSite() as site:
    ...     site.url(site.manifest.seed_path)  # doctest: +SKIP
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        proxy: bool = False,
        stall_seconds: float = 30.0,
        cdn_url: str | None = None,
    ) -> None:
        self.host = host
        self.cdn_url = cdn_url
        self.port = port
        self.proxy = proxy
        self.stall_seconds = stall_seconds
        self.base_url = ""
        self.requests: list[str] = []
        #: every request served: when (monotonic seconds) and to which User-Agent
        self.served: list[Served] = []
        self.leaked: list[str] = []
        self._manifest: SiteManifest | None = None
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def manifest(self) -> SiteManifest:
        if self._manifest is None:
            raise RuntimeError("SampleSite is not started")
        return self._manifest

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> SampleSite:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.site = self
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._routes, self._manifest = build_site(self.base_url, self.cdn_url)
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        logger.debug("sample site serving at %s (proxy=%s)", self.base_url, self.proxy)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- used by the handler -----------------------------------------------------------------

    def _record(self, log: list[_T], entry: _T) -> None:
        with self._lock:
            log.append(entry)

    def _lookup(self, target: str) -> Route:
        route = self._routes.get(target)
        if route is None:
            route = self._routes.get(target.split("?", 1)[0], not_found_route())
        return route

    def _is_self(self, netloc_host: str | None, netloc_port: int | None) -> bool:
        return (netloc_host or "").lower() == self.host.lower() and (netloc_port or 80) == self.port


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SampleSite

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("sample site: error while handling %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleNews/1.0"
    timeout = 15  # idle keep-alive connections
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle plus the client's
        # delayed ACK costs ~40 ms per keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        target = self._target()
        if target is not None:
            self._send_plain(Route(405, (("Allow", "GET, HEAD"),), b""), head=False)

    def do_CONNECT(self) -> None:
        site = self.server.site
        if site.proxy:
            site._record(site.leaked, self.path)
            self._send_plain(Route(502, (("Content-Type", "text/plain"),), b"blocked\n"), False)
        else:
            self._send_plain(Route(405, (("Content-Type", "text/plain"),), b"no\n"), False)

    # -- helpers -------------------------------------------------------------------------------

    def _target(self) -> str | None:
        """The request target as a path, or None when the request was refused."""
        site = self.server.site
        target = self.path
        if not target.startswith(("http://", "https://")):
            site._record(site.requests, target)
            return target
        parts = urlsplit(target)
        if parts.scheme == "http" and site._is_self(parts.hostname, parts.port):
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            site._record(site.requests, path)
            return path
        if site.proxy:
            site._record(site.leaked, target)
            body = b"502 Bad Gateway: the sample site does not forward requests\n"
            self._send_plain(Route(502, (("Content-Type", "text/plain"),), body), False)
        else:
            self._send_plain(Route(400, (("Content-Type", "text/plain"),), b"not a proxy\n"), False)
        return None

    def _serve(self, head: bool) -> None:
        start = time.monotonic()
        target = self._target()
        if target is None:
            return
        route = self.server.site._lookup(target)
        replied = time.monotonic()
        try:
            self._send_route(route, head)
        finally:
            site = self.server.site
            agent = self.headers.get("User-Agent", "")
            site._record(site.served, Served(target, start, replied, time.monotonic(), agent))

    def _send_route(self, route: Route, head: bool) -> None:
        if route.mode == "plain":
            self._send_plain(route, head)
        elif route.mode == "chunked":
            self._send_chunked(route, head)
        elif route.mode == "reset":
            self._reset()
        elif route.mode == "stall":
            self._send_stalled(route, head)
        elif route.mode == "short":
            self._send_short(route, head)
        else:  # pragma: no cover - routes are built by _build
            raise ValueError(route.mode)

    def _start(self, route: Route, extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(route.status, route.reason)
        for name, value in (*route.headers, *extra):
            self.send_header(name, value)
        self.end_headers()

    def _send_plain(self, route: Route, head: bool) -> None:
        self._start(route, (("Content-Length", str(len(route.body))),))
        if not head:
            self.wfile.write(route.body)

    def _send_chunked(self, route: Route, head: bool) -> None:
        self._start(route, (("Transfer-Encoding", "chunked"),))
        if head:
            return
        body = route.body
        cuts = [0, 1500, 1500 + len(body) // 3, 1500 + 2 * len(body) // 3, len(body)]
        for a, b in itertools.pairwise(cuts):
            chunk = body[a:b]
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def _reset(self) -> None:
        """Close the socket abruptly: SO_LINGER 0 makes close() send RST, no response."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # detach() so the makefile() wrappers cannot keep the descriptor open.
        os.close(sock.detach())

    def _send_stalled(self, route: Route, head: bool) -> None:
        self.close_connection = True
        self._start(route, (("Content-Length", str(len(route.body))), ("Connection", "close")))
        if head:
            return
        half = len(route.body) // 2
        try:
            self.wfile.write(route.body[:half])
            self.wfile.flush()
            if self.server.site._stopping.wait(self.server.site.stall_seconds):
                return
            self.wfile.write(route.body[half:])
        except OSError:
            pass  # the client gave up: that is the point of this page

    def _send_short(self, route: Route, head: bool) -> None:
        self.close_connection = True
        self._start(route, (("Connection", "close"),))
        if not head:
            self.wfile.write(route.body)
