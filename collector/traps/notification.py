"""A received notification, whatever the SNMP version it came in (pure, no I/O).

SNMPv2c and SNMPv3 notifications carry ``sysUpTime.0`` and ``snmpTrapOID.0`` as their first
two varbinds (RFC 3416, 4.2.6). An SNMPv1 Trap-PDU is converted as RFC 3584, 3.1 says: its
generic trap ``g`` (0 to 5) becomes ``snmpTraps.(g + 1)``, an enterprise-specific one
``enterprise.0.specific``; ``snmpTrapAddress.0`` (the agent-addr field) and
``snmpTrapEnterprise.0`` are appended. ``snmpTrapCommunity.0`` is *not* appended, on purpose:
it would carry the community, a secret, into logs and alerts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from collector.traps.errors import MalformedMessage
from collector.traps.names import SNMP_TRAPS
from exporters.snmp.values import (
    IP_ADDRESS,
    OBJECT_IDENTIFIER,
    TIMETICKS,
    Oid,
    VarBind,
    format_oid,
    parse_oid,
)

__all__ = ["SNMP_TRAP_ADDRESS", "SNMP_TRAP_OID", "SYS_UPTIME", "Kind", "Notification",
           "from_v1", "from_v2"]

SYS_UPTIME: Final = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID: Final = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAP_ENTERPRISE: Final = (1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0)
SNMP_TRAP_ADDRESS: Final = (1, 3, 6, 1, 6, 3, 18, 1, 3, 0)
_ENTERPRISE_SPECIFIC: Final = 6


class Kind(enum.Enum):
    TRAP = "trap"          # unconfirmed: SNMPv1 Trap-PDU, SNMPv2-Trap-PDU
    INFORM = "inform"      # confirmed: InformRequest-PDU, answered with a Response-PDU


@dataclass(frozen=True, slots=True)
class Notification:
    version: str                        # "v1", "v2c" or "v3"
    kind: Kind
    trap_oid: Oid
    varbinds: tuple[VarBind, ...]       # all of them, sysUpTime.0 and snmpTrapOID.0 first

    @property
    def agent_address(self) -> str | None:
        """``snmpTrapAddress.0``: the original sender, when a v1 trap or a relay says it."""
        for oid, tag, value in self.varbinds:
            if oid == SNMP_TRAP_ADDRESS and tag == IP_ADDRESS and isinstance(value, str):
                return value or None
        return None

    def values(self) -> dict[Oid, object]:
        """The varbinds by OID (a later repeat wins; notifications do not repeat)."""
        return {oid: value for oid, _tag, value in self.varbinds}


def from_v2(version: str, kind: Kind, varbinds: list[VarBind]) -> Notification:
    """A v2c/v3 notification: ``snmpTrapOID.0`` must be there (second, per RFC 3416; any
    place is accepted, as net-snmp's snmptrapd does)."""
    for oid, tag, value in varbinds[:3]:
        if oid == SNMP_TRAP_OID:
            if tag != OBJECT_IDENTIFIER or not isinstance(value, str):
                raise MalformedMessage("snmpTrapOID.0 is not an OBJECT IDENTIFIER")
            return Notification(version, kind, parse_oid(value), tuple(varbinds))
    raise MalformedMessage("a notification without snmpTrapOID.0 among its first varbinds")


def from_v1(enterprise: Oid, agent_address: str, generic: int, specific: int,
            timestamp: int, varbinds: list[VarBind]) -> Notification:
    """An SNMPv1 Trap-PDU as the SNMPv2 notification RFC 3584 (3.1) makes of it."""
    if 0 <= generic < _ENTERPRISE_SPECIFIC:
        trap_oid: Oid = (*SNMP_TRAPS, generic + 1)
    elif generic == _ENTERPRISE_SPECIFIC:
        if specific < 0:
            raise MalformedMessage(f"negative specific-trap {specific}")
        trap_oid = (*enterprise, 0, specific)
    else:
        raise MalformedMessage(f"generic-trap {generic} is not 0 to 6")
    head: list[VarBind] = [(SYS_UPTIME, TIMETICKS, timestamp),
                           (SNMP_TRAP_OID, OBJECT_IDENTIFIER, format_oid(trap_oid))]
    tail: list[VarBind] = []
    present = {oid for oid, _tag, _value in varbinds}
    if SNMP_TRAP_ADDRESS not in present:
        tail.append((SNMP_TRAP_ADDRESS, IP_ADDRESS, agent_address))
    if SNMP_TRAP_ENTERPRISE not in present:
        tail.append((SNMP_TRAP_ENTERPRISE, OBJECT_IDENTIFIER, format_oid(enterprise)))
    return Notification("v1", Kind.TRAP, trap_oid, (*head, *varbinds, *tail))
