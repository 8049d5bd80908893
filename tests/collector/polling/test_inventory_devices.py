"""Polled devices in the inventory: the strict loader, the writer, Hanoi's generator."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from collector.errors import ConfigError
from collector.inventory import Device
from collector.inventory_hanoi import PolledDevices, build_hanoi
from collector.inventory_load import load_inventory, parse_inventory
from collector.inventory_write import dump_inventory
from tests.collector.helpers import small_inventory

HEAD = """districts:
  - {code: "001", name: Quận Ba Đình}
  - {code: "006", name: Quận Đống Đa}
sites:
  - {id: "00001", name: Phường Phúc Xá, district: "001", kind: ward}
  - {id: dc-primary, name: Trung tâm dữ liệu chính, district: "006", kind: dc}
data_centres:
  - {name: primary, site: dc-primary}
agents:
  - {id: hn-badinh-phucxa-r1, site: "00001", role: ward-router}
"""


def parse(devices: str) -> list[Device]:
    return list(parse_inventory(HEAD + "devices:\n" + devices, "inv.yml").devices)


def test_a_device_with_every_key_and_one_with_the_defaults() -> None:
    full, short = parse(
        '  - {name: hn-dc-primary-sw1, site: dc-primary, role: dc-switch, address: "10.10.0.2",'
        " modules: [system, if_mib], auth: dc_v3, interval: 30s, timeout: 20, retries: 1,"
        " pollers: [primary]}\n"
        '  - {name: hn-dc-primary-sw2, site: dc-primary, role: dc-switch, '
        'address: "[fd00::2]:1161", modules: [if_mib]}\n')
    assert full == Device("hn-dc-primary-sw1", "dc-primary", "dc-switch", "10.10.0.2",
                          ("system", "if_mib"), "dc_v3", 30.0, 20.0, 1, ("primary",))
    assert short.auth == "public_v2" and short.interval == 60.0 and short.timeout is None
    assert short.poll_timeout == 30.0 and short.pollers == ("primary", "backup")
    assert dataclasses.replace(short, interval=10.0).poll_timeout == 10.0


def test_a_device_has_an_identity_like_an_agent() -> None:
    inventory = parse_inventory(
        HEAD + "devices:\n  - {name: hn-dc-primary-sw1, site: dc-primary, role: dc-switch, "
        'address: "10.10.0.2", modules: [if_mib], pollers: [backup]}\n', "inv.yml")
    identity = inventory.identities["hn-dc-primary-sw1"]
    assert identity.labels() == {"agent": "hn-dc-primary-sw1", "dc": "primary",
                                 "district": "Quận Đống Đa", "role": "dc-switch",
                                 "site": "dc-primary", "ward": ""}
    assert list(inventory.identities) == ["hn-badinh-phucxa-r1", "hn-dc-primary-sw1"]
    assert inventory.polled_by("backup") == inventory.devices
    assert inventory.polled_by("primary") == ()
    assert not inventory.by_token_hash.values() or "hn-dc-primary-sw1" not in \
        inventory.by_token_hash.values()


@pytest.mark.parametrize(("device", "message"), [
    ("{name: hn-badinh-phucxa-r1, site: dc-primary, role: r, address: a, modules: [m]}",
     "inv.yml:12: devices[0]: agent id or device name 'hn-badinh-phucxa-r1' appears twice"),
    ("{name: sw, site: nowhere, role: r, address: a, modules: [m]}",
     "inv.yml:12: devices[0]: site 'nowhere' is not in sites"),
    ("{name: sw, site: dc-primary, role: r, address: 'a:99999', modules: [m]}",
     "inv.yml:12: devices[0]: address: target 'a:99999': port 99999 out of range"),
    ("{name: sw, site: dc-primary, role: r, address: a, modules: []}",
     "inv.yml:12: devices[0]: modules is empty"),
    ("{name: sw, site: dc-primary, role: r, address: a, modules: [m, m]}",
     "module 'm' is listed twice"),
    ("{name: sw, site: dc-primary, role: r, address: a, modules: [m], interval: 10s, "
     "timeout: 11s}", "timeout 11s is longer than the interval (10s)"),
    ("{name: sw, site: dc-primary, role: r, address: a, modules: [m], pollers: [nowhere]}",
     "pollers[0] 'nowhere' is not one of backup, primary"),
    ("{name: sw, site: dc-primary, role: r, address: a, modules: [m], retries: 11}",
     "retries must be between 0 and 10, got 11"),
    ("{name: sw, site: dc-primary, role: r, address: a, modules: [m], port: 161}",
     "unknown key 'port'"),
    ("{name: sw, site: dc-primary, role: r, modules: [m]}", "missing required key 'address'"),
])
def test_a_wrong_device_is_refused_with_file_line_and_key(device: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse(f"  - {device}\n")
    assert message in str(exc.value)


def test_the_writer_writes_what_the_loader_reads() -> None:
    devices = (Device("hn-dc-primary-sw1", "dc-primary", "dc-switch", "10.10.0.2:1161",
                      ("system", "if_mib"), "dc_v3", 30.0, 20.0, 2, ("primary",)),
               Device("hn-dc-backup-sw1", "dc-backup", "dc-switch", "sw1.dc",
                      ("if_mib",)))
    inventory = dataclasses.replace(small_inventory(), devices=devices)
    assert parse_inventory(dump_inventory(inventory), "written").devices == devices


def test_hanoi_generator_polls_some_wards_and_the_dc_switches() -> None:
    from collector.inventory_hanoi import default_wards_path, parse_wards, read_wards

    wards = parse_wards(read_wards(default_wards_path()))
    inventory = build_hanoi(wards, lambda a: (), sites=40, dc_hosts=1,
                            polled=PolledDevices(wards=5, dc_switches=2,
                                                 address="{name}.lan:161"))
    routers = [d for d in inventory.devices if d.role == "ward-router"]
    switches = [d for d in inventory.devices if d.role == "dc-switch"]
    assert len(routers) == 5 and len({inventory.identities[d.name].district
                                      for d in routers}) == 5   # one district at a time
    assert [d.name for d in switches] == ["hn-dc-primary-sw1", "hn-dc-primary-sw2",
                                          "hn-dc-backup-sw1", "hn-dc-backup-sw2"]
    assert routers[0].address == f"{routers[0].name}.lan:161"
    assert routers[0].modules == ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor")
    # a polled ward has no agent: 40 ward sites, 35 agents
    assert len([a for a in inventory.agents if a.role == "ward-router"]) == 35
    assert {d.name for d in routers}.isdisjoint(a.id for a in inventory.agents)


def test_netmon_inventory_hanoi_writes_devices(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "collector", "inventory", "hanoi", "--sites", "30",
         "--polled-wards", "3", "--dc-switches", "1", "--device-address", "{site}.wan:161",
         "--out", str(tmp_path / "inv.yml"), "--tokens-dir", str(tmp_path / "tokens")],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "5 polled devices: 2 dc-switch, 3 ward-router" in proc.stderr
    inventory = load_inventory(tmp_path / "inv.yml")
    assert len(inventory.devices) == 5
    assert inventory.devices[-1].address == "dc-backup.wan:161"
    assert len(list((tmp_path / "tokens").iterdir())) == len(inventory.agents)
