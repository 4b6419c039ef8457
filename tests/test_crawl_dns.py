"""SSRF through DNS: the address vetted is the address connected to.

Each crawl runs under ``dns_jail.py``: a scripted system resolver (answers may change
from one lookup to the next) and a network that stops at 127.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from crawl_helpers import FAST, load_stats
from scripted_server import ScriptedServer, send

JAIL = Path(__file__).with_name("dns_jail.py")
PRIVATE_HOST = "127.0.0.3"  # the address a hostile name points to
PUBLIC_ANSWER = "93.184.215.14"  # a global address: the jail keeps connections off the net


def jailed_crawl(
    tmp_path: Path, table: dict[str, list[list[str]]], *args: str
) -> tuple[dict, list[str]]:
    """Run ``warcloom crawl ARGS`` in the jail; its stats (with its output) and connects."""
    table_path = tmp_path / "dns.json"
    table_path.write_text(json.dumps(table))
    connects = tmp_path / "connects.log"
    connects.touch()
    stats_path = tmp_path / "stats.json"
    out = tmp_path / "out"
    argv = ["crawl", *args, "--out", str(out), "--stats-json", str(stats_path), *FAST]
    result = subprocess.run(
        [sys.executable, str(JAIL), str(table_path), str(connects), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "no_proxy": "*", "http_proxy": "", "https_proxy": ""},
    )
    assert stats_path.exists(), result.stderr[-4000:]
    stats = load_stats(stats_path)
    stats["_output"] = result.stdout + result.stderr
    return stats, connects.read_text().split("\n")


def page_linking(*urls: str) -> bytes:
    links = "".join(f'<li><a href="{u}">Story {i}</a></li>' for i, u in enumerate(urls))
    return f"<html><head><title>Links</title></head><body><ul>{links}</ul></body></html>".encode()


CASES = {
    # (a) no answer at first (robots.txt fails), then a private one
    "late": [[], [PRIVATE_HOST]],
    # (b) rebinding: a public answer, then (TTL 0) a private one
    "rebind": [[PUBLIC_ANSWER], [PRIVATE_HOST]],
    # a mixed answer: only its public part is used
    "mixed": [[PRIVATE_HOST, PUBLIC_ANSWER]],
}


@pytest.mark.parametrize(
    ("case", "resolver"),
    [
        *((case, None) for case in sorted(CASES)),
        # another TWISTED_DNS_RESOLVER: the guard wraps it
        ("late", "scrapy.resolver.CachingThreadedResolver"),
    ],
)
def test_dns_answers_are_vetted_where_they_are_used(
    tmp_path: Path, case: str, resolver: str | None
) -> None:
    answers = CASES[case]
    extra = ["-s", f"TWISTED_DNS_RESOLVER={resolver}"] if resolver else []
    # a private server the name is steered to
    with ScriptedServer(lambda h: send(h, 200, b"<p>secret</p>"), host=PRIVATE_HOST) as private:
        target = private.url(f"/{case}", host=f"{case}.test")

        def seed(handler: BaseHTTPRequestHandler) -> None:
            if handler.path == "/":
                send(handler, 200, page_linking(target))
            else:
                send(handler, 404)

        with ScriptedServer(seed) as site:
            stats, connects = jailed_crawl(
                tmp_path,
                {f"{case}.test": answers},
                site.url("/"),
                "--follow",
                "all",
                "--domains",
                "127.0.0.1",
                f"{case}.test",
                "-s",
                "RETRY_ENABLED=False",
                *extra,
            )
        hits = private.paths()
    output = stats["_output"]
    assert stats["finish_reason"] == "finished", output[-4000:]
    assert "/" in site.paths()
    # nothing reached the private server, not even robots.txt; no connection was tried
    assert hits == []
    assert not [c for c in connects if c.startswith(PRIVATE_HOST)]
    if any(PUBLIC_ANSWER in answer for answer in answers):
        # the public answer is what the crawler connected to (the jail stopped it there)
        assert f"{PUBLIC_ANSWER} {private.port}" in connects
    else:
        # refused, counted and logged with its URL
        assert stats["warcloom/refused/private_address"] >= 1
        assert f"Refused {target}" in output
    assert stats.get("warcloom/dns_guard/wrapped") == (1 if resolver else None)
