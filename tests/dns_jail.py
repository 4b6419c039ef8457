"""Run ``warcloom`` with a scripted system resolver and a loopback-only network.

    python dns_jail.py TABLE.json CONNECTS.log warcloom-args...

TABLE.json maps a host name to its answers, one per lookup: a list of addresses, or
``[]`` for "no such name"; the last answer repeats. Names not in the table resolve as
usual. ``socket.getaddrinfo`` and ``socket.gethostbyname`` are replaced before Twisted
is imported, so every resolver in the process (Twisted's, Scrapy's, anyone's) sees the
table: answers can change between lookups, as with a TTL of 0 (DNS rebinding).

Every TCP connect is appended to CONNECTS.log (``host port``); a connect to an address
outside 127.0.0.0/8 and ::1 fails with ENETUNREACH, so nothing leaves the machine.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import socket
import sys
import threading
from collections import Counter
from typing import Any


def _install(table: dict[str, list[list[str]]], connects_log: str) -> None:
    lock = threading.Lock()
    lookups: Counter[str] = Counter()
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname

    def answer(host: str) -> list[str] | None:
        key = host.lower().rstrip(".")
        answers = table.get(key)
        if answers is None:
            return None
        with lock:
            n = lookups[key]
            lookups[key] += 1
        addresses = answers[min(n, len(answers) - 1)]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return addresses

    def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, *args: Any, **kw: Any):
        name = host.decode() if isinstance(host, bytes) else host
        addresses = answer(name) if isinstance(name, str) else None
        if addresses is None:
            return real_getaddrinfo(host, port, family, type, *args, **kw)
        port_number = int(port or 0)
        infos = []
        for address in addresses:
            v6 = ":" in address
            fam = socket.AF_INET6 if v6 else socket.AF_INET
            if family not in (0, fam):
                continue
            sockaddr = (address, port_number, 0, 0) if v6 else (address, port_number)
            infos.append((fam, type or socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return infos

    def gethostbyname(host: str) -> str:
        addresses = answer(host)
        if addresses is None:
            return real_gethostbyname(host)
        v4 = [a for a in addresses if ":" not in a]
        if not v4:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return v4[0]

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def jailed(sock: socket.socket, address: Any) -> int:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return 0
        host, port = address[0], address[1]
        with lock, open(connects_log, "a") as log:
            log.write(f"{host} {port}\n")
        ip = ipaddress.ip_address(host.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return 0 if ip.is_loopback else errno.ENETUNREACH

    def connect(sock: socket.socket, address: Any) -> None:
        refused = jailed(sock, address)
        if refused:
            raise OSError(refused, "jailed: only loopback")
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        return jailed(sock, address) or real_connect_ex(sock, address)

    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        _install(json.load(fh), sys.argv[2])
    from crawler.cli import main  # imports Twisted: after the resolver is replaced

    sys.exit(main(sys.argv[3:]))
