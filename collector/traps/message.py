"""SNMPv1 and SNMPv2c notification messages: decoding, and the answer to an inform (pure).

    Message ::= SEQUENCE { version INTEGER, community OCTET STRING, data PDU }

* ``SNMPv2-Trap-PDU`` (0xa7) and ``InformRequest-PDU`` (0xa6), version 1 (v2c): request-id,
  error-status, error-index, variable-bindings (RFC 3416);
* ``Trap-PDU`` (0xa4), version 0 (v1): enterprise, agent-addr, generic-trap, specific-trap,
  time-stamp, variable-bindings (RFC 1157), converted per RFC 3584
  (:func:`collector.traps.notification.from_v1`).

Any other PDU (a GetRequest sent to the trap port) is :class:`UnsupportedMessage`; anything
that is not BER as SNMP writes it is :class:`MalformedMessage`. SNMPv3 messages are routed
to pysnmp by :func:`peek_version` before this module sees them.

The answer to an inform is a Response-PDU with the same request-id and varbinds and
error-status noError (RFC 3416, 4.2.7): built from the request's own bytes, so the varbinds
are echoed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from collector.traps.errors import MalformedMessage, UnsupportedMessage
from collector.traps.notification import Kind, Notification, from_v1, from_v2
from collector.traps.tlv import SEQUENCE, Reader
from exporters.snmp.ber import PDU_NAMES, encode_integer
from exporters.snmp.values import IP_ADDRESS, TIMETICKS

__all__ = ["VERSION_1", "VERSION_2C", "VERSION_3", "Message", "decode_message",
           "peek_version"]

VERSION_1: Final = 0
VERSION_2C: Final = 1
VERSION_3: Final = 3
TRAP_V1: Final = 0xA4
INFORM: Final = 0xA6
TRAP_V2: Final = 0xA7
RESPONSE: Final = 0xA2
_VERSION_NAMES: Final = {VERSION_1: "v1", VERSION_2C: "v2c"}


@dataclass(frozen=True, slots=True)
class Message:
    version: int
    community: bytes = field(repr=False)
    notification: Notification
    #: The Response to send once the community is accepted (informs only).
    response: bytes | None = field(default=None, repr=False)


def peek_version(data: bytes) -> int:
    """The message's version field (0: v1, 1: v2c, 3: v3), to route it."""
    outer = Reader(data)
    message = outer.expect(SEQUENCE, "the message SEQUENCE")
    if message.end != len(data):
        raise MalformedMessage(f"{len(data) - message.end} trailing bytes after the message")
    return outer.inside(message).integer("the version")


def decode_message(data: bytes) -> Message:
    """A v1 or v2c notification message (raises :class:`~collector.traps.errors.TrapError`)."""
    outer = Reader(data)
    message = outer.inside(outer.expect(SEQUENCE, "the message SEQUENCE"))
    if outer.pos != len(data):
        raise MalformedMessage(f"{len(data) - outer.pos} trailing bytes after the message")
    envelope_start = message.pos
    version = message.integer("the version")
    if version not in _VERSION_NAMES:
        raise UnsupportedMessage(f"SNMP version field {version} (this decoder reads v1 and "
                                 "v2c)")
    community = message.octets("the community")
    envelope_end = message.pos
    pdu = message.next("the PDU")
    if not message.at_end():
        raise MalformedMessage("stray bytes after the PDU")
    body = message.inside(pdu)
    if pdu.tag == TRAP_V1 and version == VERSION_1:
        return Message(version, community, _trap_v1(body))
    if pdu.tag in (TRAP_V2, INFORM) and version == VERSION_2C:
        request_id = body.integer("the request-id")
        body.integer("the error-status")
        body.integer("the error-index")
        varbinds_start = body.pos
        kind = Kind.INFORM if pdu.tag == INFORM else Kind.TRAP
        notification = from_v2("v2c", kind, body.varbinds())
        response = None
        if kind is Kind.INFORM:
            response = _response(data[envelope_start:envelope_end], request_id,
                                 data[varbinds_start:pdu.end])
        return Message(version, community, notification, response)
    name = PDU_NAMES.get(pdu.tag, f"tag 0x{pdu.tag:02x}")
    raise UnsupportedMessage(f"a {name} PDU in an SNMP {_VERSION_NAMES[version]} message: "
                             "this port takes notifications only")


def _trap_v1(body: Reader) -> Notification:
    enterprise = body.oid("the enterprise")
    address = body.expect(IP_ADDRESS, "the agent-addr")
    agent_address = body.value(address)
    generic = body.integer("the generic-trap")
    specific = body.integer("the specific-trap")
    stamp = body.next("the time-stamp")
    if stamp.tag != TIMETICKS:
        raise MalformedMessage(f"time-stamp is not TimeTicks (tag 0x{stamp.tag:02x})")
    timestamp = body.value(stamp)
    assert isinstance(agent_address, str) and isinstance(timestamp, int)  # by their tags
    return from_v1(enterprise, agent_address, generic, specific, timestamp, body.varbinds())


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


def _response(envelope: bytes, request_id: int, varbinds: bytes) -> bytes:
    """``envelope``: the request's version and community TLVs, copied as they are."""
    pdu = _tlv(0x02, encode_integer(request_id)) + b"\x02\x01\x00\x02\x01\x00" + varbinds
    return _tlv(SEQUENCE, envelope + _tlv(RESPONSE, pdu))
