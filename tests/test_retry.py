"""Reading Retry-After, without a crawl."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from scrapy.http import Response

from crawler.retry import retry_after_seconds

NOW = 1_700_000_000.0


def answer(**headers: str) -> Response:
    return Response("http://example.com/", status=503, headers=headers)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"Retry-After": " 120 "}, 120.0),
        ({"Retry-After": formatdate(NOW + 30, usegmt=True)}, 30.0),  # against our clock
        (  # against the server's Date, whatever our clock says
            {
                "Date": formatdate(NOW - 500, usegmt=True),
                "Retry-After": formatdate(NOW - 495, usegmt=True),
            },
            5.0,
        ),
        ({"Retry-After": formatdate(NOW - 60, usegmt=True)}, 0.0),  # in the past
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(answer(**headers), now=NOW) == seconds
