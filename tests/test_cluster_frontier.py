"""The shared frontier's Redis scripts, against a real Redis (no Scrapy, no crawl)."""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Iterator

import pytest
import redis
from cluster_helpers import crawl_name, redis_or_skip
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.cluster import ClusterConfig, RedisFrontier, connect, redacted
from crawler.cluster._scheduler import ClusterScheduler


@pytest.fixture
def frontier() -> Iterator[RedisFrontier]:
    url = redis_or_skip()
    with crawl_name() as name:
        client = connect(url)
        yield RedisFrontier(client, name)
        client.close()


def push(host: str, fp: str, data: str, front: bool = False) -> tuple:
    return ("P", host, fp.encode(), int(front), 0, data.encode())


def test_pushes_are_deduplicated_and_acknowledged_in_order(frontier: RedisFrontier) -> None:
    ops = [push("a.test", "1", "a1"), push("a.test", "1", "a1"), push("b.test", "2", "b1")]
    assert frontier.flush("w1", ops) == (2, 1, 0)
    frontier.renew("w1", 5000, {}, [])
    claimed, taken = frontier.claim("w1", 5000, 10)
    assert sorted(claimed) == ["a.test", "b.test"] and taken == []
    assert frontier.take("w1", "a.test", 5, 0) == ("ok", [b"a1"])
    assert frontier.take("w1", "a.test", 5, 0) == ("empty", [])  # leased, not acknowledged
    assert not frontier.finish()
    # the link a page yielded goes in before the page is acknowledged, in one script
    assert frontier.flush("w1", [push("a.test", "3", "a2"), ("A", "a.test", b"a1")]) == (1, 0, 1)
    assert frontier.take("w1", "a.test", 5, 0) == ("ok", [b"a2"])
    frontier.flush("w1", [("A", "a.test", b"a2")])
    assert frontier.take("w1", "a.test", 5, 0) == ("released", [])
    assert frontier.take("w1", "b.test", 5, 0) == ("ok", [b"b1"])
    frontier.flush("w1", [("A", "b.test", b"b1")])
    assert frontier.finish()
    assert frontier.snapshot().counts == {"queued": 0, "inflight": 0, "pushed": 3, "done": 3}
    # the next crawl of the collection starts afresh: the seen set is gone
    assert frontier.reset_if_finished(60_000) == -1  # a late worker of that crawl
    assert frontier.reset_if_finished(0) == 1
    assert frontier.flush("w2", [push("a.test", "1", "a1")]) == (1, 0, 0)


def test_a_shard_is_held_by_one_worker_and_taken_over_after_its_lease(
    frontier: RedisFrontier,
) -> None:
    lease = 2000  # ms: longer than any pause of a loaded machine between two calls
    frontier.flush("w1", [push("a.test", str(i), f"a{i}") for i in range(3)])
    for worker in ("w1", "w2"):
        frontier.renew(worker, lease, {}, [])
    assert frontier.claim("w1", lease, 10) == (["a.test"], [])
    assert frontier.claim("w2", lease, 10) == ([], [])  # held by w1
    assert frontier.take("w2", "a.test", 1, 0) == ("lost", [])
    assert frontier.take("w1", "a.test", 2, 0) == ("ok", [b"a0", b"a1"])
    time.sleep(lease / 1000 + 0.2)  # w1 goes silent: its lease expires
    frontier.renew("w2", lease, {}, [])
    claimed, taken = frontier.claim("w2", lease, 10)
    assert claimed == ["a.test"] and taken == [("a.test", "w1", 2)]
    # its leased requests come back first, in their order
    assert frontier.take("w2", "a.test", 5, 0) == ("ok", [b"a0", b"a1", b"a2"])
    assert frontier.renew("w1", lease, {}, ["a.test"]).lost == ["a.test"]
    # w1 finished a0 after all (its records and links are in): the lease ends either way
    frontier.flush("w1", [("A", "a.test", b"a0")])
    assert frontier.snapshot().counts["inflight"] == 2
    frontier.flush("w2", [("A", "a.test", b"a0")])
    assert frontier.snapshot().counts == {
        "queued": 0,
        "inflight": 2,
        "pushed": 3,
        "done": 1,
        "takeovers": 1,
    }


def test_workers_get_a_fair_share_and_wait_the_delay_after_a_handover(
    frontier: RedisFrontier,
) -> None:
    frontier.flush("w1", [push(f"h{i}.test", str(i), f"r{i}") for i in range(4)])
    for worker in ("w1", "w2"):
        frontier.renew(worker, 5000, {}, [])
    assert len(frontier.claim("w1", 5000, 10)[0]) == 2  # 4 shards, 2 workers
    mine = frontier.claim("w2", 5000, 10)[0]
    assert len(mine) == 2
    host = mine[0]
    frontier.flush("w1", [push(host, "x", "later")])
    assert frontier.release("w2", host, 3000) == 0  # long enough for any machine's pause
    assert frontier.claim("w1", 5000, 10) == ([], [])  # w1 has its share
    assert frontier.claim("w2", 5000, 10) == ([], [])  # not before the delay is over
    time.sleep(3.1)
    assert frontier.claim("w2", 5000, 10)[0] == [host]


def test_cluster_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARCLOOM_REDIS_URL", raising=False)
    monkeypatch.delenv("WARCLOOM_REDIS_LEASE", raising=False)
    assert ClusterConfig.from_settings(Settings()) is None  # a local crawl
    base = {"WARCLOOM_REDIS_URL": "redis://:secret@h:6379/1", "WARCLOOM_COLLECTION": "news"}
    config = ClusterConfig.from_settings(Settings({**base, "WARCLOOM_REDIS_LEASE": "3"}))
    assert config is not None and (config.lease, config.give_up, config.lease_ms) == (3, 300, 3000)
    assert config.where == "redis://:***@h:6379/1" == redacted(config.url)
    monkeypatch.setenv("WARCLOOM_REDIS_LEASE", "7")
    assert ClusterConfig.from_settings(Settings(base)).lease == 7  # from the environment
    for name, value, said in (
        ("WARCLOOM_REDIS_URL", "http://h", "redis://"),
        ("WARCLOOM_REDIS_LEASE", "0", "more than 0"),
        ("WARCLOOM_REDIS_GIVE_UP", "-1", "0 or more"),
        ("WARCLOOM_REDIS_TIMEOUT", "soon", "a number"),
    ):
        with pytest.raises(ValueError, match=said):
            ClusterConfig.from_settings(Settings({**base, name: value}))


def test_status_shows_workers_shards_and_queues(
    frontier: RedisFrontier, capsys: pytest.CaptureFixture[str]
) -> None:
    from crawler.cli import main

    frontier.flush("w1", [push("a.test", str(i), f"a{i}") for i in range(3)])
    frontier.flush("w1", [push("b.test", "b", "b0")])
    frontier.renew("w1", 5000, {"host": "m1", "pid": 42, "pages": 7, "pages_per_s": 1.5}, [])
    frontier.claim("w1", 5000, 1)
    url = frontier.client.connection_pool.connection_kwargs
    redis_url = f"redis://{url['host']}:{url['port']}/{url.get('db', 0)}"
    args = ["status", "--redis", redis_url, "--collection", frontier.collection]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"crawl {frontier.collection}: running" in text
    assert "queued 4, in flight 0" in text and "2 host(s), 1 held, 1 waiting" in text
    assert "m1 pid 42: heartbeat" in text and "1.5 pages/s" in text
    assert text.index("a.test  3") < text.index("b.test  1")  # longest queue first
    assert main([*args, "--json"]) == 0
    [snapshot] = json.loads(capsys.readouterr().out)
    assert snapshot["counts"]["queued"] == 4 and snapshot["workers"][0]["details"]["pid"] == 42
    assert main(["status", "--redis", redis_url, "--collection", "no-such-crawl-here"]) == 1


class _AnswerLost(RedisFrontier):
    """The frontier, with the answer of its next ``lose`` script (TAKE, CLAIM) lost after
    Redis ran it (an outage between the script and its reply)."""

    def __init__(self, frontier: RedisFrontier, lose: str) -> None:
        super().__init__(frontier.client, frontier.collection)
        self.lose: str | None = lose

    def _run(self, name: str, *args: object) -> object:
        answer = super()._run(name, *args)
        if name == self.lose:
            self.lose = None
            raise redis.ConnectionError("Connection closed by server.")
        return answer


def _lossy_scheduler(frontier: RedisFrontier, lose: str) -> tuple[ClusterScheduler, list[str]]:
    """A scheduler on a crawl of three queued URLs whose next ``lose`` answer is lost; its
    guard's clock stands still until the test moves it."""
    urls = [f"http://a.test/{i}" for i in range(3)]
    frontier.flush(
        "seeder",
        [("P", "a.test", url.encode(), 0, 0, pickle.dumps(Request(url).to_dict())) for url in urls],
    )
    crawler = get_crawler(settings_dict={"CONCURRENT_REQUESTS_PER_DOMAIN": 1})
    lossy = _AnswerLost(frontier, lose)
    scheduler = ClusterScheduler(crawler, ClusterConfig("redis://x", frontier.collection), lossy)
    scheduler._delay_ms = lambda host: 0  # type: ignore[method-assign]  # (no engine here)
    scheduler.guard.clock = lambda: 0.0
    return scheduler, urls


def _fetch_all(scheduler: ClusterScheduler) -> list[str]:
    """Take every request the scheduler gives, each ended (acknowledged) at once."""
    fetched = []
    while (request := scheduler.next_request()) is not None:
        fetched.append(request.url)
        scheduler.request_failed(request)  # ends it: acknowledged at the next flush
    scheduler.next_request()  # the last acknowledgement goes out
    return fetched


def test_a_take_whose_answer_is_lost_strands_no_request(frontier: RedisFrontier) -> None:
    scheduler, urls = _lossy_scheduler(frontier, "TAKE")
    assert scheduler.next_request() is None  # claimed the shard, then the take's answer was lost
    assert frontier.snapshot().counts["inflight"] == 2  # Redis leased two to this worker
    scheduler.guard.clock = lambda: 60.0  # past the guard's retry time: Redis answers again
    assert sorted(_fetch_all(scheduler)) == urls  # the two leased by the lost take too, once
    assert frontier.snapshot().counts["inflight"] == 0
    assert frontier.finish()


def test_a_claim_whose_answer_is_lost_is_taken_up_at_the_next_heartbeat(
    frontier: RedisFrontier,
) -> None:
    scheduler, urls = _lossy_scheduler(frontier, "CLAIM")
    assert scheduler.next_request() is None  # Redis gave it the shard; the answer was lost
    assert frontier.client.hget(frontier.prefix + "owner", "a.test") == scheduler.worker.encode()
    scheduler.guard.clock = lambda: 60.0  # past the guard's retry time: Redis answers again
    assert scheduler.next_request() is None  # its fair share is held: no claim gives it
    scheduler._heartbeat()  # its lease has not run out: nobody else may take it
    assert sorted(_fetch_all(scheduler)) == urls
    assert scheduler.stats.get_value("warcloom/cluster/lost_claims_taken_up") == 1
    assert frontier.snapshot().counts["inflight"] == 0
    assert frontier.finish()
