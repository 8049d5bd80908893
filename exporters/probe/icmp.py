"""ICMP and ICMPv6 echo messages: build a request, read a reply. Pure functions on bytes.

An echo message (RFC 792, RFC 4443) is ``type, code, checksum, identifier, sequence`` in
network order, then a payload the peer sends back unchanged. netmon's payload is
:data:`PAYLOAD_MAGIC` followed by an 8-byte token drawn for each run, padded to
:data:`PAYLOAD_SIZE`: a reply is ours only when its payload is exactly the one sent, which
matters where the identifier cannot tell (an unprivileged ICMP datagram socket has its
identifier rewritten by the kernel) and keeps a late reply from an earlier run (its token
differs) from being taken for this run's.

What arrives depends on the socket (:mod:`exporters.probe.sockets`): a raw IPv4 socket
delivers the IPv4 header before the ICMP message; a raw ICMPv6 socket and both kinds of
unprivileged datagram socket deliver the ICMP message alone. :func:`parse_echo_reply` takes
``ip_header`` to know which, and returns None for anything that is not a well-formed echo
reply (never raises, whatever the bytes).

The IPv4 checksum is computed here; for ICMPv6 the kernel fills it in (it covers a
pseudo-header with addresses only the kernel knows for sure), so requests leave it zero.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "ICMP6_ECHO_REPLY",
    "ICMP6_ECHO_REQUEST",
    "ICMP_ECHO_REPLY",
    "ICMP_ECHO_REQUEST",
    "PAYLOAD_MAGIC",
    "PAYLOAD_SIZE",
    "EchoReply",
    "build_echo_request",
    "checksum",
    "echo_payload",
    "parse_echo_reply",
]

ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129
PAYLOAD_MAGIC = b"netmon-probe"
TOKEN_SIZE = 8
#: 12 bytes of magic, 8 of token, padding: 32 bytes of payload, a 60-byte IPv4 packet.
PAYLOAD_SIZE = 32

_HEADER = struct.Struct("!BBHHH")
_IP_PROTO_ICMP = 1


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): one's complement of the one's complement sum of the
    16-bit big-endian words, an odd last byte padded with zero."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_payload(token: bytes) -> bytes:
    """The payload of every request of a run: magic, the run's token, zero padding."""
    if len(token) != TOKEN_SIZE:
        raise ValueError(f"token must be {TOKEN_SIZE} bytes, got {len(token)}")
    return (PAYLOAD_MAGIC + token).ljust(PAYLOAD_SIZE, b"\x00")


def build_echo_request(version: int, ident: int, seq: int, payload: bytes) -> bytes:
    """An echo request for IPv4 (``version`` 4, checksummed) or IPv6 (6, checksum left to the
    kernel)."""
    if version not in (4, 6):
        raise ValueError(f"IP version must be 4 or 6, got {version}")
    kind = ICMP_ECHO_REQUEST if version == 4 else ICMP6_ECHO_REQUEST
    header = _HEADER.pack(kind, 0, 0, ident & 0xFFFF, seq & 0xFFFF)
    if version == 6:
        return header + payload
    message = header + payload
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


@dataclass(frozen=True, slots=True)
class EchoReply:
    """The parts of an echo reply that say which request it answers."""

    ident: int
    seq: int
    payload: bytes


def parse_echo_reply(data: bytes, version: int, ip_header: bool = False) -> EchoReply | None:
    """The echo reply in ``data``, or None when ``data`` is anything else.

    ``ip_header``: ``data`` starts with an IPv4 header (raw IPv4 sockets). An IPv4 message
    must carry a valid checksum (raw sockets deliver what the wire gave); ICMPv6's was
    checked by the kernel.
    """
    if ip_header:
        if version != 4 or len(data) < 20 or data[0] >> 4 != 4:
            return None
        header_length = (data[0] & 0x0F) * 4
        if header_length < 20 or len(data) < header_length or data[9] != _IP_PROTO_ICMP:
            return None
        data = data[header_length:]
    if len(data) < _HEADER.size:
        return None
    kind, code, _, ident, seq = _HEADER.unpack_from(data)
    expected = ICMP_ECHO_REPLY if version == 4 else ICMP6_ECHO_REPLY
    if kind != expected or code != 0:
        return None
    if version == 4 and checksum(data) != 0:
        return None
    return EchoReply(ident, seq, bytes(data[_HEADER.size:]))
