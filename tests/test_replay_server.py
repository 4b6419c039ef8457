"""``warcloom replay`` as a real server: the CLI starts waitress on 127.0.0.1, port 0."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from warc_fixtures import Capture, html_page, lang, make_collection, write_warc

from archive.collection import Collection
from crawler.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_cli_defaults_to_loopback(tmp_path):
    args = build_parser().parse_args(["replay", str(tmp_path)])
    assert args.host == "127.0.0.1" and args.port == 8080 and callable(args.func)


def test_cli_reports_a_missing_collection(tmp_path, capsys):
    from crawler.cli import main

    assert main(["replay", str(tmp_path / "nothing")]) == 2
    assert "collection" in capsys.readouterr().err


@pytest.fixture
def server(tmp_path):
    coll = make_collection(tmp_path)
    write_warc(
        coll / "archive" / "a.warc.gz",
        [
            Capture(
                "http://example.com/",
                html_page("Home", "<a href='/b'>b</a>"),
                title="Home",
                languages=[lang("en", "eng", 1.0)],
                text="Hello there.",
            ),
            Capture("http://example.com/b", html_page("B"), content_encoding="gzip"),
        ],
    )
    Collection.open(coll).rebuild_index()
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "replay", str(tmp_path), "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        yield m.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_real_server_replays(server):
    status, _, body = _get(server + "/")
    assert status == 200 and b"http://example.com/" in body

    status, headers, body = _get(server + "/20240501100000/http://example.com/")
    assert status == 200
    assert b"href='/20240501100000/http://example.com/b'" in body
    assert headers["Memento-Datetime"] == "Wed, 01 May 2024 10:00:00 GMT"

    status, headers, body = _get(server + "/20240501100000/http://example.com/b")
    assert status == 200 and "Content-Encoding" not in headers and b"<title>B</title>" in body
    status, headers, body = _get(server + "/20240501100000id_/http://example.com/b")
    assert headers["Content-Encoding"] == "gzip" and body[:2] == b"\x1f\x8b"

    status, _, body = _get(server + "/reader/20240501100000/http://example.com/")
    assert status == 200 and b"Hello there." in body
    assert _get(server + "/2024/http://example.com/")[0] == 302
    assert _get(server + "/20240501100000/http://elsewhere.example/")[0] == 404
    assert _get(server + "/2024x/http://example.com/")[0] == 400
    assert _get(server + "/..%2f..%2f..%2fetc%2fpasswd")[0] in (400, 404)
