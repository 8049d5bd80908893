"""The CLI exporter against simulated Cisco IOS routers over real SSH (fakenos on loopback):
every mapping, every failure mode, the config-change check across sessions, and secrets.

One fakenos process serves every host of this module; the failure-mode devices run once,
concurrently, in one pool of ten threads (as an agent runs them), and the tests read that
run's metrics and log records. A healthy router running beside failing ones shows that a
failure costs only its own device.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest
from fakenos.plugins.servers.ssh_server_paramiko import DEFAULT_SSH_KEY

from exporters.cli import CliDeviceConfig, CliExporter, CliPool
from exporters.cli.config_check import ConfigChangeTracker
from exporters.exposition import render
from exporters.harness import ExporterRun, all_families, run_exporters
from tests.exporters.cli.conftest import device, value
from tests.exporters.cli.fakenos_peer import (
    ENABLE_SECRET,
    PASSWORD,
    WARD_ROUTER,
    FakeHost,
    data,
    fakenos_devices,
    outputs,
)
from tests.peers.exposition import Exposition, parse
from tests.peers.process import free_tcp_port

pytestmark = pytest.mark.cli

HERE = Path(__file__).parent
WRONG_SECRET = "En-wrong-7731"
CONFIG_SECRETS = ("Ph0cX4-r0", "0822455D0A165445415F59", "045802150C2E1D1C5A",
                  "$9$vT3k2PzLm8QwE1")


def hosts() -> list[FakeHost]:
    pager_bgp: dict[str, object] = {"output": data("show_ip_bgp_summary.txt").split("\n\n")[0],
                 "help": "a summary that stops at a pager prompt", "new_prompt": "--More-- "}
    return [
        FakeHost("r1", outputs(WARD_ROUTER), enable_secret=ENABLE_SECRET),
        FakeHost("old-image", outputs(
            WARD_ROUTER, show_ip_sla_statistics="show_ip_sla_statistics_refused.txt",
            show_ip_bgp_summary="show_ip_bgp_summary_not_active.txt"),
            enable_secret=ENABLE_SECRET),
        FakeHost("drift", outputs(
            WARD_ROUTER, show_interface_transceiver="show_interface_transceiver_drift.txt"),
            enable_secret=ENABLE_SECRET),
        FakeHost("pager", {**outputs(WARD_ROUTER), "show ip bgp summary": pager_bgp},
                 enable_secret=ENABLE_SECRET),
        FakeHost("shell", nos_file=str(HERE / "nos_unknown_prompt.yml")),
        FakeHost("no-enable", outputs(WARD_ROUTER), enable_secret=WRONG_SECRET),
        FakeHost("cfg-a", outputs({"show running-config": "running_config_v1.txt"})),
        FakeHost("cfg-b", outputs({"show running-config": "running_config_v1_volatile.txt"})),
        FakeHost("cfg-c", outputs({"show running-config": "running_config_v2.txt"})),
    ]


@pytest.fixture(scope="module")
def ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    with fakenos_devices(hosts(), tmp_path_factory.mktemp("fakenos")) as fake:
        yield fake.ports


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Fleet:
    runs: dict[str, ExporterRun]
    expo: Exposition
    text: str
    records: list[logging.LogRecord]

    def lines(self, device: str) -> list[str]:
        return [r.getMessage() for r in self.records
                if r.levelno >= logging.WARNING and f"device={device} " in r.getMessage()]


def known_hosts(path: Path, port: int, key: paramiko.PKey) -> str:
    path.write_text(f"[127.0.0.1]:{port} {key.get_name()} {key.get_base64()}\n")
    return str(path)


def fleet_devices(ports: dict[str, int], tmp: Path) -> list[CliDeviceConfig]:
    gone = free_tcp_port()  # nothing listens there
    fakenos_key = paramiko.RSAKey(file_obj=io.StringIO(DEFAULT_SSH_KEY))
    other_key = paramiko.RSAKey.generate(1024)
    return [
        device("known-host", ports["r1"], checks=("bgp",),
               known_hosts=known_hosts(tmp / "right", ports["r1"], fakenos_key)),
        device("wrong-host-key", ports["r1"], checks=("bgp",),
               known_hosts=known_hosts(tmp / "wrong", ports["r1"], other_key)),
        device("r1", ports["r1"]),
        device("wrong-password", ports["r1"], password="Pw-not-this-one"),
        device("unreachable", gone),
        device("shell", ports["shell"], conn_timeout=1.0),
        device("no-enable", ports["no-enable"], conn_timeout=2.0),
        device("old-image", ports["old-image"], checks=("ip_sla", "bgp", "interfaces")),
        device("drift", ports["drift"], checks=("transceiver", "environment_power")),
        device("pager", ports["pager"], checks=("interfaces", "bgp", "ip_sla"),
               conn_timeout=2.0, read_timeout=2.0),
    ]


@pytest.fixture(scope="module")
def fleet(ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    handler = Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)   # everything netmon, netmiko and paramiko would log
    try:
        with CliPool(10) as pool:
            devices = fleet_devices(ports, tmp_path_factory.mktemp("known_hosts"))
            exporters = [CliExporter(d, pool) for d in devices]
            runs = asyncio.run(run_exporters(exporters, timeout=60))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = render(all_families(runs)).decode()
    yield Fleet({r.exporter.removeprefix("cli:"): r for r in runs}, parse(text), text,
                handler.records)


def errors(fleet: Fleet, device: str) -> dict[tuple[str, str], float]:
    return {(dict(labels)["command"], dict(labels)["kind"]): v
            for labels, v in fleet.expo.series("netmon_cli_errors_total").items()
            if dict(labels)["device"] == device}


def test_a_ward_router_reports_every_mapping(fleet: Fleet) -> None:
    assert fleet.runs["r1"].success
    expo = fleet.expo
    assert value(expo, "netmon_cli_up", device="r1") == 1
    assert errors(fleet, "r1") == {}
    assert value(expo, "netmon_cli_interface_receive_bytes_total", device="r1",
                 interface="GigabitEthernet0/0/0") == 51843302846177
    assert value(expo, "netmon_cli_interface_admin_up", device="r1",
                 interface="GigabitEthernet0/0/2") == 0
    assert value(expo, "netmon_cli_ip_sla_success", device="r1", sla="20") == 0
    assert value(expo, "netmon_cli_ip_sla_rtt_seconds", device="r1", sla="10") == 0.004
    assert value(expo, "netmon_cli_bgp_peer_established", device="r1", neighbor="172.16.100.1",
                 remote_as="65000") == 1
    assert value(expo, "netmon_cli_transceiver_rx_power_dbm", device="r1",
                 interface="Gi1/1/2") == -24.1
    assert value(expo, "netmon_cli_environment_temperature_celsius", device="r1", switch="2",
                 sensor="inlet") == 47
    assert value(expo, "netmon_cli_environment_power_supply_ok", device="r1",
                 power_supply="2B") == 0
    assert value(expo, "netmon_cli_config_changes_total", device="r1") == 0
    assert value(expo, "netmon_cli_unparsable_values", device="r1",
                 command="show interfaces") == 0
    durations = expo.series("netmon_cli_command_duration_seconds")
    assert len([1 for labels in durations if ("device", "r1") in labels]) == 7
    assert fleet.lines("r1") == []


def test_the_captured_outputs_survive_ssh_unchanged(fleet: Fleet) -> None:
    """What netmiko read over SSH maps exactly as the captured files do offline."""
    from tests.exporters.cli.test_parse import ward_router
    offline = ward_router()[1]
    over_ssh = {k: v for k, v in fleet.expo.values.items()
                if ("device", "r1") in k[1] and not k[0].startswith(
                    ("netmon_cli_config", "netmon_cli_command", "netmon_cli_up",
                     "netmon_cli_unparsable", "netmon_cli_errors"))}
    expected = {(name, frozenset({("device", "r1")} | {
        (k, v) for k, v in labels if k != "device"})): v
        for (name, labels), v in offline.values.items()
        if not name.startswith("netmon_cli_config")}
    assert over_ssh == expected


@pytest.mark.parametrize(("name", "kind", "fragment"), [
    ("wrong-password", "auth", "authentication failed for user 'netmon'"),
    ("unreachable", "unreachable", "no TCP connection within 3s"),
    ("shell", "prompt", "no prompt netmiko knows for cisco_ios"),
    ("no-enable", "enable", "did not enter privileged mode"),
    ("wrong-host-key", "ssh", "SSH handshake failed (BadHostKeyException: "),
])
def test_a_login_failure_is_its_kind_one_line_and_no_data(fleet: Fleet, name: str, kind: str,
                                                          fragment: str) -> None:
    run = fleet.runs[name]
    assert not run.success
    assert value(fleet.expo, "netmon_exporter_success", exporter=f"cli:{name}") == 0
    assert value(fleet.expo, "netmon_cli_up", device=name) == 0
    assert errors(fleet, name) == {("", kind): 1}
    lines = fleet.lines(name)
    assert len(lines) == 1, lines
    assert fragment in lines[0] and f"exporter=cli:{name}" in lines[0]
    mapped = [k for k in fleet.expo.values if ("device", name) in k[1]
              and not k[0].startswith(("netmon_cli_up", "netmon_cli_command",
                                       "netmon_cli_errors"))]
    assert mapped == []


def test_a_known_host_key_is_accepted(fleet: Fleet) -> None:
    assert fleet.runs["known-host"].success
    assert value(fleet.expo, "netmon_cli_bgp_peer_established", device="known-host",
                 neighbor="172.16.100.1", remote_as="65000") == 1


def test_an_unknown_command_costs_only_that_command(fleet: Fleet) -> None:
    assert fleet.runs["old-image"].success
    assert errors(fleet, "old-image") == {("show ip sla statistics", "invalid_command"): 1}
    assert value(fleet.expo, "netmon_cli_command_success", device="old-image",
                 command="show ip bgp summary") == 1   # "% BGP not active": no peers
    assert value(fleet.expo, "netmon_cli_interface_link_up", device="old-image",
                 interface="GigabitEthernet0/0/0") == 1
    [line] = fleet.lines("old-image")
    assert "kind=invalid_command" in line and "command='show ip sla statistics'" in line


def test_a_template_parse_failure_costs_only_that_table(fleet: Fleet) -> None:
    assert errors(fleet, "drift") == {("show interface transceiver", "parse"): 1}
    assert value(fleet.expo, "netmon_cli_command_success", device="drift",
                 command="show environment power all") == 1
    assert not fleet.expo.series("netmon_cli_transceiver_rx_power_dbm").keys() & {
        frozenset({("device", "drift"), ("interface", "Gi1/1/1")})}
    [line] = fleet.lines("drift")
    assert "kind=parse" in line and "table=transceiver" in line


def test_an_unexpected_prompt_mid_session_times_out_and_the_rest_run(fleet: Fleet) -> None:
    """``show ip bgp summary`` leaves the device at a ``--More--`` prompt: the command times
    out, the session is dropped, and the next command runs on a fresh one."""
    assert fleet.runs["pager"].success
    assert errors(fleet, "pager") == {("show ip bgp summary", "timeout"): 1}
    assert value(fleet.expo, "netmon_cli_command_success", device="pager",
                 command="show ip sla statistics") == 1
    assert value(fleet.expo, "netmon_cli_ip_sla_success", device="pager", sla="10") == 1
    assert 2 <= value(fleet.expo, "netmon_cli_command_duration_seconds", device="pager",
                      command="show ip bgp summary") < 6


def test_secrets_never_reach_a_log_line_or_a_metric(fleet: Fleet) -> None:
    messages = "\n".join(r.getMessage() for r in fleet.records)
    assert "write_channel" in messages or any(r.name.startswith("paramiko")
                                              for r in fleet.records)
    for secret in (PASSWORD, ENABLE_SECRET, WRONG_SECRET, "Pw-not-this-one",
                   *CONFIG_SECRETS):
        assert secret not in messages, secret
        assert secret not in fleet.text, secret
    netmiko_debug = [r for r in fleet.records
                     if r.name.startswith("netmiko") and r.levelno < logging.INFO]
    assert netmiko_debug == []  # the pool keeps netmiko's wire log off


def test_the_config_timestamp_moves_only_on_a_real_change(ports: dict[str, int]) -> None:
    """One device whose running config is read, in turn, from three routers: the same config,
    the same config with new volatile lines, then a real change."""
    clock = iter(range(1_710_000_000, 1_710_001_000, 60))
    tracker = ConfigChangeTracker("hn-bd-phucxa-r1", clock=lambda: float(next(clock)))
    seen = []

    async def check(host: str) -> tuple[float, float]:
        config = device("hn-bd-phucxa-r1", ports[host], checks=("config",), enable=False)
        exporter = CliExporter(config, pool, tracker=tracker)
        expo = parse(render(await exporter.collect()))
        return (value(expo, "netmon_cli_config_last_change_timestamp_seconds",
                      device="hn-bd-phucxa-r1"),
                value(expo, "netmon_cli_config_changes_total", device="hn-bd-phucxa-r1"))

    with CliPool(2) as pool:
        for host in ("cfg-a", "cfg-b", "cfg-a", "cfg-c", "cfg-c"):
            seen.append(asyncio.run(check(host)))
    assert seen == [(1_710_000_000, 0), (1_710_000_000, 0), (1_710_000_000, 0),
                    (1_710_000_060, 1), (1_710_000_060, 1)]
