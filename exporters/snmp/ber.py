"""A small BER codec for SNMPv1/v2c GET, GETNEXT and GETBULK: netmon's fast path.

Why it exists (measured, see ``bench/snmp_walk.py``): pysnmp decodes every value through
pyasn1's generic machinery at about 100 µs a value, ten times snmp_exporter's whole cost per
value. Community-based polling of 579 routers every interval is dominated by that decoding,
so netmon encodes its requests and decodes the responses itself for SNMPv1/v2c. pysnmp
keeps everything else: SNMPv3 (USM security, engine discovery), traps, and any PDU this
module does not handle. The decoder is checked against pyasn1's by property tests
(``tests/exporters/snmp/test_ber_properties.py``).

The decoder is strict: every length must fit inside its parent, every tag must be one SNMP
defines; anything else raises :class:`~exporters.errors.SnmpProtocolError` saying what was
wrong at which byte offset. It never raises IndexError or ValueError on garbage.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from exporters.errors import SnmpProtocolError
from exporters.snmp.values import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NSAP_ADDRESS,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    TIMETICKS,
    UINTEGER32,
    Oid,
    Value,
    VarBind,
)

SEQUENCE: Final = 0x30
GET_REQUEST: Final = 0xA0
GET_NEXT_REQUEST: Final = 0xA1
RESPONSE: Final = 0xA2
GET_BULK_REQUEST: Final = 0xA5
PDU_NAMES: Final = {0xA0: "GetRequest", 0xA1: "GetNextRequest", 0xA2: "Response",
                    0xA3: "SetRequest", 0xA4: "Trap-v1", 0xA5: "GetBulkRequest",
                    0xA6: "InformRequest", 0xA7: "SNMPv2-Trap", 0xA8: "Report"}
VERSION_1: Final = 0
VERSION_2C: Final = 1

_UNSIGNED_TAGS: Final = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64, UINTEGER32})
_NULL_TAGS: Final = frozenset({NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})

# Decoded OIDs by their BER body. A poller asks the same devices for the same OIDs every
# interval, and routers of one model share most of them, so this saves most OID decoding.
# Bounded: when it is full it is emptied and refills with what is in use.
_OID_CACHE: dict[bytes, Oid] = {}
_OID_CACHE_MAX: Final = 50_000
#: The largest sub-identifier accepted: SNMP's are 32-bit (RFC 2578, 3.5), gosnmp reads up to
#: 64 bits, so does netmon. Unbounded, one arc of a 60 kB datagram would be a number Python
#: cannot print (past 4,300 digits ``str()`` raises), in the very message that reports it.
_MAX_ARC: Final = 2**64 - 1


# --- encoding -------------------------------------------------------------------------------

def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode_tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(body)) + body


def encode_integer(value: int) -> bytes:
    """Minimal two's complement content octets of an INTEGER."""
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return value.to_bytes(size, "big", signed=True)


def encode_oid(oid: Oid) -> bytes:
    """Content octets of an OBJECT IDENTIFIER."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise ValueError(f"not an encodable OID: {'.'.join(map(str, oid))}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def encode_request(version: int, community: bytes, pdu_type: int, request_id: int,
                   oids: list[Oid], non_repeaters: int = 0, max_repetitions: int = 0) -> bytes:
    """One SNMPv1/v2c request message. For GETBULK the two trailing fields are
    non-repeaters and max-repetitions; for the others they are error-status/index (0)."""
    varbinds = b"".join(
        encode_tlv(SEQUENCE, encode_tlv(OBJECT_IDENTIFIER, encode_oid(oid)) + b"\x05\x00")
        for oid in oids)
    pdu = (encode_tlv(INTEGER, encode_integer(request_id))
           + encode_tlv(INTEGER, encode_integer(non_repeaters))
           + encode_tlv(INTEGER, encode_integer(max_repetitions))
           + encode_tlv(SEQUENCE, varbinds))
    message = (encode_tlv(INTEGER, encode_integer(version)) + encode_tlv(OCTET_STRING, community)
               + encode_tlv(pdu_type, pdu))
    return encode_tlv(SEQUENCE, message)


# --- decoding -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Header:
    """The part of a message needed to route it to the request that waits for it."""

    version: int
    community: bytes = field(repr=False)
    pdu_type: int
    request_id: int
    pdu_end: int
    body_start: int  # offset of error-status


@dataclass(frozen=True, slots=True)
class Response:
    version: int
    community: bytes = field(repr=False)
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]


def _read_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos >= end:
        raise SnmpProtocolError(f"truncated length at offset {pos}")
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise SnmpProtocolError(f"unsupported length form 0x{first:02x} at offset {pos - 1}")
        if pos + count > end:
            raise SnmpProtocolError(f"truncated length at offset {pos}")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise SnmpProtocolError(
            f"length {length} at offset {pos} runs past the end of its container ({end})")
    return length, pos


def _expect(data: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    """Check the tag at ``pos``; return (content start, content end)."""
    if pos >= end:
        raise SnmpProtocolError(f"message ends where {what} was expected (offset {pos})")
    if data[pos] != tag:
        raise SnmpProtocolError(
            f"expected {what} (tag 0x{tag:02x}) at offset {pos}, found tag 0x{data[pos]:02x}")
    length, start = _read_length(data, pos + 1, end)
    return start, start + length


def _int(data: bytes, start: int, end: int, what: str) -> int:
    if start == end:
        raise SnmpProtocolError(f"empty {what} at offset {start}")
    return int.from_bytes(data[start:end], "big", signed=True)


def decode_oid(body: bytes) -> Oid:
    """Content octets of an OBJECT IDENTIFIER to a tuple of arcs."""
    cached = _OID_CACHE.get(body)
    if cached is not None:
        return cached
    if not body or body[-1] & 0x80:
        raise SnmpProtocolError(f"malformed OBJECT IDENTIFIER {body.hex()}")
    arcs: list[int] = []
    arc = 0
    for byte in body:
        arc = (arc << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(arc)
            arc = 0
    if max(arcs) > _MAX_ARC:
        raise SnmpProtocolError(f"OBJECT IDENTIFIER with a sub-identifier past 64 bits "
                                f"({len(body)} octets)")
    first = arcs[0]
    if first < 40:
        arcs[0:1] = (0, first)
    elif first < 80:
        arcs[0:1] = (1, first - 40)
    else:
        arcs[0:1] = (2, first - 80)
    oid = tuple(arcs)
    if len(_OID_CACHE) >= _OID_CACHE_MAX:
        _OID_CACHE.clear()
    _OID_CACHE[body] = oid
    return oid


def decode_header(data: bytes) -> Header:
    """Decode up to the request-id: enough to find who is waiting for this message."""
    total = len(data)
    start, end = _expect(data, 0, total, SEQUENCE, "the message SEQUENCE")
    if end != total:
        raise SnmpProtocolError(f"{total - end} trailing bytes after the message")
    vs, ve = _expect(data, start, end, INTEGER, "the version")
    version = _int(data, vs, ve, "version")
    cs, ce = _expect(data, ve, end, OCTET_STRING, "the community")
    if ce >= end:
        raise SnmpProtocolError("message ends before its PDU")
    pdu_type = data[ce]
    if pdu_type not in PDU_NAMES:
        raise SnmpProtocolError(f"unknown PDU type 0x{pdu_type:02x} at offset {ce}")
    plen, ps = _read_length(data, ce + 1, end)
    pdu_end = ps + plen
    rs, re_ = _expect(data, ps, pdu_end, INTEGER, "the request-id")
    return Header(version, data[cs:ce], pdu_type, _int(data, rs, re_, "request-id"),
                  pdu_end, re_)


def decode_response(data: bytes, header: Header | None = None) -> Response:
    """Decode a whole Response message (header decoded again unless given)."""
    try:
        return _decode_response(data, header or decode_header(data))
    except (IndexError, ValueError, struct.error) as exc:  # defence in depth
        raise SnmpProtocolError(f"malformed message: {exc}") from exc


def _decode_response(data: bytes, header: Header) -> Response:
    if header.pdu_type != RESPONSE:
        raise SnmpProtocolError(
            f"expected a Response PDU, got {PDU_NAMES.get(header.pdu_type, header.pdu_type)}")
    end = header.pdu_end
    es, ee = _expect(data, header.body_start, end, INTEGER, "the error-status")
    xs, xe = _expect(data, ee, end, INTEGER, "the error-index")
    ls, le = _expect(data, xe, end, SEQUENCE, "the variable-bindings")
    if le != end:
        raise SnmpProtocolError(f"{end - le} stray bytes after the variable-bindings")
    varbinds: list[VarBind] = []
    append = varbinds.append
    cache = _OID_CACHE
    pos = ls
    while pos < le:
        # Fast path: every length in the short form (< 128), as in nearly every GETBULK
        # answer; anything else goes through the general, fully checked reader below.
        if data[pos] == SEQUENCE and data[pos + 1] < 0x80 and data[pos + 2] == OBJECT_IDENTIFIER:
            ve = pos + 2 + data[pos + 1]
            olen = data[pos + 3]
            oe = pos + 4 + olen
            if olen < 0x80 and oe + 1 < ve <= le and data[oe + 1] < 0x80:
                vstart = oe + 2
                if vstart + data[oe + 1] == ve:
                    body = data[pos + 4:oe]
                    oid = cache.get(body)
                    if oid is None:
                        oid = decode_oid(body)
                    tag = data[oe]
                    append((oid, tag, _decode_value(data, tag, vstart, ve)))
                    pos = ve
                    continue
        pos = _decode_varbind(data, pos, le, append)
    return Response(header.version, header.community, header.pdu_type, header.request_id,
                    _int(data, es, ee, "error-status"), _int(data, xs, xe, "error-index"),
                    varbinds)


def _decode_varbind(data: bytes, pos: int, end: int,
                    append: Callable[[VarBind], None]) -> int:
    """One variable-binding in any BER form, every length checked; returns its end."""
    vs, ve = _expect(data, pos, end, SEQUENCE, "a variable-binding")
    os_, oe = _expect(data, vs, ve, OBJECT_IDENTIFIER, "the name of a variable-binding")
    oid = decode_oid(data[os_:oe])
    if oe >= ve:
        raise SnmpProtocolError(f"variable-binding at offset {pos} has no value")
    tag = data[oe]
    vlen, vstart = _read_length(data, oe + 1, ve)
    vend = vstart + vlen
    if vend != ve:
        raise SnmpProtocolError(f"variable-binding at offset {pos} has stray bytes")
    append((oid, tag, _decode_value(data, tag, vstart, vend)))
    return ve


def _decode_value(data: bytes, tag: int, start: int, end: int) -> Value:
    if tag in _UNSIGNED_TAGS:
        if start == end:
            raise SnmpProtocolError(f"empty {tag:#x} value at offset {start}")
        return int.from_bytes(data[start:end], "big")
    if tag == OCTET_STRING:
        return data[start:end]
    if tag == INTEGER:
        return _int(data, start, end, "INTEGER")
    if tag in _NULL_TAGS:
        if start != end:
            raise SnmpProtocolError(f"non-empty NULL-like value (tag {tag:#x}) at offset {start}")
        return None
    if tag == OBJECT_IDENTIFIER:
        return ".".join(map(str, decode_oid(data[start:end])))
    if tag == IP_ADDRESS:
        return _ip_address(data[start:end], start)
    if tag == OPAQUE:
        return decode_opaque(data[start:end])
    if tag == NSAP_ADDRESS:
        return data[start:end]
    raise SnmpProtocolError(f"unknown value type 0x{tag:02x} at offset {start - 2}")


def _ip_address(raw: bytes, offset: int) -> str:
    if len(raw) == 4:
        return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"
    if not raw:
        return ""
    raise SnmpProtocolError(f"IpAddress of {len(raw)} bytes at offset {offset}")


def decode_opaque(raw: bytes) -> float | bytes:
    """net-snmp wraps floats in Opaque: 9f 78 04 <float32> or 9f 79 08 <float64>."""
    if len(raw) == 7 and raw[:3] == b"\x9f\x78\x04":
        return float(struct.unpack(">f", raw[3:])[0])
    if len(raw) == 11 and raw[:3] == b"\x9f\x79\x08":
        return float(struct.unpack(">d", raw[3:])[0])
    return raw
