"""The extraction pool: real worker processes, a hung page, a dying worker, a raising one."""

from __future__ import annotations

import time

import pytest
from pool_funcs import broken_installation, slow_or_dying

from crawler.pool import ExtractionPool

TEXT = (
    b"Cotton prices rose for a third week as spinners in Zhejiang rebuilt their stocks "
    b"ahead of the spring season, while traders said demand from garment makers in the "
    b"south remained steady and export orders to Southeast Asia were picking up again."
)
PAGE = b"<html><head><title>T</title></head><body><article><p>" + TEXT + b"</p></article>"


@pytest.fixture
def pool():
    # the timeout is for the hung page: generous, so a loaded machine's pages never meet it
    pool = ExtractionPool(2, timeout=10.0, func=slow_or_dying)
    yield pool
    pool.close()


def test_pages_are_analysed_in_workers(pool: ExtractionPool) -> None:
    analysis = pool.submit(PAGE, "http://example.org/a").result(timeout=60)
    assert analysis.errors == {}
    assert "Cotton prices rose for a third week" in analysis.text
    assert analysis.languages is not None and analysis.languages.primary() == "en"


def test_a_hung_page_times_out_and_the_pool_goes_on(pool: ExtractionPool) -> None:
    started = time.monotonic()
    hung = pool.submit(PAGE, "http://example.org/hang")
    fine = [pool.submit(PAGE, f"http://example.org/{i}") for i in range(4)]
    assert "timed out after 10.0 s" in hung.result(timeout=60).errors["analysis"]
    assert time.monotonic() - started < 50
    assert all(f.result(timeout=60).errors == {} for f in fine)
    after = pool.submit(PAGE, "http://example.org/after").result(timeout=60)
    assert after.errors == {}  # the killed worker was replaced


def test_a_dying_worker_is_replaced(pool: ExtractionPool) -> None:
    died = pool.submit(PAGE, "http://example.org/die").result(timeout=60)
    assert "worker died (exit code 3" in died.errors["analysis"]
    assert pool.submit(PAGE, "http://example.org/b").result(timeout=60).errors == {}


def test_an_extractor_exception_becomes_the_error(pool: ExtractionPool) -> None:
    failed = pool.submit(PAGE, "http://example.org/raise").result(timeout=60)
    assert "extractor bug" in failed.errors["analysis"]


def test_start_fails_once_and_clearly_when_analysis_cannot_work() -> None:
    pool = ExtractionPool(1, timeout=30.0, func=broken_installation)
    with pytest.raises(RuntimeError, match=r"page analysis does not work here.*lxml_html_clean"):
        pool.start()


def test_start_checks_that_a_worker_can_analyse() -> None:
    pool = ExtractionPool(1, timeout=30.0, func=slow_or_dying)
    try:
        pool.start()  # a working installation: no error
        assert pool.submit(PAGE, "http://example.org/c").result(timeout=60).errors == {}
    finally:
        pool.close()


def test_a_batch_is_analysed_as_each_page_alone(pool: ExtractionPool) -> None:
    pages = [(PAGE, f"http://example.org/{i}", {}) for i in range(5)]
    analyses = [f.result(timeout=60) for f in pool.submit_many(pages)]
    alone = pool.submit(PAGE, "http://example.org/0").result(timeout=60)
    assert [a.errors for a in analyses] == [{}] * 5
    assert analyses[0] == alone


def test_a_hung_or_dying_page_fails_alone_not_its_batch(pool: ExtractionPool) -> None:
    urls = ["http://example.org/a", "http://example.org/hang", "http://example.org/die"]
    analyses = [f.result(timeout=120) for f in pool.submit_many([(PAGE, u, {}) for u in urls])]
    assert analyses[0].errors == {} and "Cotton prices" in analyses[0].text
    assert "timed out" in analyses[1].errors["analysis"]
    assert "died" in analyses[2].errors["analysis"]


def test_batched_analysis_of_real_pages_matches_single_pages() -> None:
    from archive.extraction import ExtractionOptions

    pool = ExtractionPool(1, timeout=30.0)
    try:
        options = ExtractionOptions()
        kwargs = {"content_type": "text/html", "content_language": None, "options": options}
        pages = [
            (PAGE.replace(b"T<", f"T{i}<".encode()), f"http://e.org/{i}", kwargs) for i in range(3)
        ]
        batch = [f.result(timeout=60) for f in pool.submit_many(pages)]
        alone = [pool.submit(b, u, **k).result(timeout=60) for b, u, k in pages]
        assert batch == alone
    finally:
        pool.close()


def test_pages_waiting_for_a_batch_are_answered_at_close() -> None:
    from archive.extraction import ExtractionOptions

    pool = ExtractionPool(1, timeout=30.0)
    pool._in_flight = 2  # every worker busy: a page waits for the next batch
    options = ExtractionOptions()
    d = pool.analyse(
        PAGE, "http://e.org/w", content_type=None, content_language=None, options=options
    )
    answers = []
    d.addCallback(answers.append)
    assert not answers
    pool.close()
    assert answers[0].errors == {"analysis": "extraction pool closed"}
    assert pool._pool is None  # no worker started for it
