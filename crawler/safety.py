"""SSRF guard: a page cannot steer the crawler into loopback, private or link-local space.

Runs before robots.txt and the download (so not even robots.txt is fetched from such
a host). IP literals are checked directly; host names are resolved once (in a thread)
and refused if any address is not global. The seeds' own hosts are exempt, and
``WARCLOOM_ALLOW_PRIVATE`` turns the guard off.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.config import WarcloomConfig

__all__ = ["PrivateAddressMiddleware", "is_public_address"]

logger = logging.getLogger(__name__)


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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
        if WarcloomConfig.from_settings(crawler.settings).allow_private:
            raise NotConfigured("WARCLOOM_ALLOW_PRIVATE is on")
        return cls(crawler)

    def _exempt_hosts(self) -> frozenset[str]:
        return getattr(self.crawler.spider, "seed_hosts", frozenset())

    async def process_request(self, request: Request) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        if not host or host in self._exempt_hosts():
            return
        allowed = self._verdicts.get(host)
        if allowed is None:
            allowed = await self._judge(host)
            self._verdicts[host] = allowed
        if not allowed:
            if self.stats is not None:
                self.stats.inc_value("warcloom/refused/private_address")
            logger.warning("Refused %s: %s is not a public address", request.url, host)
            raise IgnoreRequest(f"private address refused: {request.url}")

    async def _judge(self, host: str) -> bool:
        try:
            return is_public_address(host)
        except ValueError:
            pass  # a name, not an IP literal
        addresses = await maybe_deferred_to_future(deferToThread(_resolve, host))
        return all(is_public_address(a) for a in addresses)
