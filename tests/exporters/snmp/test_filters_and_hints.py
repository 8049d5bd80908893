"""snmp_exporter's dynamic filters (against the simulated router) and RFC 2579 display hints."""

from __future__ import annotations

import re

import pytest

from exporters.exposition import render
from exporters.secrets import Secret
from exporters.snmp.client import SnmpStack
from exporters.snmp.config import (
    Auth,
    DynamicFilter,
    Index,
    MetricSpec,
    Module,
    SnmpConfig,
)
from exporters.snmp.display_hint import apply_display_hint
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig
from tests.peers.exposition import parse
from tests.peers.snmp import SnmpAgent, netsnmp

IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"


@pytest.mark.peers
async def test_dynamic_filter_polls_only_the_matching_rows(ward_router: SnmpAgent) -> None:
    """Walk ifOperStatus, keep the interfaces that are up, GET only their ifHCInOctets."""
    module = Module(
        "up_only", walk=(IF_HC_IN_OCTETS,),
        filters=(DynamicFilter(IF_OPER_STATUS, (IF_HC_IN_OCTETS,), (re.compile("^1$"),)),),
        metrics=(MetricSpec("ifHCInOctets", IF_HC_IN_OCTETS, "counter", "In.",
                            indexes=(Index("ifIndex", "gauge"),)),))
    config = SnmpConfig({"a": Auth("a", community=Secret(ward_router.community))},
                        {"up_only": module}, ("test",))
    stack = SnmpStack()
    try:
        families = await SnmpExporter(SnmpTargetConfig(ward_router.target, ("up_only",), "a"),
                                      config, stack).collect()
    finally:
        stack.close()
    got = {dict(labels)["ifIndex"] for labels in parse(render(families)).series("ifHCInOctets")}
    walk = netsnmp("snmpwalk", ward_router, IF_OPER_STATUS, options=["-Oq"])
    up = {line.split()[0].rsplit(".", 1)[1] for line in walk.stdout.splitlines()
          if line.split()[1] == "1"}
    assert up, walk.stdout
    assert got == up
    assert len(got) < 24  # the filter did filter


@pytest.mark.parametrize(("hint", "data", "text"), [
    ("1d.1d.1d.1d", bytes([192, 168, 1, 1]), "192.168.1.1"),
    ("1x:", bytes([0, 26, 43, 60, 77, 94]), "00:1A:2B:3C:4D:5E"),
    ("255a", b"Hello", "Hello"),
    ("2d-1d-1d,1d:1d:1d.1d", bytes([7, 234, 11, 27, 18, 30, 5, 0]), "2026-11-27,18:30:5.0"),
    ("*1x:/", bytes([2, 0xAB, 0xCD, 0xEF]), "AB:CD/"),  # 0xEF: a repeat count, no data
    ("1o", bytes([8]), "10"),
    ("255t", "Hà Nội".encode(), "Hà Nội"),
])
def test_display_hints(hint: str, data: bytes, text: str) -> None:
    assert apply_display_hint(hint, data) == text


@pytest.mark.parametrize("hint", ["", "x", "1q", "*", "0a"])
def test_bad_display_hints_fall_back(hint: str) -> None:
    assert apply_display_hint(hint, b"ab") is None
