"""Decoding v1/v2c notifications (pure): messages captured from net-snmp 5.9, agreement with
pyasn1 (pysnmp's codec) on any varbinds, RFC 3584's conversion, and garbage that only ever
raises the receiver's own errors."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from collector.traps.errors import MalformedMessage, TrapError, UnsupportedMessage
from collector.traps.message import decode_message, peek_version
from collector.traps.names import trap_label
from collector.traps.notification import (
    SNMP_TRAP_ADDRESS,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    Kind,
    from_v1,
)
from exporters.snmp import ber
from exporters.snmp.values import (
    COUNTER32,
    COUNTER64,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    TIMETICKS,
)

pytestmark = pytest.mark.traps

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
# Captured from net-snmp 5.9.3 (`snmptrap`/`snmpinform`, community "public").
V2C_TRAP = bytes.fromhex(
    "306702010104067075626c6963a75a02041d55a46f020100020100304c300f06082b060102010103004303"
    "12496a3017060a2b06010603010104010006092b0601060301010503300f060a2b06010201020201010202"
    "0102300f060a2b060102010202010802020102")
V2C_INFORM = bytes.fromhex(
    "307f02010104067075626c6963a67202041232a2000201000201003064300f06082b060102010103004303"
    "12e1e23017060a2b06010603010104010006092b0601060301010503300f060a2b0601020102020101020201"
    "023027060a2b06010201020201020204194769676162697445746865726e6574302f312075706c696e6b")
V1_LINK_DOWN = bytes.fromhex(
    "303a02010004067075626c6963a42d06072b06010401bf0840040a010203020102020100430312496c3011"
    "300f060a2b060102010202010102020102")
V1_SPECIFIC = bytes.fromhex(
    "304002010004067075626c6963a43306082b0601040109010140040a010201020106020111430312e1f730"
    "163014060a2b060104010902010100040672656c6f6164")
VALID = (V2C_TRAP, V2C_INFORM, V1_LINK_DOWN, V1_SPECIFIC)


def test_v2c_trap() -> None:
    message = decode_message(V2C_TRAP)
    assert (message.version, message.community, message.response) == (1, b"public", None)
    n = message.notification
    assert (n.version, n.kind, trap_label(n.trap_oid)) == ("v2c", Kind.TRAP, "linkDown")
    assert n.varbinds[0] == (SYS_UPTIME, TIMETICKS, 1198442)
    assert n.varbinds[2:] == (((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 2), INTEGER, 2),
                              ((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 2), INTEGER, 2))
    assert n.agent_address is None
    assert "public" not in repr(message)


def test_inform_answer_is_a_response_with_the_same_id_and_varbinds() -> None:
    message = decode_message(V2C_INFORM)
    assert message.notification.kind is Kind.INFORM
    assert message.response is not None
    answer, rest = decoder.decode(message.response, asn1Spec=V2C.Message())
    assert rest == b""
    assert bytes(V2C.apiMessage.get_community(answer)) == b"public"
    pdu = V2C.apiMessage.get_pdu(answer)
    assert pdu.isSameTypeWith(V2C.GetResponsePDU())
    assert int(V2C.apiPDU.get_request_id(pdu)) == 0x1232A200
    assert int(V2C.apiPDU.get_error_status(pdu)) == 0
    names = [tuple(name) for name, _ in V2C.apiPDU.get_varbinds(pdu)]
    assert names == [oid for oid, _, _ in message.notification.varbinds]
    assert message.notification.varbinds[-1][2] == b"GigabitEthernet0/1 uplink"


def test_v1_generic_trap_per_rfc3584() -> None:
    n = decode_message(V1_LINK_DOWN).notification
    assert (n.version, n.kind, trap_label(n.trap_oid)) == ("v1", Kind.TRAP, "linkDown")
    assert n.varbinds[0] == (SYS_UPTIME, TIMETICKS, 0x12496C)
    assert n.varbinds[1] == (SNMP_TRAP_OID, OBJECT_IDENTIFIER, "1.3.6.1.6.3.1.1.5.3")
    assert n.agent_address == "10.1.2.3"
    assert n.values()[(1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0)] == "1.3.6.1.4.1.8072"


def test_v1_enterprise_specific_trap() -> None:
    n = decode_message(V1_SPECIFIC).notification
    assert n.trap_oid == (1, 3, 6, 1, 4, 1, 9, 1, 1, 0, 17)
    assert trap_label(n.trap_oid) == "1.3.6.1.4.1.9.1.1.0.17"
    assert n.agent_address == "10.1.2.1"
    assert n.varbinds[2] == ((1, 3, 6, 1, 4, 1, 9, 2, 1, 1, 0), OCTET_STRING, b"reload")


def test_v1_conversion_edges() -> None:
    n = from_v1((1, 3, 6, 1, 4, 1, 9), "10.0.0.1", 0, 0, 5,
                [(SNMP_TRAP_ADDRESS, IP_ADDRESS, "10.9.9.9")])
    assert trap_label(n.trap_oid) == "coldStart"
    assert n.agent_address == "10.9.9.9"       # present already: not appended again
    with pytest.raises(MalformedMessage, match="generic-trap 7"):
        from_v1((1, 3, 6), "10.0.0.1", 7, 0, 5, [])


def test_not_a_notification() -> None:
    get = ber.encode_request(ber.VERSION_2C, b"public", ber.GET_REQUEST, 7, [(1, 3, 6, 1)])
    with pytest.raises(UnsupportedMessage, match="GetRequest PDU"):
        decode_message(get)
    v1_in_v2c = bytearray(V2C_TRAP)
    v1_in_v2c[4] = 0                                  # version v1 with an SNMPv2-Trap PDU
    with pytest.raises(UnsupportedMessage):
        decode_message(bytes(v1_in_v2c))
    assert peek_version(V2C_TRAP) == 1


def test_trap_without_trap_oid() -> None:
    body = _message([((1, 3, 6, 1, 2, 1, 1, 3, 0), V2C.TimeTicks(5))], V2C.TrapPDU())
    with pytest.raises(MalformedMessage, match=r"snmpTrapOID\.0"):
        decode_message(body)


# --- against pyasn1, any varbinds ------------------------------------------------------------

oids = st.tuples(st.integers(0, 2), st.integers(0, 39)).flatmap(
    lambda head: st.lists(st.integers(0, 2**32 - 1), max_size=16).map(
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
    st.floats(allow_nan=False, width=32).map(
        lambda f: (OPAQUE, V2C.Opaque(b"\x9f\x78\x04" + struct.pack(">f", f)),
                   struct.unpack(">f", struct.pack(">f", f))[0])),
)


def _message(varbinds: list[tuple[tuple[int, ...], object]], pdu: object,
             community: bytes = b"public", request_id: int = 1) -> bytes:
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, community)
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_varbinds(pdu, varbinds)
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


@settings(max_examples=200, deadline=None)
@given(trap=oids, inform=st.booleans(), community=st.binary(max_size=40),
       request_id=st.integers(-(2**31), 2**31 - 1),
       rows=st.lists(st.tuples(oids, values), max_size=30))
def test_decoder_agrees_with_pyasn1(trap: tuple[int, ...], inform: bool, community: bytes,
                                    request_id: int, rows: list) -> None:
    head = [(SYS_UPTIME, V2C.TimeTicks(42)), (SNMP_TRAP_OID, V2C.ObjectIdentifier(trap))]
    pdu = V2C.InformRequestPDU() if inform else V2C.TrapPDU()
    wire = _message(head + [(oid, asn1) for oid, (_, asn1, _) in rows], pdu, community,
                    request_id)
    message = decode_message(wire)
    assert message.community == community
    n = message.notification
    assert n.trap_oid == trap and n.kind is (Kind.INFORM if inform else Kind.TRAP)
    assert list(n.varbinds[2:]) == [(oid, tag, value) for oid, (tag, _, value) in rows]
    if inform:
        assert message.response is not None
        answer, rest = decoder.decode(message.response, asn1Spec=V2C.Message())
        assert rest == b""
        pdu = V2C.apiMessage.get_pdu(answer)
        assert int(V2C.apiPDU.get_request_id(pdu)) == request_id
        assert len(V2C.apiPDU.get_varbinds(pdu)) == len(rows) + 2


# --- garbage: the receiver's own errors, nothing else ------------------------------------------


def _decode(data: bytes) -> None:
    with contextlib.suppress(TrapError):
        if peek_version(data) != 3:
            decode_message(data)


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _decode(data)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(VALID), st.data())
def test_truncated_and_mutated(valid: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(valid) - 1))
    _decode(valid[:cut])
    mutated = bytearray(valid)
    mutated[data.draw(st.integers(0, len(valid) - 1))] = data.draw(st.integers(0, 255))
    _decode(bytes(mutated))
    _decode(valid + data.draw(st.binary(min_size=1, max_size=8)))


@pytest.mark.parametrize("valid", VALID)
def test_every_truncation_is_malformed(valid: bytes) -> None:
    for cut in range(len(valid)):
        with pytest.raises(MalformedMessage):
            decode_message(valid[:cut])
