"""The `netmon` command as a user runs it: exit codes, output on stdout, errors on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.exposition import parse
from tests.peers.snmp import SnmpAgent


def netmon(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "netmon", *args], capture_output=True,
                          timeout=timeout, check=False)


@pytest.mark.peers
def test_demo_once_brings_up_the_whole_system(tmp_path: Path) -> None:
    from tests.peers.process import free_tcp_port
    listen = f"127.0.0.1:{free_tcp_port()}"
    proc = netmon("demo", "--once", "--wards", "3", "--interval", "2", "--listen", listen,
                  "--workdir", str(tmp_path), timeout=180)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    assert ("agents reporting: 3/3 ward routers (3 with their router's data), "
            "1/1 data-centre host") in out
    assert f"http://{listen}/scopes/wan/metrics" in out
    assert 'district="Quận Ba Đình"' in out and 'ward="Phường Phúc Xá"' in out


def test_host_prints_node_exporter_series() -> None:
    proc = netmon("host")
    assert proc.returncode == 0, proc.stderr.decode()
    exposition = parse(proc.stdout)
    assert exposition.types["node_cpu_seconds_total"] == "counter"
    assert exposition.series("node_load1")


@pytest.mark.peers
def test_snmp_with_netmon_modules_v2c(ward_router: SnmpAgent, tmp_path: Path) -> None:
    config = tmp_path / "auth.yml"
    config.write_text(f"auths:\n  router:\n    community: {ward_router.community}\n"
                      "    version: 2\nmodules: {}\n", encoding="utf-8")
    config.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    from netmon.commands import netmon_modules_path
    proc = netmon("snmp", "--config", str(netmon_modules_path()), "--config", str(config),
                  "--module", "system,hr_storage", "--auth", "router", ward_router.target)
    assert proc.returncode == 0, proc.stderr.decode()
    exposition = parse(proc.stdout)
    location = exposition.series("sysLocation")
    assert [dict(k)["sysLocation"] for k in location] == ["Phường Phúc Xá, Quận Ba Đình, Hà Nội"]
    assert exposition.series("hrStorageSize")
    modules = {dict(k)["module"] for k in exposition.series("snmp_scrape_pdus_returned")}
    assert modules == {"system", "hr_storage"}


def test_unreachable_target_exits_1_with_error_metrics() -> None:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))  # bound and silent: a dead device
        port = s.getsockname()[1]
        config = Path(__file__).parent / "data" / "fast.yml"
        proc = netmon("snmp", "--config", str(config), "--module", "system",
                      f"127.0.0.1:{port}")
    assert proc.returncode == 1
    exposition = parse(proc.stdout)
    assert exposition.values[("netmon_snmp_module_error",
                              frozenset({("module", "system"), ("kind", "timeout")}))] == 1
    assert b"kind=timeout" in proc.stderr


def test_broken_config_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "snmp.yml"
    config.write_text("auths:\n  a:\n    comunity: x\nmodules: {}\n", encoding="utf-8")
    proc = netmon("snmp", "--config", str(config), "--module", "m", "127.0.0.1")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert f"{config}:3" in err
    assert "comunity" in err
    assert proc.stdout == b""


def test_unknown_module_exits_2_listing_the_known_ones() -> None:
    proc = netmon("snmp", "--module", "no_such_module", "127.0.0.1")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "no_such_module" in err
    assert "if_mib" in err
