"""Conformance with snmp_exporter: the same device, the same module, the same series.

Debian's prometheus-snmp-exporter 0.21 and netmon poll the simulated ward router (snmpsim,
static values) with the same module file. The device's series must be identical: the same
metric names with the same HELP and TYPE, the same label sets, the same values.

How values are compared: the router's data is static (no variation module), so every value,
counters included, must be *exactly* equal. (On the live variant counters grow between two
reads, which would only test the clock.) The scrape's self-metrics (``snmp_scrape_*``, and
netmon's ``netmon_*``) describe each poller's own work and are compared by name only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from exporters.exposition import render
from exporters.harness import run_exporter
from exporters.secrets import Secret
from exporters.snmp.client import SnmpStack
from exporters.snmp.config import Auth, SecurityLevel, SnmpConfig
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig
from exporters.snmp.legacy_layout import to_legacy_layout
from netmon.commands import netmon_modules_path
from tests.exporters.snmp.compare import SELF_PREFIXES, differences
from tests.peers.exposition import Exposition, parse
from tests.peers.promtool import check_metrics
from tests.peers.snmp import SnmpAgent
from tests.peers.snmp_exporter import auth_021, config_021, module_021, scrape, snmp_exporter

pytestmark = pytest.mark.peers

NETMON_MODULES = ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor")


def _netmon(config: SnmpConfig, agent: SnmpAgent, modules: tuple[str, ...],
            auth: str = "") -> Exposition:
    async def poll() -> bytes:
        stack = SnmpStack()
        try:
            exporter = SnmpExporter(SnmpTargetConfig(agent.target, modules, auth), config, stack)
            run = await run_exporter(exporter)
            assert run.success, run.error
            return render(run.families)
        finally:
            stack.close()
    exposition = asyncio.run(poll())
    result = parse(exposition)
    result.raw = exposition.decode()
    return result


def _peer(config_file: Path, agent: SnmpAgent, modules: tuple[str, ...]) -> Exposition:
    with snmp_exporter(config_file) as peer:
        merged = Exposition()
        for module in modules:
            text = scrape(peer.port, agent.target, module)
            exposition = parse(text)
            merged.values.update(exposition.values)
            merged.types.update(exposition.types)
            merged.helps.update(exposition.helps)
            merged.raw += text
        return merged


def assert_promtool_like_peer(netmon_text: str, peer_text: str) -> None:
    """promtool parses netmon's exposition and finds nothing it does not also find in
    snmp_exporter's own output for the same module (MIB names are camelCase, counters have
    no _total: that is the compatibility this package exists for)."""
    ours, theirs = check_metrics(netmon_text), check_metrics(peer_text)
    assert ours.parsed, ours.output
    assert theirs.parsed, theirs.output
    new = {line for line in ours.lint - theirs.lint if not line.startswith(SELF_PREFIXES)}
    assert new == set()


def _assert_same(netmon: Exposition, peer: Exposition, at_least: int) -> None:
    device = [k for k in peer.values if not k[0].startswith(SELF_PREFIXES)]
    assert len(device) >= at_least, "the peer returned too little for the test to mean much"
    assert differences(netmon, peer) == []
    assert_promtool_like_peer(netmon.raw, peer.raw)
    assert {"snmp_scrape_pdus_returned", "snmp_scrape_walk_duration_seconds",
            "snmp_scrape_duration_seconds"} <= netmon.names()


def test_if_mib_of_snmp_exporter_v2c(ward_router: SnmpAgent, tmp_path: Path) -> None:
    config_file = config_021(tmp_path / "snmp.yml",
                             {"if_mib": module_021("if_mib") | auth_021(ward_router)})
    peer = _peer(config_file, ward_router, ("if_mib",))
    netmon = _netmon(load_snmp_config([config_file]), ward_router, ("if_mib",))
    _assert_same(netmon, peer, at_least=850)
    pdus = netmon.series("snmp_scrape_pdus_returned")
    assert list(pdus.values()) == [961.0]


def test_if_mib_of_snmp_exporter_v3_auth_priv(ward_router: SnmpAgent, tmp_path: Path) -> None:
    user = ward_router.v3_user("netmon-sha512-aes256")
    config_file = config_021(tmp_path / "snmp.yml",
                             {"if_mib": module_021("if_mib") | auth_021(ward_router, user)})
    peer = _peer(config_file, ward_router, ("if_mib",))
    netmon = _netmon(load_snmp_config([config_file]), ward_router, ("if_mib",))
    _assert_same(netmon, peer, at_least=850)


def _netmon_config_for(agent: SnmpAgent) -> SnmpConfig:
    config = load_snmp_config([netmon_modules_path()])
    auth = Auth("conformance", version=2, community=Secret(agent.community))
    return dataclasses.replace(config, auths={**config.auths, "conformance": auth})


@pytest.mark.parametrize("module", NETMON_MODULES)
def test_netmon_module_file_in_the_older_layout(ward_router: SnmpAgent, tmp_path: Path,
                                                module: str) -> None:
    config = _netmon_config_for(ward_router)
    config_file = tmp_path / "netmon-0.21.yml"
    config_file.write_text(to_legacy_layout(config, "conformance", [module]), encoding="utf-8")
    peer = _peer(config_file, ward_router, (module,))
    netmon = _netmon(config, ward_router, (module,), auth="conformance")
    _assert_same(netmon, peer, at_least=3)


def test_v3_against_snmpd(snmpd: SnmpAgent, tmp_path: Path) -> None:
    """A second, independent agent (net-snmp), over SNMPv3 with SHA-512/AES-256, with
    netmon's own ``system`` module."""
    user = snmpd.v3_user("netmon-sha512-aes256")
    config = load_snmp_config([netmon_modules_path()])
    auth = Auth("conformance-v3", version=3, security_level=SecurityLevel.AUTH_PRIV,
                username=user.name, password=Secret(user.auth_password),
                auth_protocol=user.auth_protocol, priv_protocol=user.priv_protocol,
                priv_password=Secret(user.priv_password))
    config = dataclasses.replace(config, auths={**config.auths, auth.name: auth})
    config_file = tmp_path / "system-0.21.yml"
    config_file.write_text(to_legacy_layout(config, auth.name, ["system"]), encoding="utf-8")
    peer = _peer(config_file, snmpd, ("system",))
    netmon = _netmon(config, snmpd, ("system",), auth=auth.name)
    device = {k: v for k, v in netmon.values.items() if not k[0].startswith(SELF_PREFIXES)}
    assert ("sysName", frozenset({("sysName", "hn-dc-giangvo-mon1")})) in device
    # sysUpTime moves between the two reads; everything else is fixed.
    moving = {k for k in device if k[0] == "sysUpTime"}
    assert moving, "snmpd returned no sysUpTime"
    for key in moving:
        assert abs(device[key] - peer.values[key]) < 500  # hundredths of a second
        netmon.values[key] = peer.values[key]
    assert differences(netmon, peer) == []


def test_cli_prints_what_snmp_exporter_prints(ward_router: SnmpAgent, tmp_path: Path) -> None:
    config_file = config_021(tmp_path / "snmp.yml",
                             {"if_mib": module_021("if_mib") | auth_021(ward_router)})
    proc = subprocess.run(
        [sys.executable, "-m", "netmon", "snmp", "--config", str(config_file),
         "--module", "if_mib", ward_router.target],
        capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    peer = _peer(config_file, ward_router, ("if_mib",))
    assert differences(parse(proc.stdout), peer) == []
    assert_promtool_like_peer(proc.stdout.decode(), peer.raw)


def test_the_comparison_catches_a_wrong_name_label_value_or_type(
        ward_router: SnmpAgent, tmp_path: Path) -> None:
    config_file = config_021(tmp_path / "snmp.yml",
                             {"if_mib": module_021("if_mib") | auth_021(ward_router)})
    peer = _peer(config_file, ward_router, ("if_mib",))
    render_text = _netmon_text(load_snmp_config([config_file]), ward_router)
    assert differences(parse(render_text), peer) == []
    renamed = render_text.replace("ifHCInOctets{", "ifHcInOctets{")
    relabelled = render_text.replace('ifName="eth1"', 'ifname="eth1"')
    revalued = render_text.replace('ifMtu{ifAlias="lo",ifDescr="lo",ifIndex="1",ifName="lo"} ',
                                   'ifMtu{ifAlias="lo",ifDescr="lo",ifIndex="1",ifName="lo"} 1')
    retyped = render_text.replace("# TYPE ifHCInOctets counter", "# TYPE ifHCInOctets gauge")
    for broken in (renamed, relabelled, revalued, retyped):
        assert broken != render_text
        assert differences(parse(broken), peer) != []


def _netmon_text(config: SnmpConfig, agent: SnmpAgent) -> str:
    async def poll() -> bytes:
        stack = SnmpStack()
        try:
            exporter = SnmpExporter(SnmpTargetConfig(agent.target, ("if_mib",)), config, stack)
            return render(await exporter.collect())
        finally:
            stack.close()
    return asyncio.run(poll()).decode()


def test_security_level_is_parsed_from_the_older_layout(ward_router: SnmpAgent,
                                                        tmp_path: Path) -> None:
    user = ward_router.v3_user("netmon-sha-aes256c")
    config_file = config_021(tmp_path / "snmp.yml",
                             {"if_mib": module_021("if_mib") | auth_021(ward_router, user)})
    module = load_snmp_config([config_file]).modules["if_mib"]
    assert module.auth is not None
    assert module.auth.security_level is SecurityLevel.AUTH_PRIV
    assert module.auth.priv_protocol == "AES256C"
