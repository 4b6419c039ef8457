"""The SSRF rule and the resolver that applies it, without a reactor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scrapy.resolver import dnscache
from twisted.internet.address import IPv4Address, IPv6Address

from crawler.safety import PublicAddressResolver, is_public_address


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("2002:808:808::1", True),  # 6to4 of a public address
        ("127.0.0.2", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.2", False),  # IPv4-mapped
        ("::127.0.0.2", False),  # IPv4-compatible
        ("::ffff:0:7f00:2", False),  # IPv4-translated
        ("64:ff9b::7f00:2", False),  # NAT64 of loopback
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b:1::808:808", False),  # local-use NAT64
        ("2002:7f00:2::", False),  # 6to4 of loopback
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffd", False),  # Teredo, client 127.0.0.2
        ("fec0::1", False),  # site-local
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


class FakeUpstream:
    """A name resolver answering from a table, one answer per lookup (the last repeats)."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.lookups: dict[str, int] = {}

    def resolveHostName(self, receiver: Any, name: str, port: int = 0, *args: Any) -> Any:
        n = self.lookups[name] = self.lookups.get(name, 0) + 1
        answers = self.table.get(name, [[]])
        receiver.resolutionBegan(object())
        for address in answers[min(n, len(answers)) - 1]:
            kind = IPv6Address if ":" in address else IPv4Address
            receiver.addressResolved(kind("TCP", address, port))
        receiver.resolutionComplete()
        return receiver


class FakeReactor:
    def __init__(self, upstream: FakeUpstream) -> None:
        self.nameResolver = upstream


class Guard:
    def __init__(self, *exempt: str) -> None:
        self.exempt = frozenset(exempt)

    def exempt_hosts(self) -> frozenset[str]:
        return self.exempt


class Receiver:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


def lookup(resolver: PublicAddressResolver, name: str) -> list[str]:
    receiver = Receiver()
    resolver.resolveHostName(receiver, name, 80)
    assert receiver.complete
    return receiver.addresses


@pytest.fixture
def no_dnscache() -> Iterator[None]:
    limit = dnscache.limit
    yield
    dnscache.limit = limit
    dnscache.clear()


TABLE = {
    "rebind.test": [["8.8.8.8"], ["127.0.0.3"]],
    "late.test": [[], ["127.0.0.3"]],
    "mixed.test": [["127.0.0.3", "::1", "8.8.4.4", "2606:4700::1111"]],
    "seed.test": [["127.0.0.1"]],
}


def test_resolver_hands_on_only_public_addresses_on_every_lookup() -> None:
    resolver = PublicAddressResolver(FakeReactor(FakeUpstream(TABLE)), 0, caching=False)
    resolver.guards.append(Guard("seed.test"))
    assert lookup(resolver, "rebind.test") == ["8.8.8.8"]
    assert lookup(resolver, "rebind.test") == []  # rebound: refused, not "known good"
    assert resolver.refused["rebind.test"] == ("127.0.0.3",)
    assert lookup(resolver, "late.test") == []  # unresolvable: nothing to connect to
    assert "late.test" not in resolver.refused  # a plain lookup failure
    assert lookup(resolver, "late.test") == []  # resolves now, to a private address
    assert resolver.refused["late.test"] == ("127.0.0.3",)
    assert lookup(resolver, "mixed.test") == ["8.8.4.4", "2606:4700::1111"]
    assert lookup(resolver, "seed.test") == ["127.0.0.1"]  # exempt
    assert lookup(resolver, "127.0.0.1") == []  # a literal is vetted too


def test_resolver_does_nothing_without_a_guard() -> None:
    resolver = PublicAddressResolver(FakeReactor(FakeUpstream(TABLE)), 0, caching=False)
    assert lookup(resolver, "mixed.test") == ["127.0.0.3", "::1", "8.8.4.4", "2606:4700::1111"]


def test_resolver_caches_answers_not_verdicts(no_dnscache: None) -> None:
    upstream = FakeUpstream({"cached.test": [["127.0.0.3", "8.8.8.8"], ["1.1.1.1"]]})
    resolver = PublicAddressResolver(FakeReactor(upstream), 100)
    assert lookup(resolver, "cached.test") == ["127.0.0.3", "8.8.8.8"]  # no guard yet
    resolver.guards.append(Guard())
    assert lookup(resolver, "cached.test") == ["8.8.8.8"]  # the cached answer, filtered
    assert upstream.lookups["cached.test"] == 1
