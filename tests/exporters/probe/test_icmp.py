"""ICMP echo packets: checksum, requests, replies, with literal bytes and random ones."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporters.probe.icmp import (
    PAYLOAD_MAGIC,
    PAYLOAD_SIZE,
    EchoReply,
    build_echo_request,
    checksum,
    echo_payload,
    parse_echo_reply,
)

# An IPv4 header (20 bytes, protocol 1 = ICMP) from 10.200.0.2 to 10.200.0.1.
IPV4_HEADER = bytes.fromhex("4500 003c 1c46 0000 4001 0000 0ac8 0002 0ac8 0001".replace(" ", ""))


def test_checksum_of_rfc1071_example() -> None:
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is ~ddf2.
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_checksum_pads_an_odd_byte_with_zero() -> None:
    assert checksum(b"\x01") == checksum(b"\x01\x00") == 0xFEFF


def test_ipv4_echo_request_literal() -> None:
    # 0800 + 1234 + 0001 + 0000 = 1a35; ~1a35 = e5ca.
    assert build_echo_request(4, 0x1234, 1, b"\x00\x00") == bytes.fromhex("0800e5ca123400010000")


def test_ipv6_echo_request_leaves_the_checksum_to_the_kernel() -> None:
    expected = bytes.fromhex("80000000beef0001") + b"ab"
    assert build_echo_request(6, 0xBEEF, 0x10001, b"ab") == expected


def test_request_checksums_to_zero_and_wraps_ident_and_seq() -> None:
    packet = build_echo_request(4, 0x1FFFF, 70000, b"payload")
    assert checksum(packet) == 0
    assert struct.unpack("!HH", packet[4:8]) == (0xFFFF, 70000 & 0xFFFF)


def test_build_refuses_other_ip_versions() -> None:
    with pytest.raises(ValueError, match="4 or 6"):
        build_echo_request(5, 1, 1, b"")


def test_payload_is_magic_token_and_padding() -> None:
    payload = echo_payload(b"12345678")
    assert payload == PAYLOAD_MAGIC + b"12345678" + b"\x00" * (PAYLOAD_SIZE - 20)
    assert len(payload) == PAYLOAD_SIZE
    with pytest.raises(ValueError, match="8 bytes"):
        echo_payload(b"short")


def _reply4(ident: int, seq: int, payload: bytes) -> bytes:
    """What a peer answers: the request with type 0 and the checksum recomputed."""
    body = b"\x00\x00\x00\x00" + struct.pack("!HH", ident, seq) + payload
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def test_parse_ipv4_reply_from_a_datagram_socket() -> None:
    assert parse_echo_reply(_reply4(0x0102, 7, b"xyz"), 4) == EchoReply(0x0102, 7, b"xyz")


def test_parse_ipv4_reply_after_the_ip_header_of_a_raw_socket() -> None:
    data = IPV4_HEADER + _reply4(0x0102, 7, b"xyz")
    assert parse_echo_reply(data, 4, ip_header=True) == EchoReply(0x0102, 7, b"xyz")


def test_parse_skips_ip_options() -> None:
    header = bytes([0x46]) + IPV4_HEADER[1:] + b"\x01\x01\x01\x00"  # IHL 6: one option word
    assert parse_echo_reply(header + _reply4(1, 2, b""), 4, ip_header=True) == EchoReply(
        1, 2, b"")


@pytest.mark.parametrize(("data", "version", "ip_header", "why"), [
    (bytes.fromhex("0800f7fd00010001"), 4, False, "an echo request, not a reply"),
    (bytes.fromhex("0300fcff00000000"), 4, False, "destination unreachable"),
    (bytes.fromhex("0001fffe00000000"), 4, False, "code 1"),
    (bytes.fromhex("0000ffff00010001"), 4, False, "a wrong checksum"),
    (bytes.fromhex("000000"), 4, False, "shorter than a header"),
    (b"", 4, False, "empty"),
    (IPV4_HEADER[:19], 4, True, "a truncated IP header"),
    (bytes([0x65]) + IPV4_HEADER[1:] + bytes(8), 4, True, "IP version 6 in a v4 header"),
    (bytes([0x44]) + IPV4_HEADER[1:] + bytes(8), 4, True, "an IHL below 5"),
    (IPV4_HEADER[:9] + b"\x06" + IPV4_HEADER[10:] + bytes(8), 4, True, "protocol TCP"),
    (bytes.fromhex("8000000000010001"), 6, False, "an ICMPv6 echo request"),
    (bytes.fromhex("0000000000010001"), 6, False, "ICMPv4 type 0 on an ICMPv6 socket"),
    (bytes.fromhex("8100000000010001"), 6, True, "an IP header flag for IPv6"),
])
def test_parse_refuses_what_is_not_an_echo_reply(data: bytes, version: int, ip_header: bool,
                                                  why: str) -> None:
    assert parse_echo_reply(data, version, ip_header) is None, why


def test_parse_ipv6_reply_without_checking_the_checksum() -> None:
    # The kernel checks ICMPv6 checksums (they cover a pseudo-header); 0x1234 is kept as is.
    data = bytes.fromhex("81001234abcd0009") + b"payload"
    assert parse_echo_reply(data, 6) == EchoReply(0xABCD, 9, b"payload")


@given(st.binary(max_size=200), st.sampled_from([4, 6]), st.booleans())
def test_parse_never_raises(data: bytes, version: int, ip_header: bool) -> None:
    result = parse_echo_reply(data, version, ip_header)
    assert result is None or isinstance(result, EchoReply)


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=64))
def test_a_request_turned_into_a_reply_parses_back(ident: int, seq: int, payload: bytes) -> None:
    request = build_echo_request(4, ident, seq, payload)
    assert checksum(request) == 0
    assert parse_echo_reply(_reply4(ident, seq, payload), 4) == EchoReply(ident, seq, payload)
    assert parse_echo_reply(IPV4_HEADER + _reply4(ident, seq, payload), 4, True) == EchoReply(
        ident, seq, payload)
