"""Captured outputs through netmon's Cisco IOS mapping, with no SSH: every table's template
and metrics, the refusal patterns, and a golden exposition of the whole ward router.

Regenerate the golden file after a deliberate mapping change with
``python -m tests.exporters.cli.test_parse`` and review the diff.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from exporters.cli.config_check import ConfigChangeTracker
from exporters.cli.errors import CliParseError
from exporters.cli.run import DeviceRun, evaluate
from exporters.cli.session import CommandOutput, SessionRun
from exporters.exposition import render
from tests.exporters.cli.conftest import shipped_mapping, value
from tests.exporters.cli.fakenos_peer import DATA, WARD_ROUTER, data
from tests.peers.exposition import Exposition, parse

GOLDEN = DATA / "ward-router.prom"
DEVICE = "hn-bd-phucxa-r1"
CHANGED_AT = 1_710_384_000.0


def run_outputs(outputs: dict[str, str]) -> DeviceRun:
    mapping = shipped_mapping()
    session = SessionRun(tuple(CommandOutput(c, outputs[c], None, 0.25)
                               for c in mapping.commands), None, True)
    return evaluate(DEVICE, mapping, session, ConfigChangeTracker(DEVICE,
                                                                  clock=lambda: CHANGED_AT))


def ward_router() -> tuple[DeviceRun, Exposition]:
    run = run_outputs({command: data(name) for command, name in WARD_ROUTER.items()})
    return run, parse(render(run.families))


def test_every_command_of_the_ward_router_parses_without_loss() -> None:
    run, _ = ward_router()
    assert [(r.command, r.success, r.errors, r.unparsable) for r in run.commands] == [
        (command, True, (), 0) for command in shipped_mapping().commands]


def test_interfaces_state_and_counters() -> None:
    _, expo = ward_router()
    wan = {"device": DEVICE, "interface": "GigabitEthernet0/0/0"}
    spare = {"device": DEVICE, "interface": "GigabitEthernet0/0/2"}
    mgmt = {"device": DEVICE, "interface": "GigabitEthernet0"}
    assert value(expo, "netmon_cli_interface_admin_up", **wan) == 1
    assert value(expo, "netmon_cli_interface_link_up", **wan) == 1
    assert value(expo, "netmon_cli_interface_protocol_up", **wan) == 1
    assert value(expo, "netmon_cli_interface_admin_up", **spare) == 0
    assert value(expo, "netmon_cli_interface_link_up", **spare) == 0
    assert value(expo, "netmon_cli_interface_admin_up", **mgmt) == 1
    assert value(expo, "netmon_cli_interface_protocol_up", **mgmt) == 0
    assert value(expo, "netmon_cli_interface_receive_bytes_total", **wan) == 51843302846177
    assert value(expo, "netmon_cli_interface_transmit_bytes_total", **wan) == 14399102744210
    assert value(expo, "netmon_cli_interface_receive_packets_total", **wan) == 48213377120
    assert value(expo, "netmon_cli_interface_receive_crc_errors_total", **wan) == 17
    assert value(expo, "netmon_cli_interface_transmit_drops_total", **wan) == 112
    assert value(expo, "netmon_cli_interface_mtu_bytes", device=DEVICE,
                 interface="Tunnel100") == 9976
    assert len(expo.series("netmon_cli_interface_admin_up")) == 6
    assert expo.types["netmon_cli_interface_receive_bytes_total"] == "counter"


def test_ip_sla_statistics() -> None:
    _, expo = ward_router()
    assert value(expo, "netmon_cli_ip_sla_success", device=DEVICE, sla="10") == 1
    assert value(expo, "netmon_cli_ip_sla_success", device=DEVICE, sla="20") == 0
    assert value(expo, "netmon_cli_ip_sla_rtt_seconds", device=DEVICE, sla="10") == 0.004
    # "Latest RTT: NoConnection/Busy/Timeout": no RTT rather than a made-up one.
    assert ("netmon_cli_ip_sla_rtt_seconds",
            frozenset({("device", DEVICE), ("sla", "20")})) not in expo.values
    assert value(expo, "netmon_cli_ip_sla_failures_total", device=DEVICE, sla="20") == 38
    assert value(expo, "netmon_cli_ip_sla_rtt_average_seconds", device=DEVICE, sla="30") == 0.007
    assert value(expo, "netmon_cli_ip_sla_jitter_average_seconds", device=DEVICE, sla="30",
                 direction="destination_to_source") == 0.002
    assert value(expo, "netmon_cli_ip_sla_packets_lost", device=DEVICE, sla="30",
                 direction="destination_to_source") == 1


def test_microsecond_precision_is_read_in_its_unit() -> None:
    text = data("show_ip_sla_statistics.txt").replace("Latest RTT: 4 milliseconds",
                                                      "Latest RTT: 523 microseconds")
    expo = parse(render(run_outputs({**{c: data(n) for c, n in WARD_ROUTER.items()},
                                     "show ip sla statistics": text}).families))
    assert value(expo, "netmon_cli_ip_sla_rtt_seconds", device=DEVICE, sla="10") == 0.000523


def test_bgp_summary() -> None:
    _, expo = ward_router()
    up = {"device": DEVICE, "neighbor": "172.16.100.1", "remote_as": "65000"}
    idle = {"device": DEVICE, "neighbor": "172.16.200.1", "remote_as": "65000"}
    assert value(expo, "netmon_cli_bgp_peer_established", **up) == 1
    assert value(expo, "netmon_cli_bgp_peer_established", **idle) == 0
    assert value(expo, "netmon_cli_bgp_peer_prefixes_received", **up) == 12
    assert ("netmon_cli_bgp_peer_prefixes_received", frozenset(idle.items())) not in expo.values
    assert value(expo, "netmon_cli_bgp_peer_messages_received_total", **up) == 331871


def test_transceiver_and_environment() -> None:
    _, expo = ward_router()
    sfp = {"device": DEVICE, "interface": "Gi1/1/2"}
    assert value(expo, "netmon_cli_transceiver_rx_power_dbm", **sfp) == -24.1
    assert value(expo, "netmon_cli_transceiver_bias_current_amperes", **sfp) == 0.0058
    assert value(expo, "netmon_cli_transceiver_temperature_celsius", **sfp) == 31.9
    assert value(expo, "netmon_cli_environment_temperature_celsius", device=DEVICE, switch="2",
                 sensor="inlet") == 47
    assert value(expo, "netmon_cli_environment_temperature_state", device=DEVICE, switch="2",
                 sensor="inlet") == 1
    assert value(expo, "netmon_cli_environment_temperature_red_threshold_celsius",
                 device=DEVICE, switch="1", sensor="hotspot") == 125
    assert value(expo, "netmon_cli_environment_power_supply_ok", device=DEVICE,
                 power_supply="2B") == 0
    assert value(expo, "netmon_cli_environment_power_supply_ok", device=DEVICE,
                 power_supply="1A") == 1
    assert len(expo.series("netmon_cli_environment_power_supply_ok")) == 3  # 1B: not present


def test_config_check_reports_time_and_count_never_the_config() -> None:
    run, expo = ward_router()
    assert value(expo, "netmon_cli_config_last_change_timestamp_seconds",
                 device=DEVICE) == CHANGED_AT
    assert value(expo, "netmon_cli_config_changes_total", device=DEVICE) == 0
    text = render(run.families).decode()
    for secret_line in ("Ph0cX4-r0", "0822455D0A165445415F59", "$9$"):
        assert secret_line not in text


def test_a_refused_command_is_invalid_command_and_costs_only_itself() -> None:
    outputs = {c: data(n) for c, n in WARD_ROUTER.items()}
    outputs["show ip sla statistics"] = data("show_ip_sla_statistics_refused.txt")
    run = run_outputs(outputs)
    failed = {r.command: [e.kind for e in r.errors] for r in run.commands if not r.success}
    assert failed == {"show ip sla statistics": ["invalid_command"]}
    assert not any(f.name.startswith("netmon_cli_ip_sla") for f in run.families)
    assert any(f.name == "netmon_cli_bgp_peer_established" for f in run.families)


def test_bgp_not_active_is_no_peers_not_an_error() -> None:
    outputs = {c: data(n) for c, n in WARD_ROUTER.items()}
    outputs["show ip bgp summary"] = data("show_ip_bgp_summary_not_active.txt")
    run = run_outputs(outputs)
    assert all(r.success for r in run.commands)
    assert not any(f.name.startswith("netmon_cli_bgp") for f in run.families)


def test_template_rejection_is_a_parse_error_of_that_table_only() -> None:
    outputs = {c: data(n) for c, n in WARD_ROUTER.items()}
    outputs["show interface transceiver"] = data("show_interface_transceiver_drift.txt")
    run = run_outputs(outputs)
    failed = {r.command: [e.kind for e in r.errors] for r in run.commands if not r.success}
    assert failed == {"show interface transceiver": ["parse"]}
    message = str(run.commands[3].errors[0])
    assert "device=hn-bd-phucxa-r1" in message and "Rule Line" in message
    assert "Gi1/1/1" not in message  # TextFSM quotes the line; netmon does not


def test_no_interface_row_from_an_output_is_a_parse_error() -> None:
    table = next(t for t in shipped_mapping().tables if t.name == "interfaces")
    assert table.require_rows
    outputs = {c: data(n) for c, n in WARD_ROUTER.items()}
    outputs["show interfaces"] = "Interface status unavailable\n"
    run = run_outputs(outputs)
    assert [e.kind for e in run.commands[0].errors] == ["parse", "parse"]


def test_template_parse_raises_cli_parse_error() -> None:
    table = next(t for t in shipped_mapping().tables if t.name == "transceiver")
    with pytest.raises(CliParseError) as caught:
        table.template.parse(data("show_interface_transceiver_drift.txt"))
    assert caught.value.kind == "parse"


def test_every_value_is_finite() -> None:
    _, expo = ward_router()
    assert all(math.isfinite(v) for v in expo.values.values())


def test_golden_exposition() -> None:
    run, _ = ward_router()
    assert render(run.families).decode() == GOLDEN.read_text(encoding="utf-8")


def write_golden(path: Path = GOLDEN) -> None:
    run, _ = ward_router()
    path.write_bytes(render(run.families))


if __name__ == "__main__":
    write_golden()
