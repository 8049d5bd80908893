"""Garbage on the wire gives SnmpProtocolError with an offset, never another exception."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporters.errors import SnmpProtocolError
from exporters.snmp import ber

VALID = bytes.fromhex(
    "303202010104067075626c6963a225020204d20201000201003019300d06082b06010201010300430105"
    "300806032b0601040178")


def test_valid_fixture_decodes() -> None:
    response = ber.decode_response(VALID)
    assert response.request_id == 1234
    assert response.varbinds == [((1, 3, 6, 1, 2, 1, 1, 3, 0), 0x43, 5),
                                 ((1, 3, 6, 1), 0x04, b"x")]


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    with contextlib.suppress(SnmpProtocolError):
        ber.decode_response(data)


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(0, 255))
def test_one_byte_mutations(position: int, byte: int) -> None:
    data = bytearray(VALID)
    data[position] = byte
    with contextlib.suppress(SnmpProtocolError):
        ber.decode_response(bytes(data))


@pytest.mark.parametrize("cut", range(1, len(VALID)))
def test_truncations_are_refused(cut: int) -> None:
    with pytest.raises(SnmpProtocolError):
        ber.decode_response(VALID[:cut])


def test_messages_say_where() -> None:
    bad = bytearray(VALID)
    bad[0] = 0x31
    with pytest.raises(SnmpProtocolError, match=r"offset 0"):
        ber.decode_response(bytes(bad))
    with pytest.raises(SnmpProtocolError, match="trailing"):
        ber.decode_response(VALID + b"\x00")


def test_a_request_is_not_taken_for_a_response() -> None:
    request = ber.encode_request(ber.VERSION_2C, b"public", ber.GET_REQUEST, 7, [(1, 3, 6)])
    with pytest.raises(SnmpProtocolError, match="expected a Response PDU, got GetRequest"):
        ber.decode_response(request)
