"""Simulated Cisco IOS devices over SSH: fakenos in a subprocess, on free loopback ports.

One fakenos process serves every host of a test module (each host its own port, prompt and
command outputs); it is started by :func:`fakenos_devices` and stopped by its PID when the
``with`` block ends, failures included (:class:`tests.peers.process.PeerProcess`). Hosts are
listed one by one, never with ``replicas`` (replicas share one prompt).

A host's ``commands`` map an exact command to its output text (or to fakenos's full command
spec, for a prompt change); ``enable_secret`` makes ``enable`` ask for a password the way IOS
does, and accept only that secret; ``nos_file`` replaces the cisco_ios NOS (a device whose
prompt netmiko does not know).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.peers.process import PeerProcess, free_tcp_port, tcp_ready

DATA = Path(__file__).parent / "data"
USERNAME = "netmon"
# Distinctive values, so a leak anywhere (a log line, a metric) is found by a plain search.
PASSWORD = "Pw-7f3a9c-PhucXa"
ENABLE_SECRET = "En-51b2e0-BaDinh"

#: The outputs of a healthy ward router, from the captured data.
WARD_ROUTER = {
    "show interfaces": "show_interfaces.txt",
    "show ip sla statistics": "show_ip_sla_statistics.txt",
    "show ip bgp summary": "show_ip_bgp_summary.txt",
    "show interface transceiver": "show_interface_transceiver.txt",
    "show environment temperature": "show_environment_temperature.txt",
    "show environment power all": "show_environment_power_all.txt",
    "show running-config": "running_config_v1.txt",
}


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def outputs(files: Mapping[str, str], **changes: str) -> dict[str, str]:
    """Command outputs from data files; ``changes`` replaces some (keys with _ for spaces)."""
    merged = {**files, **{k.replace("_", " "): v for k, v in changes.items()}}
    return {command: data(name) for command, name in merged.items()}


@dataclass
class FakeHost:
    name: str
    commands: Mapping[str, str | dict[str, object]] = field(default_factory=dict)
    enable_secret: str = ""
    nos_file: str = ""
    password: str = PASSWORD


def _host_entry(host: FakeHost, port: int) -> dict[str, object]:
    commands: dict[str, object] = {
        cmd: spec if isinstance(spec, dict) else {"output": spec, "help": cmd}
        for cmd, spec in host.commands.items()}
    if host.enable_secret:
        # IOS: "enable" asks for the password; the secret, sent as the next line, enters
        # privileged mode (fakenos takes it as a command; anything else is refused).
        commands["enable"] = {"output": "Password: ", "help": "enable",
                              "prompt": "{base_prompt}>"}
        commands[host.enable_secret] = {"output": "", "help": "the enable secret",
                                        "new_prompt": "{base_prompt}#",
                                        "prompt": "{base_prompt}>"}
    return {
        "port": port, "password": host.password, "platform": "cisco_ios",
        "nos": {"plugin": host.nos_file or "cisco_ios",
                "configuration": {"commands": commands}},
    }


def _all_listening(ports: list[int]) -> Callable[[], bool]:
    """Ready once every port has accepted a connection. fakenos starts its hosts in order, so
    the last is probed until it listens, then the others once each: every probe costs fakenos
    a thread and a logged handshake error."""
    waiting = list(ports)

    def ready() -> bool:
        while waiting and tcp_ready(waiting[-1])():
            waiting.pop()
        return not waiting

    return ready


@dataclass(frozen=True)
class FakeNos:
    """A running fakenos: its process id and each host's port."""

    pid: int
    ports: dict[str, int]


@contextlib.contextmanager
def fakenos_devices(hosts: Sequence[FakeHost], workdir: Path,
                    ports: Mapping[str, int] | None = None) -> Iterator[FakeNos]:
    """Serve ``hosts`` until the block ends (on ``ports``, by host name, or free ones);
    stopped by PID on exit."""
    ports = {host.name: (ports or {}).get(host.name) or free_tcp_port() for host in hosts}
    inventory = {
        "default": {"username": USERNAME, "password": PASSWORD,
                    "server": {"plugin": "ParamikoSshServer",
                               "configuration": {"address": "127.0.0.1", "timeout": 1}}},
        "hosts": {host.name: _host_entry(host, ports[host.name]) for host in hosts},
    }
    path = workdir / "fakenos-inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    argv = [sys.executable, "-c", "from fakenos.plugins.utils.cli import run_cli; run_cli()",
            "-i", str(path), "-l", "CRITICAL"]
    peer = PeerProcess(argv, "fakenos", cwd=workdir)
    try:
        peer.wait_ready(_all_listening(list(ports.values())), timeout=60)
        yield FakeNos(peer.pid, ports)
    finally:
        peer.stop()
