"""``python -m agent`` (``netmon agent``) as a real process: exit codes, output, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.conftest import TOKEN
from tests.agent.receiver import Receiver
from tests.peers.exposition import parse
from tests.peers.promtool import check_metrics
from tests.peers.snmp import SnmpAgent


def agent(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True,
                          timeout=timeout, check=False)


def test_once_without_a_config_runs_the_host_exporter() -> None:
    proc = agent("--once")
    assert proc.returncode == 0, proc.stderr.decode()
    exposition = parse(proc.stdout)
    assert exposition.types["node_cpu_seconds_total"] == "counter"
    assert exposition.values[("netmon_exporter_success",
                              frozenset({("exporter", "host")}))] == 1
    assert exposition.series("netmon_agent_build_info")
    assert check_metrics(proc.stdout).parsed


@pytest.mark.peers
def test_once_with_a_config_polls_the_router(ward_router: SnmpAgent, tmp_path: Path) -> None:
    (tmp_path / "auth.yml").write_text(
        f"auths:\n  ward:\n    community: {ward_router.community}\n    version: 2\n"
        "modules: {}\n", encoding="utf-8")
    (tmp_path / "auth.yml").chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    token = tmp_path / "agent.token"
    token.write_text(TOKEN)
    token.chmod(0o644)  # --once sends nothing and does not read the token
    config = tmp_path / "agent.yml"
    config.write_text(f"""\
agent_id: hn-bd-phucxa
token_file: agent.token
collectors: [{{url: "http://127.0.0.1:9"}}]
exporters:
  host: {{enabled: false}}
  snmp:
    - target: "{ward_router.target}"
      name: snmp:hn-bd-phucxa-r1
      modules: [system, if_mib]
      auth: ward
      files: [{Path(__file__).parents[2] / "exporters/snmp/modules/netmon.yml"}, auth.yml]
""", encoding="utf-8")
    proc = agent("--config", str(config), "--once")
    assert proc.returncode == 0, proc.stderr.decode()
    exposition = parse(proc.stdout)
    assert len(exposition.series("ifHCInOctets")) == 24
    assert not exposition.series("node_cpu_seconds_total")
    sys_name = exposition.series("sysName")
    assert [dict(k)["sysName"] for k in sys_name] == ["hn-bd-phucxa-r1"]
    assert check_metrics(proc.stdout).parsed


def test_no_config_is_a_usage_error() -> None:
    proc = agent()
    assert proc.returncode == 2
    assert b"--config FILE is required" in proc.stderr
    assert proc.stdout == b""


def test_a_broken_config_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "agent.yml"
    config.write_text("agent_id: a\nexporters:\n  host:\n    intervall: 15s\n",
                      encoding="utf-8")
    proc = agent("--config", str(config))
    assert proc.returncode == 2
    assert f"netmon agent: {config}:4:".encode() in proc.stderr
    assert b"unknown key 'intervall'" in proc.stderr


def test_check_config(tmp_path: Path) -> None:
    token = tmp_path / "agent.token"
    token.write_text(TOKEN)
    token.chmod(0o640)
    config = tmp_path / "agent.yml"
    config.write_text("agent_id: hn-bd-phucxa\ntoken_file: agent.token\n"
                      "collectors: [{name: dc-primary, url: 'http://127.0.0.1:9750'}]\n",
                      encoding="utf-8")
    proc = agent("--config", str(config), "--check-config")
    assert proc.returncode == 2
    assert b"mode 0640" in proc.stderr and b"chmod 600" in proc.stderr
    assert TOKEN.encode() not in proc.stderr
    token.chmod(0o600)
    proc = agent("--config", str(config), "--check-config")
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"OK: agent hn-bd-phucxa, exporters host, collectors dc-primary" in proc.stdout


def test_an_unusable_spool_exits_2_with_its_path(tmp_path: Path) -> None:
    token = tmp_path / "agent.token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the spool's directory should be")
    config = tmp_path / "agent.yml"
    config.write_text("agent_id: hn-bd-phucxa\ntoken_file: agent.token\n"
                      "collectors: [{name: dc-primary, url: 'http://127.0.0.1:9'}]\n"
                      f"shipping: {{spool: {{path: '{blocker}/spool.db'}}}}\n",
                      encoding="utf-8")
    proc = agent("--config", str(config))
    assert proc.returncode == 2
    assert f"spool {blocker}/spool.db".encode() in proc.stderr
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_stops_cleanly_after_flushing(receiver: Receiver, token_file: Path,
                                                   tmp_path: Path, sig: signal.Signals) -> None:
    config = tmp_path / "agent.yml"
    config.write_text(f"""\
agent_id: hn-bd-phucxa
token_file: {token_file}
collectors: [{{name: dc-primary, url: "{receiver.url}"}}]
jitter: 0
exporters:
  host: {{interval: 200ms}}
shipping: {{grace: 3s, spool: {{path: spool.db}}}}
""", encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agent", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await receiver.wait_for(2, timeout=20)
        proc.send_signal(sig)
        _, stderr = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = stderr.decode()
    assert proc.returncode == 0, log
    assert "agent started agent=hn-bd-phucxa" in log
    assert "agent stopped agent=hn-bd-phucxa" in log
    assert "undelivered" not in log and "Traceback" not in log
    assert "Unclosed" not in log  # the ClientSession was closed
    seqs = sorted(r.seq for r in receiver.reports)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    last = max(receiver.reports, key=lambda r: r.seq).batches[1]
    sent = next(f for f in last.families if f.name == "netmon_agent_reports_sent_total")
    assert sent.rows[0][0] == len(seqs) - 1  # as counted when the last report was built
