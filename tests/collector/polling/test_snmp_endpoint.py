"""``/snmp?target=&module=&auth=`` on the collector answers as snmp_exporter does: checked
against Debian's prometheus-snmp-exporter (0.21) on the same simulated router and module file,
with the conformance tests' comparison (:mod:`tests.exporters.snmp.compare`)."""

from __future__ import annotations

import dataclasses
import urllib.parse
from pathlib import Path

import pytest

from collector.config import CollectorConfig
from collector.polling.config import SnmpSettings
from exporters.secrets import Secret
from exporters.snmp.config import Auth
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.legacy_layout import to_legacy_layout
from netmon.commands import netmon_modules_path
from tests.collector.helpers import small_inventory
from tests.collector.polling.conftest import (
    AUTH,
    StartDevices,
    collector_app,
    dead_address,
    write_inventory,
)
from tests.exporters.snmp.compare import SELF_PREFIXES, differences
from tests.peers.exposition import Exposition, parse
from tests.peers.snmp import SnmpAgent
from tests.peers.snmp_exporter import auth_021, config_021, module_021, scrape, snmp_exporter

SELF_METRICS = {"snmp_scrape_walk_duration_seconds", "snmp_scrape_packets_sent",
                "snmp_scrape_packets_retried", "snmp_scrape_pdus_returned",
                "snmp_scrape_duration_seconds"}


def collector_config(tmp_path: Path, *files: Path) -> CollectorConfig:
    return CollectorConfig(inventory=write_inventory(tmp_path / "inv.yml", small_inventory()),
                           snmp=SnmpSettings(files=files))


def query(**params: str | list[str]) -> str:
    return "/snmp?" + urllib.parse.urlencode(params, doseq=True)


def peer_scrapes(config_file: Path, router: SnmpAgent, modules: list[str]) -> Exposition:
    """snmp_exporter 0.21 takes one module a request: one scrape per module, merged."""
    merged = Exposition()
    with snmp_exporter(config_file) as peer:
        for module in modules:
            text = scrape(peer.port, router.target, module)
            exposition = parse(text)
            merged.values.update(exposition.values)
            merged.types.update(exposition.types)
            merged.helps.update(exposition.helps)
    return merged


@pytest.mark.peers
async def test_if_mib_answers_as_snmp_exporter_does(tmp_path: Path,
                                                    ward_router: SnmpAgent) -> None:
    """snmp_exporter 0.21's own if_mib (legacy layout, its auth inside the module): the same
    file for both, no ``auth=``."""
    config_file = config_021(tmp_path / "snmp.yml",
                             {"if_mib": module_021("if_mib") | auth_021(ward_router)})
    peer = peer_scrapes(config_file, ward_router, ["if_mib"])
    async with collector_app(collector_config(tmp_path, config_file)) as client:
        response = await client.get(query(target=ward_router.target, module="if_mib"))
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        ours = parse(await response.text())
    assert len([k for k in peer.values if not k[0].startswith(SELF_PREFIXES)]) > 850
    assert differences(ours, peer) == []
    assert ours.names() >= SELF_METRICS
    assert ours.series("snmp_scrape_pdus_returned") == {
        frozenset({("module", "if_mib")}): peer.series("snmp_scrape_pdus_returned")[
            frozenset()]}                                     # 961, both
    assert not [k for k in ours.values if k[0].startswith("netmon_exporter")]


@pytest.mark.peers
async def test_several_modules_with_netmon_s_module_file(tmp_path: Path,
                                                         ward_router: SnmpAgent) -> None:
    """netmon's own module file, with an auth by name; ``module`` repeated and comma
    separated in one request is what snmp_exporter gives module by module."""
    modules = ["system", "if_mib", "entity_sensor"]
    auths = tmp_path / "auths.yml"
    auths.write_text(f"auths:\n  {AUTH}:\n    community: {ward_router.community}\n"
                     "    version: 2\nmodules: {}\n", encoding="utf-8")
    auths.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    config = load_snmp_config([netmon_modules_path()])
    legacy = dataclasses.replace(config, auths={**config.auths, AUTH: Auth(
        AUTH, community=Secret(ward_router.community))})
    legacy_file = tmp_path / "netmon-0.21.yml"
    legacy_file.write_text(to_legacy_layout(legacy, AUTH, modules), encoding="utf-8")
    peer = peer_scrapes(legacy_file, ward_router, modules)
    async with collector_app(collector_config(tmp_path, netmon_modules_path(), auths)) as client:
        response = await client.get(query(target=ward_router.target, auth=AUTH,
                                          module=["system,if_mib", "entity_sensor", "system"]))
        assert response.status == 200, await response.text()
        ours = parse(await response.text())
    assert differences(ours, peer) == []
    assert {dict(k)["module"] for k in ours.series("snmp_scrape_duration_seconds")} == set(
        modules)


async def test_parameters_and_errors_as_snmp_exporter_words_them(
        tmp_path: Path, snmp_files: tuple[Path, ...], simulated: StartDevices) -> None:
    (router,) = await simulated(1)
    target = f"127.0.0.1:{router.port}"
    async with collector_app(collector_config(tmp_path, *snmp_files)) as client:
        async def answer(path: str, **headers: str) -> tuple[int, str]:
            response = await client.get(path, headers=headers)
            return response.status, await response.text()

        assert await answer(query(module="if_mib")) == (
            400, "'target' parameter must be specified once\n")
        assert (await answer(query(target=[target, target])))[0] == 400
        assert await answer(query(target=target, auth=[AUTH, AUTH])) == (
            400, "'auth' parameter must only be specified once\n")
        assert await answer(query(target=target, auth="nope")) == (400, "Unknown auth 'nope'\n")
        assert await answer(query(target=target, module="if_mib,ifmib", auth=AUTH)) == (
            400, "Unknown module 'ifmib'\n")
        # default module if_mib
        status, text = await answer(query(target=target, auth=AUTH))
        assert status == 200 and 'snmp_scrape_pdus_returned{module="if_mib"} 960' in text
        # a dead target: 500, cut at Prometheus's scrape timeout less the offset
        status, text = await answer(query(target=dead_address(), auth=AUTH, module="system"),
                                    **{"X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
        assert status == 500
        assert text.startswith("An error has occurred while serving metrics:\n\n")
        assert "snmp_error" in text and "kind=deadline" in text and "(1s)" in text
        metrics = parse(await (await client.get("/metrics")).text())
        requests = {dict(k)["result"]: v for k, v in
                    metrics.series("netmon_collector_snmp_requests_total").items()}
        assert requests == {"success": 1.0, "failure": 1.0, "bad_request": 5.0}


#: What the demo's collector.yml needs for /snmp to reach the demo's routers (each has its
#: own community, an auth of snmp-auths.yml): netmon/demo/setup.py should write it.
DEMO_SNMP = "snmp:\n  files: [{modules}, snmp-auths.yml]\n"


@pytest.mark.peers
async def test_the_demo_s_collector_serves_snmp(tmp_path: Path) -> None:
    from collector.config_load import load_config
    from netmon.demo.setup import prepare, write_agent_configs
    from netmon.demo.simulator import simulated_router

    files = prepare(tmp_path / "demo", wards=2, interval=15.0, listen="127.0.0.1:0")
    text = files.collector_config.read_text(encoding="utf-8")
    if "snmp:" not in text:
        files.collector_config.write_text(
            text + DEMO_SNMP.format(modules=f'"{netmon_modules_path()}"'), encoding="utf-8")
    router = files.ward_agents[0].router
    with simulated_router(router.community, files.wan_dir, tmp_path / "cache") as wan:
        write_agent_configs(files, wan.port)
        async with collector_app(load_config(files.collector_config)) as client:
            response = await client.get(query(target=wan.target, module="system,if_mib",
                                              auth=router.community))
            text = await response.text()
    assert response.status == 200, text
    assert f'sysName{{sysName="{router.sys_name}"}} 1' in text
    assert router.ward in text and 'ifHCInOctets{ifAlias="WAN chính' in text
