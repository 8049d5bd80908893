"""Choosing the ICMP socket, and reading the kernel's timestamps and TCP_INFO."""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Callable

from exporters.probe.sockets import (
    SCM_TIMESTAMPNS,
    IcmpOpenFailure,
    IcmpSocket,
    kernel_timestamp_ns,
    open_icmp_socket,
)
from exporters.probe.tcp_connect import tcp_info_rtt


def refusing(dgram: int, raw: int) -> Callable[[int, int, int], socket.socket]:
    def factory(family: int, kind: int, proto: int) -> socket.socket:
        code = dgram if kind == socket.SOCK_DGRAM else raw
        raise OSError(code, errno.errorcode[code])
    return factory


def test_without_permission_both_reasons_are_given() -> None:
    result = open_icmp_socket(4, refusing(errno.EACCES, errno.EPERM))
    assert isinstance(result, IcmpOpenFailure)
    assert str(result) == (
        "unprivileged ICMP: EACCES (this process's group is outside "
        "net.ipv4.ping_group_range); raw ICMP: EPERM (no CAP_NET_RAW)")


def test_other_errors_are_named() -> None:
    result = open_icmp_socket(6, refusing(errno.EAFNOSUPPORT, errno.EAFNOSUPPORT))
    assert isinstance(result, IcmpOpenFailure)
    assert result.dgram.startswith("EAFNOSUPPORT (")


def test_the_first_kind_that_opens_is_used() -> None:
    asked: list[tuple[int, int, int]] = []

    def factory(family: int, kind: int, proto: int) -> socket.socket:
        asked.append((family, kind, proto))
        # A UDP socket stands in for the ICMP datagram socket: same options apply.
        return socket.socket(family, socket.SOCK_DGRAM)

    result = open_icmp_socket(6, factory)
    assert isinstance(result, IcmpSocket)
    try:
        assert asked == [(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)]
        assert (result.kind, result.version, result.ip_header, result.kernel_ident) == (
            "dgram", 6, False, True)
        assert result.sock.getblocking() is False
    finally:
        result.sock.close()


def test_a_socket_that_cannot_be_set_up_is_closed_and_reported() -> None:
    opened: list[socket.socket] = []

    def factory(family: int, kind: int, proto: int) -> socket.socket:
        if kind == socket.SOCK_DGRAM:
            raise OSError(errno.EACCES, "Permission denied")
        sock = socket.socket(family, socket.SOCK_DGRAM)  # no ICMP_FILTER on a UDP socket
        opened.append(sock)
        return sock

    result = open_icmp_socket(4, factory)
    assert isinstance(result, IcmpOpenFailure)
    assert result.raw.startswith("setting the socket up failed")
    assert opened[0].fileno() == -1  # closed


def test_kernel_timestamp() -> None:
    data = struct.pack("@qq", 1_700_000_000, 123_456_789)
    assert kernel_timestamp_ns([(socket.SOL_SOCKET, SCM_TIMESTAMPNS, data)]) == (
        1_700_000_000_123_456_789)
    assert kernel_timestamp_ns([]) is None
    assert kernel_timestamp_ns([(socket.SOL_SOCKET, SCM_TIMESTAMPNS, data[:8])]) is None
    assert kernel_timestamp_ns([(socket.IPPROTO_IP, SCM_TIMESTAMPNS, data)]) is None


def test_tcp_info_rtt() -> None:
    info = bytearray(104)
    struct.pack_into("=I", info, 68, 50_123)  # tcpi_rtt, microseconds
    assert tcp_info_rtt(bytes(info)) == 0.050123
    assert tcp_info_rtt(bytes(104)) is None  # no sample
    assert tcp_info_rtt(bytes(60)) is None   # too short to hold it
