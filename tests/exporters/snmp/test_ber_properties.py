"""netmon's BER fast path against pyasn1 (pysnmp's codec), by property tests.

Responses are built and encoded with pysnmp's own protocol API and pyasn1's encoder, then
decoded by netmon; requests are encoded by netmon and decoded by pyasn1. Any disagreement,
on any value type or size, fails here.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from exporters.snmp import ber
from exporters.snmp.values import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    TIMETICKS,
)

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

oids = st.tuples(st.integers(0, 2), st.integers(0, 39)).flatmap(
    lambda head: st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=20).map(
        lambda tail: (*head, *tail)))

u32 = st.integers(0, 2**32 - 1)
values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (INTEGER, V2C.Integer32(v), v)),
    st.binary(max_size=300).map(lambda v: (OCTET_STRING, V2C.OctetString(v), v)),
    oids.map(lambda o: (OBJECT_IDENTIFIER, V2C.ObjectIdentifier(o), ".".join(map(str, o)))),
    st.tuples(*[st.integers(0, 255)] * 4).map(
        lambda q: (IP_ADDRESS, V2C.IpAddress(bytes(q)), ".".join(map(str, q)))),
    u32.map(lambda v: (COUNTER32, V2C.Counter32(v), v)),
    u32.map(lambda v: (GAUGE32, V2C.Gauge32(v), v)),
    u32.map(lambda v: (TIMETICKS, V2C.TimeTicks(v), v)),
    st.integers(0, 2**64 - 1).map(lambda v: (COUNTER64, V2C.Counter64(v), v)),
    st.just((NULL, V2C.Null(""), None)),
    st.just((NO_SUCH_OBJECT, V2C.NoSuchObject(""), None)),
    st.just((NO_SUCH_INSTANCE, V2C.NoSuchInstance(""), None)),
    st.just((END_OF_MIB_VIEW, V2C.EndOfMibView(""), None)),
    st.floats(allow_nan=False, width=32).map(
        lambda f: (OPAQUE, V2C.Opaque(b"\x9f\x78\x04" + struct.pack(">f", f)), f)),
    st.binary(max_size=20).filter(lambda b: not b.startswith(b"\x9f\x78")).map(
        lambda v: (OPAQUE, V2C.Opaque(v), v)),
)


def _response(request_id: int, status: int, index: int, community: bytes,
              varbinds: list[tuple[tuple[int, ...], object]]) -> bytes:
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, community)
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_error_status(pdu, status)
    V2C.apiPDU.set_error_index(pdu, index)
    V2C.apiPDU.set_varbinds(pdu, varbinds)
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


@settings(max_examples=300, deadline=None)
@given(request_id=st.integers(0, 2**31 - 1), status=st.integers(0, 18),
       index=st.integers(0, 100), community=st.binary(max_size=40),
       rows=st.lists(st.tuples(oids, values), max_size=40))
def test_decoder_agrees_with_pyasn1(request_id: int, status: int, index: int,
                                    community: bytes, rows: list) -> None:
    wire = _response(request_id, status, index, community,
                     [(oid, asn1) for oid, (_, asn1, _) in rows])
    decoded = ber.decode_response(wire)
    assert decoded.request_id == request_id
    assert decoded.error_status == status
    assert decoded.error_index == index
    assert decoded.community == community
    assert decoded.pdu_type == ber.RESPONSE
    assert len(decoded.varbinds) == len(rows)
    for (oid, tag, value), (want_oid, (want_tag, _, want_value)) in zip(
            decoded.varbinds, rows, strict=True):
        assert oid == want_oid
        assert tag == want_tag
        if isinstance(want_value, float):
            assert value == struct.unpack(">f", struct.pack(">f", want_value))[0]
        else:
            assert value == want_value


@settings(max_examples=200, deadline=None)
@given(request_id=st.integers(0, 2**31 - 1), community=st.binary(max_size=40),
       names=st.lists(oids, min_size=1, max_size=30), bulk=st.booleans(),
       repetitions=st.integers(0, 2**31 - 1))
def test_requests_decode_in_pyasn1(request_id: int, community: bytes, names: list,
                                   bulk: bool, repetitions: int) -> None:
    pdu_type = ber.GET_BULK_REQUEST if bulk else ber.GET_REQUEST
    wire = ber.encode_request(ber.VERSION_2C, community, pdu_type, request_id, names,
                              0, repetitions if bulk else 0)
    msg, rest = decoder.decode(wire, asn1Spec=V2C.Message())
    assert rest == b""
    assert bytes(V2C.apiMessage.get_community(msg)) == community
    pdu = V2C.apiMessage.get_pdu(msg)
    assert int(V2C.apiPDU.get_request_id(pdu)) == request_id
    if bulk:
        assert pdu.isSameTypeWith(V2C.GetBulkRequestPDU())
        assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == repetitions
    else:
        assert pdu.isSameTypeWith(V2C.GetRequestPDU())
    got = [tuple(name) for name, _ in V2C.apiPDU.get_varbinds(pdu)]
    assert got == names


@given(st.integers(-(2**63), 2**63))
def test_integer_encoding_is_minimal_twos_complement(value: int) -> None:
    body = ber.encode_integer(value)
    assert int.from_bytes(body, "big", signed=True) == value
    if len(body) > 1:  # minimal: the first 9 bits are not all equal
        assert not (body[0] == 0 and body[1] < 0x80)
        assert not (body[0] == 0xFF and body[1] >= 0x80)
