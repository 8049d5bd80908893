"""A strict BER reader for the notifications the collector receives (pure, no I/O).

Every length must fit inside its parent and every tag must be one SNMP defines; anything
else raises :class:`~collector.traps.errors.MalformedMessage` saying what was wrong at which
byte offset. It never raises IndexError or ValueError on garbage (the property tests in
``tests/collector/traps/test_decode.py`` feed it random and truncated datagrams).

The value types and their Python forms are those of the poller's fast path
(:mod:`exporters.snmp.values`), so a trap's varbinds read like a walk's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from collector.traps.errors import MalformedMessage
from exporters.errors import SnmpProtocolError
from exporters.snmp.ber import decode_oid, decode_opaque
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

__all__ = ["SEQUENCE", "Reader", "Span"]

SEQUENCE: Final = 0x30
_UNSIGNED: Final = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64, UINTEGER32})
_NULLS: Final = frozenset({NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})
#: The longest INTEGER or unsigned value read, in octets: SNMP's widest is Counter64, nine
#: octets with its leading zero (Integer32 fields take at most five, some agents write them
#: unsigned; eight are allowed). A longer one is refused: a datagram of one 60 kB INTEGER
#: would be a number Python cannot even print (past 4,300 digits ``str()`` raises).
_MAX_INTEGER_OCTETS: Final = 9


@dataclass(frozen=True, slots=True)
class Span:
    """One TLV: its tag, where its content starts and ends (exclusive)."""

    tag: int
    start: int
    end: int


class Reader:
    """Reads TLVs of ``data`` between ``pos`` and ``end``, in order."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def peek_tag(self) -> int:
        if self.pos >= self.end:
            raise MalformedMessage(f"message ends at offset {self.pos} where a value was "
                                   "expected")
        return self.data[self.pos]

    def next(self, what: str) -> Span:
        """The next TLV (any tag); the reader moves past it."""
        tag = self.peek_tag()
        if tag & 0x1F == 0x1F:
            raise MalformedMessage(f"multi-byte tag at offset {self.pos} ({what})")
        pos = self.pos + 1
        if pos >= self.end:
            raise MalformedMessage(f"truncated length at offset {pos} ({what})")
        first = self.data[pos]
        pos += 1
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4:
                raise MalformedMessage(f"unsupported length form 0x{first:02x} at offset "
                                       f"{pos - 1} ({what})")
            if pos + count > self.end:
                raise MalformedMessage(f"truncated length at offset {pos} ({what})")
            length = int.from_bytes(self.data[pos:pos + count], "big")
            pos += count
        if pos + length > self.end:
            raise MalformedMessage(f"{what}: length {length} at offset {pos} runs past the "
                                   f"end of its container ({self.end})")
        self.pos = pos + length
        return Span(tag, pos, pos + length)

    def expect(self, tag: int, what: str) -> Span:
        if self.peek_tag() != tag:
            raise MalformedMessage(f"expected {what} (tag 0x{tag:02x}) at offset {self.pos}, "
                                   f"found tag 0x{self.data[self.pos]:02x}")
        return self.next(what)

    def inside(self, span: Span) -> Reader:
        return Reader(self.data, span.start, span.end)

    # --- typed values ----------------------------------------------------------------------

    def integer(self, what: str) -> int:
        span = self.expect(INTEGER, what)
        if span.start == span.end:
            raise MalformedMessage(f"empty {what} at offset {span.start}")
        _check_width(span, what)
        return int.from_bytes(self.data[span.start:span.end], "big", signed=True)

    def octets(self, what: str) -> bytes:
        span = self.expect(OCTET_STRING, what)
        return self.data[span.start:span.end]

    def oid(self, what: str) -> Oid:
        span = self.expect(OBJECT_IDENTIFIER, what)
        return _oid(self.data[span.start:span.end])

    def varbinds(self) -> list[VarBind]:
        """A SEQUENCE OF VarBind, which must fill the rest of this reader."""
        outer = self.expect(SEQUENCE, "the variable-bindings")
        if outer.end != self.end:
            raise MalformedMessage(f"{self.end - outer.end} stray bytes after the "
                                   "variable-bindings")
        out: list[VarBind] = []
        items = self.inside(outer)
        while not items.at_end():
            vb = items.inside(items.expect(SEQUENCE, "a variable-binding"))
            oid = vb.oid("the name of a variable-binding")
            span = vb.next("the value of a variable-binding")
            if not vb.at_end():
                raise MalformedMessage(f"variable-binding at offset {span.start} has stray "
                                       "bytes")
            out.append((oid, span.tag, self.value(span)))
        return out

    def value(self, span: Span) -> Value:
        data, tag, start, end = self.data, span.tag, span.start, span.end
        if tag in _UNSIGNED:
            if start == end:
                raise MalformedMessage(f"empty value (tag 0x{tag:02x}) at offset {start}")
            _check_width(span, f"a value (tag 0x{tag:02x})")
            return int.from_bytes(data[start:end], "big")
        if tag == INTEGER:
            if start == end:
                raise MalformedMessage(f"empty INTEGER at offset {start}")
            _check_width(span, "an INTEGER value")
            return int.from_bytes(data[start:end], "big", signed=True)
        if tag in (OCTET_STRING, NSAP_ADDRESS):
            return data[start:end]
        if tag in _NULLS:
            if start != end:
                raise MalformedMessage(f"non-empty NULL (tag 0x{tag:02x}) at offset {start}")
            return None
        if tag == OBJECT_IDENTIFIER:
            return ".".join(map(str, _oid(data[start:end])))
        if tag == IP_ADDRESS:
            if end - start != 4:
                raise MalformedMessage(f"IpAddress of {end - start} octets at offset {start}")
            return ".".join(str(b) for b in data[start:end])
        if tag == OPAQUE:
            try:
                return decode_opaque(data[start:end])
            except struct.error as exc:  # defence in depth: decode_opaque checks sizes
                raise MalformedMessage(f"bad Opaque at offset {start}: {exc}") from None
        raise MalformedMessage(f"unknown value type 0x{tag:02x} at offset {start}")


def _check_width(span: Span, what: str) -> None:
    if span.end - span.start > _MAX_INTEGER_OCTETS:
        raise MalformedMessage(f"{what} of {span.end - span.start} octets at offset "
                               f"{span.start}: SNMP integers are at most "
                               f"{_MAX_INTEGER_OCTETS} octets (Counter64)")


def _oid(body: bytes) -> Oid:
    if len(body) > 512:
        raise MalformedMessage(f"OBJECT IDENTIFIER of {len(body)} octets")
    try:
        return decode_oid(body)
    except (SnmpProtocolError, IndexError, ValueError) as exc:
        raise MalformedMessage(f"malformed OBJECT IDENTIFIER: {exc}") from None
