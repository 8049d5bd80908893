"""SNMP values as netmon holds them after decoding.

A varbind is ``(oid, tag, value)``: the OID as a tuple of ints, the BER tag of the value and
its Python form, chosen to mirror what gosnmp hands snmp_exporter, so the mapping can follow
snmp_exporter's rules line for line:

=================  ====================  =====================================
tag                name                  Python value
=================  ====================  =====================================
0x02               INTEGER               int
0x04               OCTET STRING          bytes
0x05               NULL                  None
0x06               OBJECT IDENTIFIER     str, dotted, no leading dot
0x40               IpAddress             str, dotted quad (as gosnmp)
0x41, 0x42, 0x43   Counter32, Gauge32,   int
                   TimeTicks
0x44               Opaque                float for Opaque Float/Double, else bytes
0x46               Counter64             int
0x47               UInteger32            int
0x80, 0x81, 0x82   noSuchObject,         None; never stored as a result
                   noSuchInstance,
                   endOfMibView
=================  ====================  =====================================
"""

from __future__ import annotations

from typing import Final

Oid = tuple[int, ...]
Value = int | bytes | str | float | None
VarBind = tuple[Oid, int, Value]

INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_IDENTIFIER: Final = 0x06
IP_ADDRESS: Final = 0x40
COUNTER32: Final = 0x41
GAUGE32: Final = 0x42
TIMETICKS: Final = 0x43
OPAQUE: Final = 0x44
NSAP_ADDRESS: Final = 0x45
COUNTER64: Final = 0x46
UINTEGER32: Final = 0x47
NO_SUCH_OBJECT: Final = 0x80
NO_SUCH_INSTANCE: Final = 0x81
END_OF_MIB_VIEW: Final = 0x82

#: Tags that say "there is no value here" rather than carrying one.
EXCEPTIONS: Final = frozenset({NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})
def parse_oid(text: str) -> Oid:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` to a tuple; raises ValueError on anything else."""
    stripped = text[1:] if text.startswith(".") else text
    if not stripped:
        raise ValueError("empty OID")
    arcs = tuple(int(part) for part in stripped.split("."))
    if any(a < 0 for a in arcs):
        raise ValueError(f"negative arc in OID {text!r}")
    return arcs


def format_oid(oid: Oid) -> str:
    return ".".join(map(str, oid))
