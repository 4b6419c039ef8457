"""Time on the wire: bodies cut by DOWNLOAD_TIMEOUT, and Retry-After."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from crawl_helpers import FAST, ArchiveView, load_stats, warcloom
from scripted_server import ScriptedServer, send

PAGE = (
    "<html><head><title>Slow page</title></head><body>"
    + "".join(f"<p>Paragraph {i} of a page that never finishes arriving.</p>" for i in range(80))
    + "</body></html>"
).encode()


def crawl(*urls: str, out: Path, extra: tuple[str, ...] = ()) -> dict:
    stats_path = out / "stats.json"
    output = warcloom(
        "crawl", *urls, "--out", str(out), "--stats-json", str(stats_path), *FAST, *extra
    )
    stats = load_stats(stats_path)
    stats["_output"] = output
    return stats


def warcio_check(view: ArchiveView) -> None:
    warcio = str(Path(sys.executable).parent / "warcio")
    for path in view.files:
        assert subprocess.run([warcio, "check", str(path)]).returncode == 0


def test_a_body_cut_by_the_download_timeout_is_kept(tmp_path: Path) -> None:
    sent = PAGE[: len(PAGE) // 2]
    release = threading.Event()

    def stall(handler: BaseHTTPRequestHandler) -> None:
        if handler.path != "/slow":
            send(handler, 404)
            return
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(PAGE)))
        handler.end_headers()
        handler.wfile.write(sent)
        handler.wfile.flush()
        release.wait(60)  # held open well past DOWNLOAD_TIMEOUT

    with ScriptedServer(stall) as server:
        try:
            stats = crawl(server.url("/slow"), out=tmp_path, extra=("-s", "DOWNLOAD_TIMEOUT=1"))
        finally:
            release.set()
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    (response,) = view.responses_by_url()[server.url("/slow")]
    assert response.headers["WARC-Truncated"] == "time"
    assert response.payload == sent
    assert ("Content-Length", str(len(sent))) in response.http_headers
    assert ("X-Crawler-Content-Length", str(len(PAGE))) in response.http_headers
    assert stats["warcloom/captures/truncated"] == 1
    assert f"Archived a truncated body (time) for {server.url('/slow')}" in stats["_output"]
    warcio_check(view)


def test_retry_after_is_honoured_per_host(tmp_path: Path) -> None:
    tries: dict[str, int] = {}

    def busy_once(handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path not in ("/delta", "/date", "/long"):
            send(handler, 404)
            return
        tries[path] = tries.get(path, 0) + 1
        if tries[path] > 1:
            send(handler, 200, PAGE)
            return
        now = int(time.time())
        if path == "/delta":
            headers = (("Retry-After", "2"),)
        elif path == "/date":  # an HTTP-date, read against the server's Date
            headers = (("Date", formatdate(now, usegmt=True)),)
            headers += (("Retry-After", formatdate(now + 2, usegmt=True)),)
        else:  # over WARCLOOM_RETRY_AFTER_MAX: retried at once, as without the header
            headers = (("Retry-After", "86400"),)
        send(handler, 503, b"busy", headers)

    with ScriptedServer(busy_once) as server:
        urls = [server.url(p) for p in ("/delta", "/date", "/long")]
        stats = crawl(*urls, out=tmp_path, extra=("-s", "RETRY_TIMES=1"))
        hits = list(server.hits)
    output = stats["_output"]
    for path in ("/delta", "/date"):
        first, second = (hit.time for hit in hits if hit.path == path)
        assert second - first >= 1.9, path  # a lower bound only
    assert "over WARCLOOM_RETRY_AFTER_MAX" in output
    assert [hit.path for hit in hits].count("/long") == 2
    # every try archived
    view = ArchiveView.load(tmp_path / "collections" / "default" / "archive")
    responses = view.responses_by_url()
    for url in urls:
        assert [r.http_status for r in responses[url]] == [503, 200], url
    assert stats["warcloom/retry_after/waited"] == 2
