"""Turning a target's address into the IP address a run probes.

An address literal needs no lookup (and no thread). A host name is resolved at every run with
the event loop's ``getaddrinfo`` (the system resolver, run by asyncio in its default executor
so the loop never blocks), so a renumbered data centre is followed without a restart; the
lookup's duration is blackbox_exporter's ``probe_dns_lookup_time_seconds``. ``ip_protocol``
``ip4``/``ip6`` asks for that family only; ``auto`` takes the resolver's first answer (its
RFC 6724 preference).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from exporters.probe.config import ProbeTarget

__all__ = ["Resolved", "Resolver", "ip_addr_hash", "resolve"]

_FAMILY = {"auto": socket.AF_UNSPEC, "ip4": socket.AF_INET, "ip6": socket.AF_INET6}


@dataclass(frozen=True, slots=True)
class Resolved:
    """The address a run probes, and how long finding it took."""

    ip: str
    version: int
    seconds: float


Resolver = Callable[[ProbeTarget], Awaitable[Resolved]]


async def resolve(target: ProbeTarget) -> Resolved:
    """The IP address of ``target``; raises ``OSError`` (``socket.gaierror``) when the name
    does not resolve, or resolves to no address of the family asked for."""
    literal = target.ip_literal
    if literal is not None:
        return Resolved(target.address, literal.version, 0.0)
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    infos: list[tuple[Any, ...]] = await loop.getaddrinfo(
        target.address, None, family=_FAMILY[target.ip_protocol], type=socket.SOCK_DGRAM)
    seconds = time.perf_counter() - started
    for family, *_, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            ip = str(sockaddr[0])
            return Resolved(ip, ipaddress.ip_address(ip.split("%", 1)[0]).version, seconds)
    raise socket.gaierror(socket.EAI_NONAME, f"no IPv4 or IPv6 address for {target.address}")


def ip_addr_hash(ip: str) -> float:
    """blackbox_exporter's ``probe_ip_addr_hash``: FNV-1a (32 bit) of the address's bytes in
    Go's 16-byte ``net.IP`` form (IPv4 as ``::ffff:a.b.c.d``). Only its changes mean
    anything: it says the address behind a name moved."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    packed = (address.packed if address.version == 6
              else ipaddress.IPv6Address(f"::ffff:{address}").packed)
    value = 0x811C9DC5
    for byte in packed:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return float(value)
