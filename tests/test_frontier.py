"""SqliteScheduler: unit tests without a reactor, and a real crawl killed with SIGKILL."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import scrapy
from scrapy.http import HtmlResponse, Request

from crawler.frontier import (
    DONE,
    ID_KEY,
    PARENT_KEY,
    FrontierSpiderMiddleware,
    SqliteScheduler,
)

REPO = Path(__file__).resolve().parents[1]
PAGES = 40


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


class Spider(scrapy.Spider):
    name = "unit"

    def parse(self, response: Any) -> None:
        pass


def make(path: Path | str = ":memory:", **kwargs: Any) -> SqliteScheduler:
    scheduler = SqliteScheduler(str(path), stats=Stats(), **kwargs)
    scheduler.open(Spider())
    return scheduler


def states(path: Path) -> dict[str, str]:
    """url -> state, read from the database file as another process would."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT state, request FROM requests").fetchall()
    conn.close()
    return {pickle.loads(data)["url"]: state for state, data in rows if data is not None}


def test_dedupe_priority_and_order() -> None:
    s = make()
    a, b = Request("http://x/a"), Request("http://x/b")
    c = Request("http://x/c", priority=5)
    assert [s.enqueue_request(r) for r in (a, b, c)] == [True, True, True]
    assert not s.enqueue_request(Request("http://x/a"))
    assert s.enqueue_request(Request("http://x/a", dont_filter=True))
    assert len(s) == 4
    assert s.stats.values["warcloom/frontier/duplicates"] == 1
    urls = []
    while s.has_pending_requests():
        urls.append(s.next_request().url)
    assert urls == ["http://x/c", "http://x/a", "http://x/b", "http://x/a"]
    assert s.next_request() is None
    assert s.stats.values["warcloom/frontier/dequeued"] == 4
    s.close("finished")


def test_callbacks_round_trip() -> None:
    spider = Spider()
    s = SqliteScheduler()
    s.open(spider)
    s.enqueue_request(Request("http://x/m", callback=spider.parse, cb_kwargs={"k": 1}))
    s.enqueue_request(Request("http://x/f", callback=lambda r: None))
    method = s.next_request()
    assert method.callback == spider.parse
    assert method.cb_kwargs == {"k": 1}
    assert callable(s.next_request().callback)  # kept in memory, not stored
    s.close("finished")


def test_state_survives_a_kill(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite"
    s = make(db)
    for name in "abc":
        s.enqueue_request(Request(f"http://x/{name}"))
    s.enqueue_request(Request("http://x/lambda", callback=lambda r: None))
    assert s.next_request().url == "http://x/a"  # in flight
    s.commit()
    s.enqueue_request(Request("http://x/uncommitted"))
    del s  # killed: no close, the last batch is not committed

    r = make(db)
    assert r.stats.values["warcloom/frontier/requeued_inflight"] == 1
    assert r.stats.values["warcloom/frontier/unserializable_dropped"] == 1
    assert len(r) == 3
    assert not r.enqueue_request(Request("http://x/b"))  # the seen set survived
    assert r.enqueue_request(Request("http://x/uncommitted"))  # lost, so not seen
    urls = [r.next_request().url for _ in range(4)]
    assert urls == ["http://x/a", "http://x/b", "http://x/c", "http://x/uncommitted"]
    r.close("finished")  # the engine drained them: done
    assert set(states(db).values()) == {DONE}


def test_done_only_after_children_are_enqueued(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite"
    s = make(db)
    s.enqueue_request(Request("http://x/p"))
    parent = s.next_request()
    pid = parent.meta[ID_KEY]
    s._on_response(response=None, request=parent, spider=None)  # received: not done yet
    children = [Request(f"http://x/c{i}", meta={PARENT_KEY: pid}) for i in range(2)]
    s.child_yielded(pid)
    s.child_yielded(pid)
    s.output_finished(pid)
    s.enqueue_request(children[0])
    s.commit()
    assert states(db)["http://x/p"] == "inflight"
    s.enqueue_request(children[1])
    s.commit()
    assert states(db)["http://x/p"] == DONE

    # a redirect or a retry carries the id of the request it replaces
    moved = s.next_request()
    assert s.enqueue_request(moved.replace(url="http://x/moved"))
    s.commit()
    assert states(db) == {
        "http://x/p": DONE,
        "http://x/c0": DONE,
        "http://x/c1": "queued",
        "http://x/moved": "queued",
    }
    s.close("finished")


def test_spider_middleware_tags_and_finishes() -> None:
    s = make()
    s.enqueue_request(Request("http://x/p"))
    parent = s.next_request()

    class Engine:
        scheduler = s

    class Crawler:
        engine = Engine()

    mw = FrontierSpiderMiddleware(Crawler())
    response = HtmlResponse("http://x/p", body=b"", request=parent)
    out = list(mw.process_spider_output(response, [Request("http://x/k"), {"item": 1}]))
    assert out[0].meta[PARENT_KEY] == parent.meta[ID_KEY]
    assert s._inflight  # the child is not enqueued yet
    s.enqueue_request(out[0])
    assert not s._inflight


def test_a_large_uncommitted_batch_dedupes_as_it_goes() -> None:
    s = make(commit_ops=10_000)
    requests = [Request(f"http://x/{i % 1000}") for i in range(10_000)]
    accepted = sum(s.enqueue_request(r) for r in requests)
    s.commit()
    assert accepted == 1000
    assert len(s) == 1000


def test_middleware_detection_and_addon() -> None:
    from scrapy.settings import Settings

    from crawler.frontier import FrontierAddon
    from crawler.frontier._tracking import middleware_enabled

    assert not middleware_enabled(Settings())
    settings = Settings({"SPIDER_MIDDLEWARES": {"crawler.frontier.FrontierSpiderMiddleware": 10}})
    assert middleware_enabled(settings)
    settings = Settings()
    FrontierAddon().update_settings(settings)
    assert settings["SCHEDULER"] is SqliteScheduler
    assert middleware_enabled(settings)


def test_frontier_modules_import_each_other_one_way_at_top_level() -> None:
    """No import cycle between the frontier's modules, and none hidden inside a function."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in (REPO / "crawler" / "frontier").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def siblings(nodes: Any) -> set[str]:
            return {
                node.module.rsplit(".", 1)[-1]
                for node in nodes
                if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("crawler.frontier.")
            }

        graph[path.stem] = siblings(ast.walk(tree))
        assert graph[path.stem] == siblings(tree.body), path.name  # all at top level

    def reaches(start: str, goal: str, seen: frozenset[str]) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in graph.get(start, ())
        )

    assert [name for name in graph if reaches(name, name, frozenset())] == []


# -- end to end: a real crawl, killed, then resumed --------------------------------------


class Site(BaseHTTPRequestHandler):
    log: ClassVar[list[str]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        try:
            page = int(self.path.rsplit("/", 1)[-1])
        except ValueError:
            page = PAGES
        if page >= PAGES:
            self.send_error(404)
            return
        with self.lock:
            self.log.append(self.path)
        kids = [k for k in (2 * page + 1, 2 * page + 2) if k < PAGES]
        links = "".join(f'<a href="/p/{k}">{k}</a>' for k in [*kids, 0, page, PAGES + page % 4])
        body = f"<html><body><h1>{page}</h1>{links}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


SPIDER = """
import scrapy


class SiteSpider(scrapy.Spider):
    name = "site"
    custom_settings = {
        "ADDONS": {"crawler.frontier.FrontierAddon": 0},
        "DOWNLOAD_DELAY": 0.1,
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS": 2,
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    async def start(self):
        yield scrapy.Request(self.settings["START_URL"])

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)
"""


@pytest.fixture
def site() -> Any:
    Site.log = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def crawl(tmp_path: Path, base: str, log: str) -> subprocess.Popen[bytes]:
    (tmp_path / "site_spider.py").write_text(SPIDER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    with (tmp_path / log).open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scrapy",
                "runspider",
                "site_spider.py",
                "-s",
                f"START_URL={base}/p/0",
                "-s",
                f"WARCLOOM_FRONTIER={tmp_path / 'frontier.sqlite'}",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_kill_and_resume(tmp_path: Path, site: str) -> None:
    first = crawl(tmp_path, site, "run1.log")
    deadline = time.monotonic() + 15
    while len(Site.log) < 15 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # let a commit or two land mid-crawl
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    run1 = list(Site.log)
    assert 15 <= len(run1) < PAGES
    done = {
        url.removeprefix(site)
        for url, st in states(tmp_path / "frontier.sqlite").items()
        if st == DONE
    }
    assert done, "nothing was committed as done before the kill"

    second = crawl(tmp_path, site, "run2.log")
    second.wait(timeout=30)
    output = (tmp_path / "run2.log").read_text()
    assert second.returncode == 0, output
    run2 = Site.log[len(run1) :]
    assert "resuming:" in output
    assert "Spider closed (finished)" in output
    # every page and 404 was marked done by the spider middleware, none left for close()
    assert "done_at_close" not in output

    assert {f"/p/{i}" for i in range(PAGES)} <= set(run1) | set(run2)
    assert not done & set(run2), "pages committed as done were fetched again"
    assert len(set(run1) & set(run2)) <= len(set(run1) - done)
    assert len(run2) == len(set(run2))  # no duplicate fetches within the resumed run
    assert set(states(tmp_path / "frontier.sqlite").values()) == {DONE}
