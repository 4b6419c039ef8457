"""SSRF guard: a page cannot steer the crawler into loopback, private or link-local space.

Two checks, one rule (:func:`is_public_address`):

* IP literals and ``localhost`` names are refused when a request is scheduled (before the
  offsite filter sees it), and again before download (robots.txt requests are not
  scheduled).
* Host names are vetted where they are used: :class:`PublicAddressResolver`, the reactor's
  name resolver (``TWISTED_DNS_RESOLVER``), drops every non-public address from each
  answer it hands to Twisted, so the address vetted is the address connected to (one
  lookup; the Host header and TLS SNI keep the name). An answer with nothing left fails
  as a DNS lookup error, which :class:`RefusedAnswerMiddleware` turns into a refusal
  (counted in ``warcloom/refused/private_address``, logged, not archived, not retried).
  An unresolvable name fails the same way: it is never "allowed". No verdict is cached,
  only the DNS answer itself (Scrapy's ``DNSCACHE_*``), and it is filtered on every use.

The seeds' hosts and the proxies' hosts are exempt, and ``WARCLOOM_ALLOW_PRIVATE`` turns
the guard off. Through a proxy, the proxy resolves the names: only the literal check holds.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.resolver import CachingHostnameResolver
from scrapy.utils.datatypes import LocalCache
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider

from crawler.config import crawler_config

try:  # Scrapy >= 2.14 wraps Twisted's lookup error in its own
    from scrapy.exceptions import CannotResolveHostError
except ImportError:  # pragma: no cover - older Scrapy
    CannotResolveHostError = DNSLookupError  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from twisted.internet.interfaces import IAddress, IHostResolution

__all__ = [
    "PrivateAddressMiddleware",
    "PublicAddressResolver",
    "RefusedAnswerMiddleware",
    "is_public_address",
]

logger = logging.getLogger(__name__)

REFUSED_STAT = "warcloom/refused/private_address"

# IPv6 ranges Python's ``is_global`` (3.11) lets through but that are not globally
# reachable: local-use NAT64 (RFC 8215) and the deprecated site-local range.
_NOT_GLOBAL_V6 = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))
# IPv6 forms whose last 32 bits are an IPv4 address: IPv4-compatible (deprecated),
# IPv4-translated (SIIT) and well-known-prefix NAT64.
_LOW_32_IPV4 = (
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("::ffff:0:0:0/96"),
    ipaddress.ip_network("64:ff9b::/96"),
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (compatible, translated, NAT64, 6to4,
    Teredo); IPv4-mapped addresses are handled by the caller."""
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo
    if any(ip in net for net in _LOW_32_IPV4):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address, which embeds no IPv4 address that
    is not. Raises ValueError for a string that is not an IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in net for net in _NOT_GLOBAL_V6) or not all(
            is_public_address(str(v4)) for v4 in _embedded_ipv4(ip)
        ):
            return False
    return ip.is_global and not ip.is_multicast


def _literal_verdict(host: str) -> bool | None:
    """Public or not for IP literals and localhost names; None for names to resolve."""
    if host == "localhost" or host.endswith((".localhost", ".localdomain")):
        return False
    try:
        return is_public_address(host)
    except ValueError:
        return None


def _ascii_host(name: str) -> str:
    """A host name as in a Scrapy URL (Twisted hands the resolver IDNs decoded)."""
    try:
        return name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return name.lower()


def _proxy_hosts() -> frozenset[str]:
    hosts = (urlsplit(url).hostname for key, url in getproxies().items() if key != "no")
    return frozenset(h.lower() for h in hosts if h)


@provider(IResolutionReceiver)
class _PublicAnswer:
    """Passes on the public addresses of an answer; remembers a refused answer."""

    def __init__(self, receiver: IResolutionReceiver, host: str, resolver: PublicAddressResolver):
        self.receiver = receiver
        self.host = host
        self.resolver = resolver
        self.kept: list[IAddress] = []
        self.dropped: list[str] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        host = getattr(address, "host", None)
        try:
            public = host is not None and is_public_address(host)
        except ValueError:
            public = False
        if public:
            self.kept.append(address)
        else:
            self.dropped.append(str(host))

    def resolutionComplete(self) -> None:
        for address in self.kept:
            self.receiver.addressResolved(address)
        if self.kept:
            self.resolver.refused.pop(self.host, None)
            if self.dropped:
                logger.debug("Dropped non-public addresses of %s: %s", self.host, self.dropped)
        elif self.dropped:
            self.resolver.refused[self.host] = tuple(self.dropped)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class PublicAddressResolver(CachingHostnameResolver):
    """Scrapy's caching IPv4/IPv6 resolver that hands Twisted only public addresses
    while a :class:`PrivateAddressMiddleware` guards a crawl (``TWISTED_DNS_RESOLVER``).

    The cache keeps whole answers; they are filtered each time they are used. Names the
    guards exempt (seed and proxy hosts) are answered unfiltered.
    """

    def __init__(self, reactor: Any, cache_size: int, *, caching: bool = True) -> None:
        if caching:
            super().__init__(reactor, cache_size)
        else:  # wrapped around another resolver that may use Scrapy's shared dnscache
            self.reactor = reactor
            self.original_resolver = reactor.nameResolver
        self.caching = caching
        self.guards: list[PrivateAddressMiddleware] = []
        # hosts whose last answer had no public address, with what was dropped
        self.refused: LocalCache[str, tuple[str, ...]] = LocalCache(10_000)

    @classmethod
    def on_reactor(cls, crawler: Crawler) -> PublicAddressResolver:
        """The reactor's resolver if it is one of these; otherwise one wrapped around it,
        installed (logged once, counted in ``warcloom/dns_guard/wrapped``)."""
        from twisted.internet import reactor

        current = reactor.nameResolver
        if isinstance(current, cls):
            return current
        resolver = cls(reactor, 0, caching=False)
        resolver.install_on_reactor()
        logger.info(
            "TWISTED_DNS_RESOLVER is not %s.%s: vetting the answers of %s instead",
            cls.__module__,
            cls.__qualname__,
            type(current).__name__,
        )
        if crawler.stats is not None:
            crawler.stats.inc_value("warcloom/dns_guard/wrapped")
        return resolver

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        host = _ascii_host(hostName)
        if self.guards and not any(host in guard.exempt_hosts() for guard in self.guards):
            resolutionReceiver = _PublicAnswer(resolutionReceiver, host, self)
        upstream = super() if self.caching else self.original_resolver
        return upstream.resolveHostName(
            resolutionReceiver, hostName, portNumber, addressTypes, transportSemantics
        )


def _refuse(crawler: Crawler, request: Request, reason: str) -> IgnoreRequest:
    if crawler.stats is not None:
        crawler.stats.inc_value(REFUSED_STAT)
    logger.warning("Refused %s: %s", request.url, reason)
    return IgnoreRequest(f"private address refused: {request.url}")


class PrivateAddressMiddleware:
    """Refuses requests to non-public addresses, except the seeds' and proxies' hosts:
    IP literals and localhost names itself, other names through the resolver."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._proxy_hosts = set(_proxy_hosts())
        self._resolver: PublicAddressResolver | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        if crawler_config(crawler).allow_private:
            raise NotConfigured("WARCLOOM_ALLOW_PRIVATE is on")
        middleware = cls(crawler)
        crawler.signals.connect(middleware._scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(middleware._closed, signal=signals.spider_closed)
        return middleware

    def exempt_hosts(self) -> frozenset[str]:
        seeds: frozenset[str] = getattr(self.crawler.spider, "seed_hosts", frozenset())
        return seeds | self._proxy_hosts if self._proxy_hosts else seeds

    def _host(self, request: Request) -> str | None:
        """The host to judge, or None when the request is exempt."""
        host = (urlsplit(request.url).hostname or "").lower()
        return None if not host or host in self.exempt_hosts() else host

    def _scheduled(self, request: Request) -> None:
        host = self._host(request)
        if host is not None and _literal_verdict(host) is False:
            raise _refuse(self.crawler, request, f"{host} is not a public address")

    def process_request(self, request: Request) -> None:
        if self._resolver is None:  # the reactor runs by now: guard its resolver
            self._resolver = PublicAddressResolver.on_reactor(self.crawler)
            self._resolver.guards.append(self)
        proxy = request.meta.get("proxy")
        if proxy:
            self._proxy_hosts.add((urlsplit(proxy).hostname or "").lower())
        self._scheduled(request)

    def _closed(self, spider: object) -> None:
        if self._resolver is not None and self in self._resolver.guards:
            self._resolver.guards.remove(self)


class RefusedAnswerMiddleware:
    """Turns a lookup :class:`PublicAddressResolver` refused into a refusal.

    Sits above the capture middleware (950) and RetryMiddleware (550): their
    ``process_exception`` runs after this one's, and an IgnoreRequest ends the chain,
    so a refused request is neither archived nor retried.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefusedAnswerMiddleware:
        if crawler_config(crawler).allow_private:
            raise NotConfigured("WARCLOOM_ALLOW_PRIVATE is on")
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, (DNSLookupError, CannotResolveHostError)):
            return
        from twisted.internet import reactor

        resolver = reactor.nameResolver
        if not isinstance(resolver, PublicAddressResolver):
            return
        host = (urlsplit(request.url).hostname or "").lower()
        dropped = resolver.refused.get(host)
        if dropped is not None:
            reason = f"{host} resolves to no public address ({', '.join(dropped)})"
            raise _refuse(self.crawler, request, reason)
