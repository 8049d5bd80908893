"""Opening the socket an ICMP echo needs, the least privileged way this host allows.

Tried in order, for each run (two ``socket()`` calls: cheap, and a change of the host's
policy is picked up at the next run):

1. **An unprivileged ICMP datagram socket** (``socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)``,
   ``IPPROTO_ICMPV6`` for IPv6). Linux allows it when the process's group is within
   ``net.ipv4.ping_group_range`` (the one sysctl covers IPv6 too; systemd sets it to every
   group, Debian's kernel default ``1 0`` to none) and answers ``EACCES`` otherwise. The
   kernel owns the echo identifier (it rewrites it with the socket's own and delivers only
   replies that carry it), so replies are matched by sequence, source and payload.
2. **A raw socket** (``SOCK_RAW``), which needs ``CAP_NET_RAW`` (``EPERM`` without). Every raw
   ICMP socket sees every echo reply the host receives: a kernel filter (``ICMP_FILTER``,
   ``ICMP6_FILTER``) lets only echo replies through, and replies are matched by identifier,
   sequence, source and payload.

When neither opens, :func:`open_icmp_socket` returns None with both reasons, and the caller
falls back to TCP (:mod:`exporters.probe.tcp_connect`) or reports the target unprobeable.

Every socket is non-blocking and asks for the kernel's receive timestamp of each datagram
(``SO_TIMESTAMPNS``), so a reply's arrival time does not depend on how soon the event loop
gets to read it.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "SCM_TIMESTAMPNS",
    "SO_TIMESTAMPNS",
    "TIMESTAMP_CMSG_SPACE",
    "IcmpOpenFailure",
    "IcmpSocket",
    "SocketKind",
    "kernel_timestamp_ns",
    "open_icmp_socket",
]

SocketKind = Literal["dgram", "raw"]

# <asm-generic/socket.h>: not exported by Python's socket module. SCM_ has the SO_ value.
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
_TIMESPEC = struct.Struct("@qq")  # struct timespec on 64-bit Linux
TIMESTAMP_CMSG_SPACE = socket.CMSG_SPACE(_TIMESPEC.size)
# <linux/icmp.h> ICMP_FILTER on SOL_RAW: a bit set blocks that ICMP type.
_SOL_RAW = 255
_ICMP_FILTER = 1
# <linux/icmpv6.h> ICMPV6_FILTER on IPPROTO_ICMPV6: 256 bits, a bit set blocks that type.
_ICMP6_FILTER = 1


@dataclass(frozen=True, slots=True)
class IcmpSocket:
    """An open, non-blocking ICMP socket and how to read what it delivers."""

    sock: socket.socket
    kind: SocketKind
    version: int

    @property
    def ip_header(self) -> bool:
        """Whether received datagrams start with the IP header (raw IPv4 only)."""
        return self.kind == "raw" and self.version == 4

    @property
    def kernel_ident(self) -> bool:
        """Whether the kernel owns the echo identifier (datagram sockets)."""
        return self.kind == "dgram"


@dataclass(frozen=True, slots=True)
class IcmpOpenFailure:
    """Why no ICMP socket could be opened: one reason per kind tried."""

    dgram: str
    raw: str

    def __str__(self) -> str:
        return f"unprivileged ICMP: {self.dgram}; raw ICMP: {self.raw}"


SocketFactory = Callable[[int, int, int], socket.socket]


def open_icmp_socket(version: int, factory: SocketFactory = socket.socket,
                     ) -> IcmpSocket | IcmpOpenFailure:
    """The least privileged ICMP socket for IPv``version`` this process may open."""
    family, proto = ((socket.AF_INET, socket.IPPROTO_ICMP) if version == 4
                     else (socket.AF_INET6, socket.IPPROTO_ICMPV6))
    reasons: dict[SocketKind, str] = {}
    kind: SocketKind
    for kind, sock_type in (("dgram", socket.SOCK_DGRAM), ("raw", socket.SOCK_RAW)):
        try:
            sock = factory(family, sock_type, proto)
        except OSError as exc:
            reasons[kind] = _reason(kind, exc)
            continue
        try:
            _prepare(sock, kind, version)
        except OSError as exc:
            sock.close()
            reasons[kind] = f"setting the socket up failed: {exc.strerror or exc}"
            continue
        return IcmpSocket(sock, kind, version)
    return IcmpOpenFailure(reasons["dgram"], reasons["raw"])


def _reason(kind: SocketKind, exc: OSError) -> str:
    code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    if kind == "dgram" and exc.errno == errno.EACCES:
        return f"{code} (this process's group is outside net.ipv4.ping_group_range)"
    if kind == "raw" and exc.errno == errno.EPERM:
        return f"{code} (no CAP_NET_RAW)"
    return f"{code} ({exc.strerror or exc})"


def _prepare(sock: socket.socket, kind: SocketKind, version: int) -> None:
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    if kind != "raw":
        return
    if version == 4:
        # Block every type but echo reply (0).
        sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("=I", 0xFFFFFFFF & ~1))
    else:
        words = [0xFFFFFFFF] * 8
        words[129 >> 5] &= ~(1 << (129 & 31))  # let echo reply (129) through
        sock.setsockopt(socket.IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("=8I", *words))


def kernel_timestamp_ns(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    """The ``SCM_TIMESTAMPNS`` receive time (CLOCK_REALTIME, ns) in ``recvmsg``'s ancillary
    data, or None when the kernel gave none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return int(seconds) * 1_000_000_000 + int(nanoseconds)
    return None
