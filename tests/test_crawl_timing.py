"""Time on the wire: bodies cut by DOWNLOAD_TIMEOUT, and Retry-After."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from crawl_helpers import FAST, ArchiveView, load_stats, warcloom
from scripted_server import ScriptedServer, send

PAGE = (
    "<html><head><title>Slow page</title></head><body>"
    + "".join(f"<p>Paragraph {i} of a page that never finishes arriving.</p>" for i in range(80))
    + "</body></html>"
).encode()


def crawl(url: str, out: Path, *extra: str) -> dict:
    stats_path = out / "stats.json"
    output = warcloom(
        "crawl", url, "--out", str(out), "--stats-json", str(stats_path), *FAST, *extra
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
            stats = crawl(server.url("/slow"), tmp_path, "-s", "DOWNLOAD_TIMEOUT=1")
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
