"""The Ansible content without hosts: syntax, the generated inventory, the vault script and
netmon-unit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.ansible.conftest import ANSIBLE_DIR
from tests.ansible.lab import NICE

pytestmark = pytest.mark.rollout

PLAYBOOKS = ("site.yml", "agents.yml", "collectors.yml", "monitoring.yml")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1")
    return env


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax(playbook: str, tmp_path: Path) -> None:
    done = subprocess.run(["ansible-playbook", "--syntax-check", playbook], cwd=ANSIBLE_DIR,
                          env=_env(tmp_path), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_yaml_file_parses() -> None:
    for path in ANSIBLE_DIR.rglob("*.yml"):
        yaml.safe_load(path.read_text(encoding="utf-8"))


def test_committed_inventory_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "hosts.yml"
    subprocess.run([sys.executable, str(ANSIBLE_DIR / "bin" / "generate_inventory.py"),
                    "--out", str(out)], check=True)
    committed = ANSIBLE_DIR / "inventory" / "hanoi" / "hosts.yml"
    assert out.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
        "inventory/hanoi/hosts.yml is stale: run python3 ansible/bin/generate_inventory.py "
        "--out ansible/inventory/hanoi/hosts.yml")


def test_inventory_groups_and_host_vars() -> None:
    inventory = yaml.safe_load((ANSIBLE_DIR / "inventory" / "hanoi" / "hosts.yml")
                               .read_text(encoding="utf-8"))
    children = inventory["all"]["children"]
    districts = children["agents"]["children"]["wards"]["children"]
    assert len(districts) == 30
    wards = {h: v for d in districts.values() for h, v in d["hosts"].items()}
    assert len(wards) == 579
    phucxa = wards["hn-badinh-phucxa-r1"]
    assert phucxa["netmon_site"]["name"] == "Phường Phúc Xá"
    assert phucxa["netmon_site"]["id"] == "00001"
    assert districts["badinh"]["vars"]["netmon_district"]["name"] == "Quận Ba Đình"
    assert sum(v["netmon_site"]["generated"] for v in wards.values()) == 53
    assert set(children["collectors"]["hosts"]) == {"hn-dc-primary-collector",
                                                     "hn-dc-backup-collector"}
    assert {"dc_primary", "dc_backup", "monitoring"} <= set(children)


def _vault(tmp_path: Path, inventory: Path, password: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ANSIBLE_DIR / "bin" / "netmon_vault.py"), *args,
                           "--inventory", str(inventory), "--vault-password-file",
                           str(password)], env=_env(tmp_path), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _decrypt(tmp_path: Path, path: Path, password: Path) -> dict[str, Any]:
    text = subprocess.run(["ansible-vault", "decrypt", "--vault-password-file", str(password),
                           "--output", "-", str(path)], env=_env(tmp_path), check=True,
                          capture_output=True, text=True).stdout
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _check_certificates(tls: dict[str, Any], agent: str) -> None:
    """Every certificate is signed by the vault's CA and names what the README says."""
    ca = x509.load_pem_x509_certificate(tls["ca"]["cert"].encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    def leaf(pair: dict[str, str]) -> x509.Certificate:
        cert = x509.load_pem_x509_certificate(pair["cert"].encode())
        cert.verify_directly_issued_by(ca)
        key = serialization.load_pem_private_key(pair["key"].encode(), password=None)
        assert key.public_key() == cert.public_key()
        return cert

    def san(cert: x509.Certificate) -> x509.SubjectAlternativeName:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    def usages(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
        return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)

    collector = leaf(tls["collectors"]["hn-dc-primary-collector"])
    assert san(collector).get_values_for_type(x509.IPAddress)  # agents connect by address
    assert usages(collector) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert len(tls["agents"]) == 6
    mine = leaf(tls["agents"][agent])
    assert san(mine).get_values_for_type(x509.UniformResourceIdentifier) == [
        f"netmon://agent/{agent}"]
    assert usages(mine) == {ExtendedKeyUsageOID.CLIENT_AUTH}
    scraper = leaf(tls["scrapers"]["hn-dc-primary-monitor"])
    assert san(scraper).get_values_for_type(x509.UniformResourceIdentifier) == [
        "netmon://scraper/hn-dc-primary-monitor"]


def test_vault_create_and_rotate(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    subprocess.run([sys.executable, str(ANSIBLE_DIR / "bin" / "generate_inventory.py"),
                    "--sites", "4", "--dc-hosts", "1", "--out", str(inventory / "hosts.yml")],
                   check=True)
    password = tmp_path / "password"
    password.write_text("throwaway\n")
    _vault(tmp_path, inventory, password, "init")
    path = inventory / "group_vars" / "all" / "vault.yml"
    assert path.read_text().startswith("$ANSIBLE_VAULT;")
    first = _decrypt(tmp_path, path, password)
    tokens = first["netmon_vault_agent_tokens"]
    assert isinstance(tokens, dict) and len(tokens) == 6  # 4 wards, 1 host in each DC
    assert set(first["netmon_vault_snmp_auths"]) == {"hanoi_v3"}
    tls = first["netmon_vault_tls"]
    agent = "hn-badinh-phucxa-r1"
    _check_certificates(tls, agent)
    assert set(first["netmon_vault_basic_auth"]) == {"prometheus", "rollout"}
    for user in first["netmon_vault_basic_auth"].values():
        assert bcrypt.checkpw(user["password"].encode(), user["bcrypt"].encode())
    _vault(tmp_path, inventory, password, "rotate-tokens", "--agents", agent)
    second = _decrypt(tmp_path, path, password)
    assert second["netmon_vault_agent_tokens_retiring"] == {agent: tokens[agent]}
    assert second["netmon_vault_agent_tokens"][agent] != tokens[agent]
    assert {k: v for k, v in second["netmon_vault_agent_tokens"].items() if k != agent} == {
        k: v for k, v in tokens.items() if k != agent}
    _vault(tmp_path, inventory, password, "retire")
    third = _decrypt(tmp_path, path, password)
    assert third["netmon_vault_agent_tokens_retiring"] == {}
    assert third["netmon_vault_tls"] == tls  # token rotations leave the certificates alone
    _vault(tmp_path, inventory, password, "rotate-tls", "--agents", agent)
    renewed = _decrypt(tmp_path, path, password)["netmon_vault_tls"]
    assert renewed["agents"][agent] != tls["agents"][agent]
    assert renewed["ca"] == tls["ca"] and renewed["collectors"] == tls["collectors"]
    _check_certificates(renewed, agent)
    again = subprocess.run([sys.executable, str(ANSIBLE_DIR / "bin" / "netmon_vault.py"), "init",
                            "--inventory", str(inventory), "--vault-password-file",
                            str(password)], env=_env(tmp_path), capture_output=True, text=True,
                           check=False)
    assert again.returncode == 2 and "exists" in again.stderr


def test_netmon_unit_runs_a_unit_as_systemd_would(tmp_path: Path) -> None:
    """netmon-unit's start, status, restart on exit and stop, on a throwaway unit (as root it
    writes to /run/netmon-unit and /var/log/netmon-unit, under a unique unit name)."""
    if os.geteuid() != 0:
        pytest.fail("needs root")
    supervisor = ANSIBLE_DIR / "roles" / "netmon_common" / "files" / "netmon-unit"
    name = f"netmon-unit-test-{os.getpid()}"
    marker = tmp_path / "started"
    unit = tmp_path / f"{name}.service"
    (tmp_path / "env").write_text('ARGS="-c"\n')
    unit.write_text(f"""[Service]
User=root
EnvironmentFile={tmp_path}/env
Environment=WORD=hello
ExecStart=/bin/sh $ARGS "echo ${{WORD}} >> {marker}; exec sleep 30"
Restart=always
RestartSec=0.2
TimeoutStopSec=5
""")

    def run(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["/usr/bin/python3", str(supervisor), action, str(unit)],
                              capture_output=True, text=True, check=False, timeout=30)

    try:
        assert run("status").returncode == 3
        assert run("start").stdout.strip() == "started"
        assert run("start").stdout.strip() == "running"
        main = int(Path(f"/run/netmon-unit/{name}.main.pid").read_text())
        os.kill(main, 9)  # Restart=always brings it back
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and marker.read_text().count("hello") < 2:
            time.sleep(0.1)
        assert marker.read_text().splitlines() == ["hello", "hello"]
        assert run("status").returncode == 0
    finally:
        assert run("stop").stdout.strip() in ("stopped", "inactive")
        Path(f"/var/log/netmon-unit/{name}.log").unlink(missing_ok=True)
    assert run("status").returncode == 3


def test_ansible_lint_production_profile(tmp_path: Path) -> None:
    """The issue's bar: ``ansible-lint --profile production``, run in ansible/ (its
    ``.ansible-lint`` sets the profile and leaves out the generated hosts.yml)."""
    if shutil.which("ansible-lint") is None:
        pytest.fail("ansible-lint is not installed: pip install -e '.[test]'")
    done = subprocess.run([*NICE, "ansible-lint", "--offline", "--profile", "production",
                           "--nocolor"],
                          cwd=ANSIBLE_DIR, env=_env(tmp_path), capture_output=True, text=True,
                          check=False, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
