"""A small HTTP server for edge cases: each request handled by a test's function, logged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it: when (monotonic seconds), which path, by whom."""

    time: float
    path: str
    agent: str = ""  # its User-Agent


Handler = Callable[[BaseHTTPRequestHandler], None]


class ScriptedServer:
    """Serves ``handle(request_handler)`` on ``host``, port 0, in a daemon thread.

    >>> with ScriptedServer(lambda h: h.send_error(404)) as server:  # doctest: +SKIP
    ...     server.url("/x")
    """

    def __init__(self, handle: Handler, host: str = "127.0.0.1") -> None:
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        scripted = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with scripted.lock:
                    scripted.hits.append(
                        Hit(time.monotonic(), self.path, self.headers.get("User-Agent", ""))
                    )
                handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), _Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "text/html; charset=utf-8",
) -> None:
    """A whole response with a Content-Length."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
