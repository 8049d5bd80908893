"""Names of the notifications a WAN router commonly sends, for the ``trap`` label.

A small built-in table (netmon loads no MIBs): the generic traps of SNMPv2-MIB (what RFC 3584
turns SNMPv1's generic traps into), and the IETF and vendor notifications a ward router and a
DC switch send in practice. Any other notification is named by its numeric OID (the label
set stays bounded: see :class:`collector.traps.metrics.TrapMetrics`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from exporters.snmp.values import Oid, format_oid

__all__ = ["LINK_DOWN", "LINK_UP", "NAMES", "OIDS", "trap_label"]

#: snmpTraps (SNMPv2-MIB): RFC 3584 maps SNMPv1 generic trap g to snmpTraps.(g + 1).
SNMP_TRAPS: Final = (1, 3, 6, 1, 6, 3, 1, 1, 5)
LINK_DOWN: Final = (*SNMP_TRAPS, 3)
LINK_UP: Final = (*SNMP_TRAPS, 4)

NAMES: Final[Mapping[Oid, str]] = {
    (*SNMP_TRAPS, 1): "coldStart",
    (*SNMP_TRAPS, 2): "warmStart",
    LINK_DOWN: "linkDown",
    LINK_UP: "linkUp",
    (*SNMP_TRAPS, 5): "authenticationFailure",
    (*SNMP_TRAPS, 6): "egpNeighborLoss",
    (1, 3, 6, 1, 2, 1, 47, 2, 0, 1): "entConfigChange",                 # ENTITY-MIB
    (1, 3, 6, 1, 2, 1, 15, 0, 1): "bgpEstablishedNotification",        # BGP4-MIB (RFC 4273)
    (1, 3, 6, 1, 2, 1, 15, 0, 2): "bgpBackwardTransNotification",
    (1, 3, 6, 1, 2, 1, 15, 7, 1): "bgpEstablished",                    # BGP4-MIB (RFC 1657)
    (1, 3, 6, 1, 2, 1, 15, 7, 2): "bgpBackwardTransition",
    (1, 3, 6, 1, 2, 1, 14, 16, 2, 2): "ospfNbrStateChange",            # OSPF-TRAP-MIB
    (1, 3, 6, 1, 2, 1, 14, 16, 2, 16): "ospfIfStateChange",
    (1, 3, 6, 1, 2, 1, 16, 0, 1): "risingAlarm",                       # RMON-MIB
    (1, 3, 6, 1, 2, 1, 16, 0, 2): "fallingAlarm",
    (1, 3, 6, 1, 4, 1, 9, 9, 43, 2, 0, 1): "ciscoConfigManEvent",      # CISCO-CONFIG-MAN-MIB
    (1, 3, 6, 1, 4, 1, 9, 9, 91, 2, 0, 1): "entSensorThresholdNotification",  # CISCO-ENTITY-SENSOR
    (1, 3, 6, 1, 4, 1, 8072, 4, 0, 1): "nsNotifyStart",                # NET-SNMP-AGENT-MIB
    (1, 3, 6, 1, 4, 1, 8072, 4, 0, 2): "nsNotifyShutdown",
    (1, 3, 6, 1, 4, 1, 8072, 4, 0, 3): "nsNotifyRestart",
}
OIDS: Final[Mapping[str, Oid]] = {name: oid for oid, name in NAMES.items()}


def trap_label(oid: Oid) -> str:
    """The name of a known notification, else its numeric OID."""
    return NAMES.get(oid) or format_oid(oid)
