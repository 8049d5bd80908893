"""A real rollout over SSH to hosts in network namespaces (see :mod:`tests.ansible.lab`).

One collector, one monitoring host (Prometheus, Alertmanager, Grafana's files) and two ward
agents, installed from wheelhouses with no package index, with TLS, mutual TLS and basic auth
on (``netmon_tls_enabled``, ``netmon_tls_mutual``, ``netmon_basic_auth_enabled``: the agents
push over mutual TLS, Prometheus scrapes over TLS with a client certificate and a password,
a plaintext request to the collector gets no HTTP answer), then: a second run changes nothing,
``--check --diff`` changes nothing, an upgrade during a collector outage keeps every report,
a rollback is one variable, and a batch whose agent does not report stops the rollout.
The steps share one lab and run in order; a step whose predecessor failed is skipped.
``NETMON_ROLLOUT_TLS=0`` runs it all without TLS and basic auth (the roles' defaults), to
measure what TLS costs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.ansible.conftest import ANSIBLE_DIR, Wheelhouses, needs_root_and_tools
from tests.ansible.lab import NICE, Lab

pytestmark = [pytest.mark.rollout, pytest.mark.timeout(600)]

AGENT_UNIT = "/etc/systemd/system/netmon-agent.service"
COLLECTOR_UNIT = "/etc/systemd/system/netmon-collector.service"
SUPERVISOR = "/usr/local/sbin/netmon-unit"
SPOOL = "/var/lib/netmon/agent/spool.db"
# A canary, then the other ward; the fresh run and its repeats take both at once.
SERIAL = json.dumps({"netmon_agents_serial": [1, 2]})
ONE_BATCH = json.dumps({"netmon_agents_serial": "100%"})
TLS = os.environ.get("NETMON_ROLLOUT_TLS", "1") != "0"
_RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                    re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class Played:
    returncode: int
    seconds: float
    output: str
    recap: dict[str, dict[str, int]]

    def changed(self) -> dict[str, int]:
        return {host: r["changed"] for host, r in self.recap.items()}


@dataclass
class Rollout:
    lab: Lab
    inventory: Path
    env: dict[str, str]
    wheelhouses: Wheelhouses
    hosts: dict[str, str]           # inventory host -> lab host
    wards: list[str]
    collector: str = "hn-dc-primary-collector"
    monitor: str = "hn-dc-primary-monitor"
    passed: set[str] = field(default_factory=set)
    times: dict[str, float] = field(default_factory=dict)
    runs: int = 0
    # What the test presents to the collector: the netmon CA, Prometheus's client
    # certificate and its basic-auth password, from the vault (see _client).
    tls: ssl.SSLContext | None = None
    authorization: str = ""

    def host(self, name: str):  # type: ignore[no-untyped-def]
        return self.lab.hosts[self.hosts[name]]

    def require(self, *steps: str) -> None:
        missing = [s for s in steps if s not in self.passed]
        if missing:
            pytest.fail(f"not run: an earlier step failed: {', '.join(missing)}",
                        pytrace=False)

    def play(self, playbook: str, *args: str) -> Played:
        self.runs += 1
        command = [*NICE, "ansible-playbook", "-i", str(self.inventory), "-f", "10",
                   str(ANSIBLE_DIR / playbook), *args]
        started = time.monotonic()
        done = subprocess.run(command, env=self.env, cwd=ANSIBLE_DIR, capture_output=True,
                              text=True, timeout=540, check=False)
        seconds = time.monotonic() - started
        print(f"\nansible-playbook {playbook} {' '.join(args)}: {seconds:.1f} s", flush=True)
        output = done.stdout + done.stderr
        log = self.lab.root / f"play-{self.runs:02d}-{playbook}.log"
        log.write_text(f"$ {' '.join(command)}\n{output}\n({seconds:.1f} s)\n")
        recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                              "unreachable": int(m.group(4)), "failed": int(m.group(5))}
                 for m in _RECAP.finditer(output)}
        return Played(done.returncode, seconds, output, recap)

    def collector_url(self) -> str:
        return f"{'https' if TLS else 'http'}://{self.host(self.collector).address}:9750"

    def fetch(self, url: str) -> str:
        """GET ``url``; the collector's https urls with the CA, a client certificate and
        basic auth, as Prometheus asks."""
        request = urllib.request.Request(url)
        if url.startswith("https://"):
            request.add_header("Authorization", self.authorization)
        with urllib.request.urlopen(request, timeout=10, context=self.tls) as answer:
            body: bytes = answer.read()
        return body.decode("utf-8")


def samples(text: str, name: str, **labels: str) -> list[float]:
    """Values of the series ``name`` whose labels include ``labels``."""
    found = []
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, _, value = line.rpartition(" ")
        have = dict(_LABEL.findall(head))
        if all(have.get(k) == v for k, v in labels.items()):
            found.append(float(value))
    return found


def wait_for(what: str, check, timeout: float = 60.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def _write_inventory(root: Path, lab: Lab,
                     wheelhouses: Wheelhouses) -> tuple[Path, dict[str, str], list[str]]:
    generator = ANSIBLE_DIR / "bin" / "generate_inventory.py"
    inventory = root / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    base = [sys.executable, str(generator), "--sites", "2", "--dc-hosts", "0",
            "--data-centres", "primary"]
    subprocess.run([*base, "--out", str(inventory / "hosts.yml")], check=True)
    listing = yaml.safe_load((inventory / "hosts.yml").read_text(encoding="utf-8"))
    wards = [h for district in listing["all"]["children"]["agents"]["children"]["wards"]
             ["children"].values() for h in district["hosts"]]
    assert len(wards) == 2
    hosts = {"hn-dc-primary-collector": "c", "hn-dc-primary-monitor": "m",
             **{ward: f"w{i}" for i, ward in enumerate(wards, start=1)}}
    addresses = root / "addresses.csv"
    addresses.write_text("host,ansible_host,router\n" + "".join(
        f"{name},{lab.hosts[short].address},{'127.0.0.1' if short.startswith('w') else ''}\n"
        for name, short in hosts.items()))
    subprocess.run([*base, "--addresses", str(addresses), "--out",
                    str(inventory / "hosts.yml")], check=True)
    # The monitoring roles read a snapshot of mixin/: the working tree may change during the run.
    mixin = root / "mixin"
    shutil.copytree(ANSIBLE_DIR.parent / "mixin", mixin,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py", "generate"))
    for group in ("agents", "wards", "collectors", "prometheus"):
        shutil.copytree(ANSIBLE_DIR / "inventory" / "hanoi" / "group_vars" / group,
                        inventory / "group_vars" / group)
    (inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump({
        "netmon_version": wheelhouses.old,
        "netmon_wheelhouse_dir": str(wheelhouses.directory),
        "netmon_install_root": "/opt/netmon",
        "netmon_python": "/usr/bin/python3",
        # No systemd in the namespaces: netmon-unit runs the rendered units.
        "netmon_service_manager": "none",
        "ansible_python_interpreter": "/usr/bin/python3",
        "netmon_agent_host_interval": "3s",
        "netmon_agent_push_timeout": "2s",
        "netmon_agent_grace": "2s",
        "netmon_agent_backoff_base": "500ms",
        "netmon_agent_backoff_max": "2s",
        "netmon_agent_catchup_rate": 50,
        "netmon_agent_health_timeout": 60,
        "netmon_agent_health_delay": 1,
        "netmon_prometheus_install_package": False,
        "netmon_prometheus_scrape_interval": "5s",
        "netmon_prometheus_sd_refresh_interval": "5s",
        "netmon_alertmanager_install_package": False,
        "netmon_grafana_restart": False,
        "netmon_prometheus_rules_src": str(mixin / "rules"),
        "netmon_alertmanager_config_src": str(mixin / "alertmanager" / "alertmanager.yml"),
        "netmon_grafana_dashboards_src": str(mixin / "dashboards"),
        "netmon_grafana_provider_src": str(mixin / "provisioning" / "dashboards.yml"),
        # TLS on every collector listener, mutual TLS, basic auth (ansible/README.md, "TLS").
        "netmon_tls_enabled": TLS,
        "netmon_tls_mutual": TLS,
        "netmon_basic_auth_enabled": TLS,
    }))
    return inventory, hosts, wards


def _client(root: Path, inventory: Path, password: Path,
            env: dict[str, str]) -> tuple[ssl.SSLContext, str]:
    """The test's TLS context (the vault's CA, the monitoring host's client certificate) and
    Authorization header (Prometheus's basic-auth password)."""
    plain = subprocess.run(["ansible-vault", "decrypt", "--vault-password-file", str(password),
                            "--output", "-", str(inventory / "group_vars" / "all" / "vault.yml")],
                           check=True, env=env, capture_output=True, text=True).stdout
    vault = yaml.safe_load(plain)
    tls = vault["netmon_vault_tls"]
    client = root / "client"
    client.mkdir(mode=0o700)
    (client / "ca.crt").write_text(tls["ca"]["cert"])
    (client / "client.crt").write_text(tls["scrapers"]["hn-dc-primary-monitor"]["cert"])
    (client / "client.key").write_text(tls["scrapers"]["hn-dc-primary-monitor"]["key"])
    context = ssl.create_default_context(cafile=str(client / "ca.crt"))
    context.load_cert_chain(client / "client.crt", client / "client.key")
    secret = vault["netmon_vault_basic_auth"]["prometheus"]["password"]
    return context, "Basic " + base64.b64encode(f"prometheus:{secret}".encode()).decode()


def _plaintext_answer(address: str, port: int) -> bytes:
    """What a plaintext HTTP request to ``address:port`` gets back before the close."""
    data = b""
    with socket.create_connection((address, port), timeout=5) as conn:
        conn.sendall(b"GET /metrics HTTP/1.1\r\nHost: collector\r\nConnection: close\r\n\r\n")
        try:
            while chunk := conn.recv(4096):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return data


@pytest.fixture(scope="module")
def rollout(wheelhouses: Wheelhouses,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rollout]:
    reason = needs_root_and_tools()
    if reason:
        pytest.fail(f"the rollout test {reason}: run .ci/setup")
    for tool in ("promtool", "amtool", "prometheus", "prometheus-alertmanager"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run .ci/setup (Debian's prometheus and "
                        "prometheus-alertmanager)")
    root = tmp_path_factory.mktemp("rollout")
    lab = Lab(root / "lab", ["c", "m", "w1", "w2"])
    try:
        lab.start()
        inventory, hosts, wards = _write_inventory(root, lab, wheelhouses)
        password = root / "vault-password"
        password.write_text("throwaway-test-vault-password\n")
        password.chmod(0o600)
        env = lab.ansible_env(password)
        vault = subprocess.run([sys.executable, str(ANSIBLE_DIR / "bin" / "netmon_vault.py"),
                                "init", "--inventory", str(inventory),
                                "--vault-password-file", str(password)],
                               check=False, env=env, capture_output=True, text=True, timeout=120)
        assert vault.returncode == 0, vault.stderr
        tls, authorization = _client(root, inventory, password, env)
        yield Rollout(lab, inventory, env, wheelhouses, hosts, wards, tls=tls,
                      authorization=authorization)
    finally:
        lab.close()


def _agents_report(r: Rollout, since: float = 0.0) -> bool:
    text = r.fetch(f"{r.collector_url()}/metrics")
    return all(samples(text, "netmon_agent_up", agent=w) == [1.0]
               and samples(text, "netmon_agent_last_report_timestamp_seconds", agent=w)[0] > since
               for w in r.wards)


def test_fresh_rollout_reports(rollout: Rollout) -> None:
    r = rollout
    played = r.play("site.yml", "-e", ONE_BATCH)
    r.times["fresh"] = played.seconds
    assert played.returncode == 0, played.output[-6000:]
    assert set(played.recap) == set(r.hosts)
    assert all(v["failed"] == 0 and v["unreachable"] == 0 for v in played.recap.values())
    wait_for("every ward agent to report", lambda: _agents_report(r), 30)
    for ward in r.wards:
        host = r.host(ward)
        assert os.readlink(host.path("/opt/netmon/current")) == f"/opt/netmon/{r.wheelhouses.old}"
        assert host.path(SPOOL).is_file()
        token = host.path("/etc/netmon/agent.token")
        assert token.stat().st_mode & 0o777 == 0o600
    # The units that netmon-unit ran are valid systemd units.
    for name, unit in [(r.wards[0], AGENT_UNIT), (r.collector, COLLECTOR_UNIT)]:
        verify = r.lab.run(r.hosts[name], "systemd-analyze", "verify", unit, check=False)
        assert verify.returncode == 0, verify.stderr
        assert "netmon" not in verify.stderr, verify.stderr
    if TLS:
        # TLS only: the collector's port answers no plaintext request; a client without a
        # certificate (mutual TLS) or without the password (basic auth) is refused.
        address = r.host(r.collector).address
        assert not _plaintext_answer(address, 9750).startswith(b"HTTP/")
        anonymous = ssl.create_default_context(cafile=r.inventory.parent / "client" / "ca.crt")
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{r.collector_url()}/metrics", timeout=10,
                                   context=anonymous).close()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{r.collector_url()}/metrics", timeout=10,
                                   context=r.tls).close()
        refused.value.close()
        assert refused.value.code == 401
        collector = r.host(r.collector)
        web_config = collector.path("/etc/netmon/web-config.yml")
        assert web_config.stat().st_mode & 0o777 == 0o640
        assert "client_auth_type: \"RequireAndVerifyClientCert\"" in web_config.read_text()
        assert collector.path("/etc/netmon/collector.pem").stat().st_mode & 0o777 == 0o640
        agent_yml = yaml.safe_load(r.host(r.wards[0]).path("/etc/netmon/agent.yml").read_text())
        assert [c["url"] for c in agent_yml["collectors"]] == [r.collector_url()]
        assert agent_yml["collectors"][0]["tls"]["cert_file"] == "/etc/netmon/agent.pem"
    # Prometheus found every ward through the collector's /sd and scrapes it, over TLS with
    # its client certificate and password, and the collector's own metrics too.
    prometheus = f"http://{r.host(r.monitor).address}:9090"

    def wards_up() -> bool:
        targets = json.loads(r.fetch(f"{prometheus}/api/v1/targets"))["data"]["activeTargets"]
        up = {t["labels"].get("agent") or t["labels"]["job"] for t in targets
              if t["labels"].get("job") in ("netmon-wards", "netmon-collector")
              and t["health"] == "up" and t["scrapeUrl"].startswith(r.collector_url())}
        return set(r.wards) | {"netmon-collector"} <= up

    wait_for("Prometheus to scrape every ward and the collector over TLS", wards_up, 40)
    rules = json.loads(r.fetch(f"{prometheus}/api/v1/rules"))["data"]["groups"]
    assert len(rules) >= 5
    assert r.fetch(f"http://{r.host(r.monitor).address}:9093/-/ready")
    grafana = r.host(r.monitor).path("/var/lib/grafana/dashboards/netmon")
    assert len(list(grafana.glob("*.json"))) >= 4
    r.passed.add("fresh")


def test_second_run_changes_nothing(rollout: Rollout) -> None:
    r = rollout
    r.require("fresh")
    played = r.play("site.yml", "-e", ONE_BATCH)
    r.times["rerun"] = played.seconds
    assert played.returncode == 0, played.output[-6000:]
    assert played.changed() == dict.fromkeys(r.hosts, 0), played.output[-6000:]
    r.passed.add("idempotent")


def test_check_mode_changes_nothing(rollout: Rollout) -> None:
    """``--check --diff`` of the playbook ops run across the city, agents.yml (site.yml's
    real second run above already proves every play changes nothing)."""
    r = rollout
    r.require("fresh")
    before = {w: r.host(w).path("/etc/netmon/agent.yml").stat().st_mtime_ns for w in r.wards}
    played = r.play("agents.yml", "--check", "--diff", "-e", ONE_BATCH)
    r.times["check"] = played.seconds
    assert played.returncode == 0, played.output[-6000:]
    changed = played.changed()
    assert set(r.wards) <= set(changed), played.output[-6000:]
    assert set(changed.values()) == {0}, played.output[-6000:]
    assert {w: r.host(w).path("/etc/netmon/agent.yml").stat().st_mtime_ns
            for w in r.wards} == before


def _main_pid(r: Rollout, name: str, unit: str) -> int:
    out = r.lab.run(r.hosts[name], "cat", f"/run/netmon-unit/{unit}.main.pid").stdout
    return int(out.strip())


def _first_and_restarts(r: Rollout, ward: str) -> list[tuple[int, int]]:
    """(reports, next_seq) of every 'spool opened' line in the agent's log."""
    log = r.host(ward).path("/var/log/netmon-unit/netmon-agent.log").read_text()
    return [(int(m.group(1)), int(m.group(2)))
            for m in re.finditer(r"spool opened .*? reports=(\d+) .*?next_seq=(\d+)", log)]


def _last_seq(r: Rollout, ward: str) -> int:
    path = r.host(ward).path(SPOOL)
    conn = sqlite3.connect(path, timeout=10)  # the agent is stopped: nobody else has it open
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
    finally:
        conn.close()
    return int(row[0])


def _accepted(text: str, ward: str) -> int:
    values = samples(text, "netmon_agent_reports_total", agent=ward, result="accepted")
    return int(values[0]) if values else 0


def test_upgrade_during_an_outage_keeps_every_report(rollout: Rollout) -> None:
    r = rollout
    r.require("fresh", "idempotent")
    new = r.wheelhouses.new
    inodes = {w: r.host(w).path(SPOOL).stat().st_ino for w in r.wards}
    collector = _main_pid(r, r.collector, "netmon-collector")
    os.kill(collector, signal.SIGSTOP)  # the outage: the collector stops answering
    try:
        time.sleep(7)  # two reports of every agent wait in its spool
        played = r.play("agents.yml", "-e", f"netmon_version={new}",
                        "-e", "netmon_agent_health_check=false", "-e", SERIAL)
        r.times["upgrade"] = played.seconds
        assert played.returncode == 0, played.output[-6000:]
        for ward in r.wards:
            host = r.host(ward)
            assert os.readlink(host.path("/opt/netmon/current")) == f"/opt/netmon/{new}"
            assert host.path(SPOOL).stat().st_ino == inodes[ward], "the spool was replaced"
            opened = _first_and_restarts(r, ward)
            assert len(opened) >= 2 and opened[-1][0] > 0, opened  # restarted with a backlog
            assert opened[-1][1] > opened[0][1], opened           # and the same sequence
    finally:
        os.kill(collector, signal.SIGCONT)

    def upgraded_and_delivered() -> bool:
        # The newest report of each agent comes from the new version and says that nothing
        # is left for this collector in its spool.
        scope = r.fetch(f"{r.collector_url()}/scopes/wan/metrics")
        return all(samples(scope, "netmon_agent_build_info", agent=w, version=new) == [1.0]
                   and samples(scope, "netmon_agent_spool_backlog_reports", agent=w) == [0.0]
                   for w in r.wards)

    wait_for("the upgraded agents to deliver their backlog", upgraded_and_delivered, 60)
    for ward in r.wards:  # a clean stop: what is spooled is delivered, then nothing changes
        r.lab.run(r.hosts[ward], SUPERVISOR, "stop", AGENT_UNIT)
    metrics = r.fetch(f"{r.collector_url()}/metrics")
    for ward in r.wards:
        first = _first_and_restarts(r, ward)[0][1]
        made = _last_seq(r, ward) - first + 1
        # Every report the agent ever made was accepted exactly once (pushes refused while
        # the collector caught up, counted `rejected`, were sent again and are in this count).
        assert _accepted(metrics, ward) == made, (ward, _accepted(metrics, ward), made)
    r.passed.add("upgrade")


def test_rollback_is_one_variable(rollout: Rollout) -> None:
    r = rollout
    r.require("upgrade")
    old = r.wheelhouses.old
    since = time.time()
    played = r.play("agents.yml", "-e", f"netmon_version={old}", "-e", SERIAL)
    r.times["rollback"] = played.seconds
    assert played.returncode == 0, played.output[-6000:]
    for ward in r.wards:
        assert os.readlink(r.host(ward).path("/opt/netmon/current")) == f"/opt/netmon/{old}"
    wait_for("the agents to report again", lambda: _agents_report(r, since), 30)
    scope = r.fetch(f"{r.collector_url()}/scopes/wan/metrics")
    for ward in r.wards:
        assert samples(scope, "netmon_agent_build_info", agent=ward, version=old) == [1.0]
    r.passed.add("rollback")


def test_a_failed_batch_stops_the_rollout(rollout: Rollout) -> None:
    r = rollout
    r.require("rollback")
    canary, *rest = r.wards
    host_vars = r.inventory / "host_vars"
    host_vars.mkdir(exist_ok=True)
    # The canary's new configuration sends its reports nowhere: its health check fails.
    (host_vars / f"{canary}.yml").write_text(yaml.safe_dump({
        "netmon_agent_collectors": [{"name": "dc-primary",
                                     "url": f"http://{r.host(r.collector).address}:1"}],
        "netmon_agent_health_collectors": [{"name": "dc-primary", "url": r.collector_url()}],
        "netmon_agent_health_timeout": 8,
    }))
    try:
        played = r.play("agents.yml", "-e", "netmon_agent_host_interval=4s", "-e", SERIAL)
    finally:
        (host_vars / f"{canary}.yml").unlink()
    assert played.returncode != 0
    assert played.recap[canary]["failed"] == 1, played.output[-6000:]
    for ward in rest:  # the next batch never started
        assert ward not in played.recap, played.output[-6000:]
        assert '"4s"' not in r.host(ward).path("/etc/netmon/agent.yml").read_text()
    print(f"rollout times (s): {json.dumps({k: round(v, 1) for k, v in r.times.items()})}")
