"""The SNMP peers themselves, checked with other real programs: net-snmp's CLI against the
simulated ward router (snmpsim) and snmpd, and Debian's snmp_exporter 0.21 against the router.

What the router answers to snmp_exporter's ``if_mib`` module (walk 1.3.6.1.2.1.2 and
1.3.6.1.2.1.31.1.1, get sysUpTime.0): 961 values, of these types

    Counter32 360, Counter64 192, INTEGER 168, OCTET STRING 96 (18 of them empty),
    Gauge32 72, TimeTicks 49 (48 + sysUpTime), OBJECT IDENTIFIER 24

(ifConnectorPresent has 23 rows, not 24: the vyatta walk lacks one).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tests.peers.exposition import Exposition, SeriesKey, parse
from tests.peers.snmp import V3_USERS, WARD_ROUTER, SnmpAgent, hex_string, netsnmp
from tests.peers.snmp_exporter import auth_021, config_021, module_021, scrape, snmp_exporter

pytestmark = pytest.mark.peers

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"
ENT_PHYSICAL_CLASS = "1.3.6.1.2.1.47.1.1.1.1.5"
ENT_PHY_SENSOR_TYPE = "1.3.6.1.2.1.99.1.1.1.1"

WARD_ROUTER_NAME = "hn-bd-phucxa-r1"
WARD_ROUTER_LOCATION = "Phường Phúc Xá, Quận Ba Đình, Hà Nội"
INTERFACES = ["lo", "mgt", "eth0", "eth1", "eth2", "eth3", "eth4", "gre0",
              *(f"vqos{i}" for i in range(16))]
AGENTS = ("ward_router", "snmpd")
EXPECTED_SYS_NAME = {"ward_router": WARD_ROUTER_NAME, "snmpd": "hn-dc-giangvo-mon1"}

_VARBIND = re.compile(r"^\.(\d+(?:\.\d+)*) = (?:([A-Za-z0-9 -]+?): )?(.*)$")


def varbinds(output: str) -> list[tuple[str, str, str]]:
    """(oid, type, value) from net-snmp ``-On`` output; wrapped hex lines are joined,
    endOfMibView markers dropped."""
    out: list[tuple[str, str, str]] = []
    for line in output.splitlines():
        if line.endswith("(It is past the end of the MIB tree)"):
            continue
        m = _VARBIND.match(line)
        if m is None:
            oid, typ, value = out.pop()
            out.append((oid, typ, f"{value}\n{line}"))
            continue
        oid, typ, value = m.group(1), m.group(2), m.group(3)
        if typ is None:  # an empty string prints as  = ""
            typ = "STRING"
        out.append((oid, typ, value))
    return out


def oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.split("."))


def get_int(agent: SnmpAgent, oid: str) -> int:
    proc = netsnmp("snmpget", agent, oid, options=["-Oqv"])
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)


# --- the simulated ward router over v2c ----------------------------------------------------


def test_ward_router_walk_gives_24_interfaces(ward_router: SnmpAgent) -> None:
    proc = netsnmp("snmpwalk", ward_router, IF_DESCR, options=["-Oqv"])
    assert proc.returncode == 0, proc.stderr
    assert [line.strip('"') for line in proc.stdout.splitlines()] == INTERFACES


def test_ward_router_names_itself_in_vietnamese(ward_router: SnmpAgent) -> None:
    proc = netsnmp("snmpget", ward_router, SYS_LOCATION, options=["-Oqv", "-Ox"])
    assert proc.returncode == 0, proc.stderr
    assert hex_string(proc.stdout).decode("utf-8") == WARD_ROUTER_LOCATION
    proc = netsnmp("snmpget", ward_router, SYS_NAME, options=["-Oqv"])
    assert proc.stdout.strip() == f'"{WARD_ROUTER_NAME}"'


def test_ward_router_serves_every_record_in_oid_order(ward_router: SnmpAgent) -> None:
    records = [line.split("|", 1)[0] for line in WARD_ROUTER.read_text("ascii").splitlines()
               if line and not line.startswith("#")]
    assert records == sorted(records, key=oid_key), "snmpsim needs records sorted by OID"
    # snmpbulkwalk itself fails on an OID that does not increase.
    proc = netsnmp("snmpbulkwalk", ward_router, "1.3.6.1", options=["-Cr50"])
    assert proc.returncode == 0, proc.stderr
    assert [oid for oid, _, _ in varbinds(proc.stdout)] == records


def test_if_mib_subtrees_give_961_values(ward_router: SnmpAgent) -> None:
    found: list[tuple[str, str, str]] = []
    for subtree in ("1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"):
        proc = netsnmp("snmpbulkwalk", ward_router, subtree, options=["-Cr25"])
        assert proc.returncode == 0, proc.stderr
        found += varbinds(proc.stdout)
    proc = netsnmp("snmpget", ward_router, SYS_UPTIME)
    found += varbinds(proc.stdout)
    types = Counter("OCTET STRING" if typ in ("STRING", "Hex-STRING") else typ
                    for _, typ, _ in found)
    assert types == {"Counter32": 360, "Counter64": 192, "INTEGER": 168, "OCTET STRING": 96,
                     "Gauge32": 72, "Timeticks": 49, "OID": 24}
    assert len(found) == 961


def test_ward_router_has_entity_sensors(ward_router: SnmpAgent) -> None:
    classes = {oid.rsplit(".", 1)[1]: int(value) for oid, _, value in
               varbinds(netsnmp("snmpwalk", ward_router, ENT_PHYSICAL_CLASS).stdout)}
    sensors = {oid.rsplit(".", 1)[1]: int(value) for oid, _, value in
               varbinds(netsnmp("snmpwalk", ward_router, ENT_PHY_SENSOR_TYPE).stdout)}
    assert classes["1"] == 3  # chassis
    assert len(sensors) == 11
    assert {classes[index] for index in sensors} == {8}  # every sensor is a sensor(8) entity


def test_static_counters_read_identically(ward_router: SnmpAgent) -> None:
    first = get_int(ward_router, f"{IF_HC_IN_OCTETS}.4")
    time.sleep(1.1)
    assert get_int(ward_router, f"{IF_HC_IN_OCTETS}.4") == first == 34540151657


def test_live_counters_grow(ward_router: SnmpAgent) -> None:
    live = replace(ward_router, community="ward-router-live")
    start, first = time.monotonic(), get_int(live, f"{IF_HC_IN_OCTETS}.4")
    time.sleep(1.0)
    second, elapsed = get_int(live, f"{IF_HC_IN_OCTETS}.4"), time.monotonic() - start
    assert 0.5 * 1_500_000 < (second - first) / elapsed < 1.5 * 1_500_000  # 1.5 MB/s
    assert get_int(live, f"{IF_HC_IN_OCTETS}.2") == 0  # a link that is down stays still
    assert 0 <= get_int(live, f"{IF_OUT_OCTETS}.5") < 2**32  # a Counter32 wraps


# --- SNMPv3 on both agents -------------------------------------------------------------------


@pytest.mark.parametrize("user_name", [user.name for user in V3_USERS])
@pytest.mark.parametrize("agent_name", AGENTS)
def test_v3_authpriv_user_reads(request: pytest.FixtureRequest, agent_name: str,
                                user_name: str) -> None:
    agent: SnmpAgent = request.getfixturevalue(agent_name)
    proc = netsnmp("snmpget", agent, SYS_NAME, user=agent.v3_user(user_name), options=["-Oqv"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f'"{EXPECTED_SYS_NAME[agent_name]}"'


@pytest.mark.parametrize("agent_name", AGENTS)
def test_v3_wrong_credentials_fail(request: pytest.FixtureRequest, agent_name: str) -> None:
    agent: SnmpAgent = request.getfixturevalue(agent_name)
    user = agent.v3_user("netmon-sha-aes256")
    wrong_auth = netsnmp("snmpget", agent, SYS_NAME, timeout=1, retries=0,
                         user=replace(user, auth_password="not-the-password"))
    assert wrong_auth.returncode != 0
    assert "Authentication failure" in wrong_auth.stderr
    for wrong in (replace(user, priv_password="not-the-password"),
                  replace(user, priv_protocol="AES256C")):  # Reeder instead of Blumenthal
        proc = netsnmp("snmpget", agent, SYS_NAME, user=wrong, timeout=1, retries=0)
        assert proc.returncode != 0
        assert WARD_ROUTER_NAME not in proc.stdout


def test_snmpsim_v3_needs_the_context_name(ward_router: SnmpAgent) -> None:
    no_context = replace(ward_router, context_name="")
    proc = netsnmp("snmpget", no_context, SYS_NAME, user=V3_USERS[0], timeout=1, retries=0)
    assert proc.returncode != 0
    assert "Timeout" in proc.stderr


def test_snmpd_serves_v2c_with_vietnamese_location(snmpd: SnmpAgent) -> None:
    proc = netsnmp("snmpget", snmpd, SYS_LOCATION, options=["-Oqv", "-Ox"])
    assert proc.returncode == 0, proc.stderr
    assert hex_string(proc.stdout).decode("utf-8") == "185 Giảng Võ, Quận Ba Đình, Hà Nội"


# --- snmp_exporter 0.21 against the simulated router -----------------------------------------


def test_snmp_exporter_021_scrapes_if_mib(tmp_path: Path, ward_router: SnmpAgent) -> None:
    if_mib = module_021("if_mib")
    modules = {"if_mib": {**if_mib, **auth_021(ward_router)}}
    for user in V3_USERS:
        modules[f"if_mib_{user.name}"] = {**if_mib, **auth_021(ward_router, user)}
    with snmp_exporter(config_021(tmp_path / "snmp.yml", modules)) as exporter:
        v2c = parse(scrape(exporter.port, ward_router.target, "if_mib"))
        v3 = {user.name: parse(scrape(exporter.port, ward_router.target, f"if_mib_{user.name}"))
              for user in V3_USERS}

    assert v2c.series("snmp_scrape_pdus_returned") == {frozenset(): 961}
    in_octets = {dict(labels)["ifName"]: value
                 for labels, value in v2c.series("ifHCInOctets").items()}
    assert sorted(in_octets) == sorted(INTERFACES)
    assert in_octets["eth1"] == 34540151657
    aliases = {dict(labels)["ifAlias"] for labels in v2c.series("ifHCInOctets")}
    assert "WAN chính - DC 185 Giảng Võ" in aliases

    for name, exposition in v3.items():
        assert _data(exposition) == _data(v2c), f"v3 user {name} reads other values than v2c"


def _data(exposition: Exposition) -> dict[SeriesKey, float]:
    """The device's series, without the exporter's own snmp_scrape_* figures."""
    return {key: value for key, value in exposition.values.items()
            if not key[0].startswith("snmp_scrape_")}
