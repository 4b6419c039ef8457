"""SSRF guard: a page cannot steer the crawler into loopback, private or link-local space.

IP literals and ``localhost`` names are refused when a request is scheduled (before
the offsite filter sees it); other host names are resolved once, in a thread, before
robots.txt and the download, and refused if any address is not global. So not even
robots.txt is fetched from such a host. The seeds' own hosts are exempt, and
``WARCLOOM_ALLOW_PRIVATE`` turns the guard off.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.config import crawler_config

__all__ = ["PrivateAddressMiddleware", "is_public_address"]

logger = logging.getLogger(__name__)


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal_verdict(host: str) -> bool | None:
    """Public or not for IP literals and localhost names; None for names to resolve."""
    if host == "localhost" or host.endswith((".localhost", ".localdomain")):
        return False
    try:
        return is_public_address(host)
    except ValueError:
        return None


def _resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return []  # unresolvable: the download fails on its own, nothing to guard
    return [info[4][0] for info in infos]


class PrivateAddressMiddleware:
    """Refuses requests to non-public addresses, except the seeds' hosts."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self._verdicts: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        if crawler_config(crawler).allow_private:
            raise NotConfigured("WARCLOOM_ALLOW_PRIVATE is on")
        middleware = cls(crawler)
        crawler.signals.connect(middleware._scheduled, signal=signals.request_scheduled)
        return middleware

    def _exempt_hosts(self) -> frozenset[str]:
        return getattr(self.crawler.spider, "seed_hosts", frozenset())

    def _host(self, request: Request) -> str | None:
        """The host to judge, or None when the request is exempt."""
        host = (urlsplit(request.url).hostname or "").lower()
        return None if not host or host in self._exempt_hosts() else host

    def _scheduled(self, request: Request) -> None:
        host = self._host(request)
        if host is not None and _literal_verdict(host) is False:
            self._refuse(request, host)

    async def process_request(self, request: Request) -> None:
        host = self._host(request)
        if host is None:
            return
        allowed = self._verdicts.get(host)
        if allowed is None:
            allowed = _literal_verdict(host)
        if allowed is None:
            addresses = await maybe_deferred_to_future(deferToThread(_resolve, host))
            allowed = all(is_public_address(a) for a in addresses)
            self._verdicts[host] = allowed
        if not allowed:
            self._refuse(request, host)

    def _refuse(self, request: Request, host: str) -> None:
        if self.stats is not None:
            self.stats.inc_value("warcloom/refused/private_address")
        logger.warning("Refused %s: %s is not a public address", request.url, host)
        raise IgnoreRequest(f"private address refused: {request.url}")
