"""The ``cli:`` section: typed and frozen, unknown keys refused by name, credentials from
private files or the environment and never shown."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporters.cli import CliConfig, CliPool, build_cli_exporters, load_cli_config
from exporters.errors import ConfigError

SECTION = """
workers: 4
state_dir: state
credentials:
  ward_ro:
    username: netmon
    password_file: ward_ro.password
    enable_secret_env: NETMON_TEST_ENABLE
  ward_key:
    username_env: NETMON_TEST_USER
    key_file: ward.key
devices:
  - name: hn-bd-phucxa-r1
    host: 10.1.2.1
    credentials: ward_ro
    checks: [interfaces, ip_sla, bgp, config]
    conn_timeout: 5s
    read_timeout: 1m
    interval: 60
    timeout: 45s
  - name: hn-bd-trucbach-r1
    host: 10.1.3.1
    port: 2222
    platform: cisco_xe
    credentials: ward_key
    enable: false
    known_hosts: known_hosts
"""
PASSWORD = "Pw-file-9d2c"
ENABLE = "En-env-41aa"


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    (tmp_path / "known_hosts").write_text("[10.1.3.1]:2222 ssh-ed25519 AAAAC3Nza\n")
    for name, text in (("ward_ro.password", PASSWORD + "\n"), ("ward.key", "KEY\n")):
        (tmp_path / name).write_text(text)
        os.chmod(tmp_path / name, 0o600)
    return tmp_path


ENV = {"NETMON_TEST_ENABLE": ENABLE, "NETMON_TEST_USER": "netmon-key"}


def load(etc: Path, text: str = SECTION, env: dict[str, str] | None = None) -> CliConfig:
    data: Any = yaml.safe_load(text)
    return load_cli_config(data, source="agent.yml", base=etc,
                           environ=ENV if env is None else env)


def test_the_example_section(etc: Path) -> None:
    config = load(etc)
    assert config.workers == 4 and config.state_dir == str(etc / "state")
    first, second = config.devices
    assert first.credentials.password is not None
    assert first.credentials.password.reveal() == PASSWORD
    assert first.credentials.enable_secret is not None
    assert first.credentials.enable_secret.reveal() == ENABLE
    assert (first.conn_timeout, first.read_timeout, first.interval, first.run_timeout) == (
        5.0, 60.0, 60.0, 45.0)
    assert first.selected.commands == ("show interfaces", "show ip sla statistics",
                                       "show ip bgp summary", "show running-config")
    assert second.credentials.username == "netmon-key"
    assert second.credentials.key_file == str(etc / "ward.key")
    assert (second.port, second.platform, second.enable) == (2222, "cisco_xe", False)
    assert second.known_hosts == str(etc / "known_hosts")
    assert second.mapping is first.mapping  # each mapping file loaded once
    assert second.exporter_name == "cli:hn-bd-trucbach-r1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.host = "10.9.9.9"  # type: ignore[misc]


def test_secrets_never_print(etc: Path) -> None:
    config = load(etc)
    text = repr(config) + str(config) + f"{config}"
    assert PASSWORD not in text and ENABLE not in text
    assert "<redacted>" in text


def test_exporters_share_one_pool(etc: Path) -> None:
    config = load(etc)
    with CliPool(config.workers) as pool:
        exporters = build_cli_exporters(config, pool)
    assert [e.name for e in exporters] == ["cli:hn-bd-phucxa-r1", "cli:hn-bd-trucbach-r1"]


def test_no_section_is_no_device(etc: Path) -> None:
    assert load_cli_config(None) == CliConfig()


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    host: 10.1.2.1", "    hots: 10.1.2.1",
     "cli.devices[0]: unknown key 'hots' (allowed: checks, conn_timeout,"),
    ("workers: 4", "worker: 4", "cli: unknown key 'worker'"),
    ("    password_file: ward_ro.password", "    pasword_file: x",
     "cli.credentials.ward_ro: unknown key 'pasword_file'"),
    ("credentials: ward_ro\n", "credentials: ward_rw\n",
     "no credentials named 'ward_rw' (defined: ward_key, ward_ro)"),
    ("checks: [interfaces,", "checks: [interface,",
     "check 'interface' is not in"),
    ("conn_timeout: 5s", "conn_timeout: 5 seconds", "'5 seconds' is not a duration"),
    ("conn_timeout: 5s", "conn_timeout: 0s", "must be longer than zero"),
    ("timeout: 45s", "timeout: 2m", "timeout (120s) must be positive and at most the interval"),
    ("port: 2222", "port: 70000", "port 70000 is not a TCP port"),
    ("port: 2222", "port: '22'", "port: must be an integer"),
    ("enable: false", "enable: 'no'", "enable: must be true or false"),
    ("workers: 4", "workers: 0", "workers must be between 1 and 256"),
    ("platform: cisco_xe", "platform: juniper_junos",
     "netmon ships no mapping for platform 'juniper_junos'"),
    ("platform: cisco_xe", "platform: cisco_iox", "'cisco_iox' is not a netmiko device type"),
    ("name: hn-bd-trucbach-r1", "name: hn-bd-phucxa-r1", "is used twice"),
    ("known_hosts: known_hosts", "known_hosts: missing", "missing is not a file"),
    ("name: hn-bd-trucbach-r1", "name: 'Phường Trúc Bạch'", "is not a valid name"),
    ("    username: netmon\n", "", "give exactly one of username and username_env"),
    ("    enable_secret_env: NETMON_TEST_ENABLE",
     "    enable_secret_env: NETMON_TEST_ENABLE\n    enable_secret_file: x",
     "enable_secret_file and enable_secret_env are both set"),
])
def test_mistakes_name_the_key(etc: Path, old: str, new: str, message: str) -> None:
    assert old in SECTION
    with pytest.raises(ConfigError) as caught:
        load(etc, SECTION.replace(old, new, 1))
    assert message in str(caught.value)
    assert str(caught.value).startswith("agent.yml: ")


def test_a_credential_file_others_can_read_is_refused(etc: Path) -> None:
    os.chmod(etc / "ward_ro.password", 0o640)
    with pytest.raises(ConfigError) as caught:
        load(etc)
    message = str(caught.value)
    assert "accessible by group or others (mode 0640)" in message
    assert f"chmod 600 {etc / 'ward_ro.password'}" in message
    assert PASSWORD not in message


def test_a_key_file_others_can_read_is_refused(etc: Path) -> None:
    os.chmod(etc / "ward.key", 0o644)
    with pytest.raises(ConfigError, match=r"key_file: .*ward.key: the SSH key file is "
                       r"accessible by group or others \(mode 0644\)"):
        load(etc)


@pytest.mark.parametrize(("content", "message"), [
    ("", "is empty"), ("\nsecond line", "is empty"), ("x" * 5000, "larger than 4096 bytes")])
def test_credential_file_contents(etc: Path, content: str, message: str) -> None:
    (etc / "ward_ro.password").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load(etc)


def test_a_missing_credential_file(etc: Path) -> None:
    (etc / "ward_ro.password").unlink()
    with pytest.raises(ConfigError, match="cannot open the password file"):
        load(etc)


def test_a_missing_environment_variable_is_named_not_shown(etc: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(etc, env={"NETMON_TEST_USER": "netmon-key"})
    assert "NETMON_TEST_ENABLE (the enable secret) is not set" in str(caught.value)


def test_password_from_the_environment(etc: Path) -> None:
    text = SECTION.replace("password_file: ward_ro.password", "password_env: NETMON_TEST_PW")
    config = load(etc, text, {**ENV, "NETMON_TEST_PW": "from-env"})
    password = config.devices[0].credentials.password
    assert password is not None and password.reveal() == "from-env"


def test_a_password_or_a_key_is_required(etc: Path) -> None:
    text = SECTION.replace("    password_file: ward_ro.password\n", "")
    with pytest.raises(ConfigError, match="give a password"):
        load(etc, text)


def test_a_mapping_with_nothing_to_run(etc: Path) -> None:
    (etc / "empty.yml").write_text("platform: cisco_ios\ntables: {}\n")
    text = SECTION.replace("    checks: [interfaces, ip_sla, bgp, config]\n",
                           "    mapping_file: empty.yml\n")
    with pytest.raises(ConfigError, match="gives it no command to run"):
        load(etc, text)


def test_a_site_mapping_file(etc: Path) -> None:
    (etc / "mine.yml").write_text(
        "platform: cisco_ios\ntables: {}\nconfig_check: {command: show startup-config}\n")
    text = SECTION.replace("    checks: [interfaces, ip_sla, bgp, config]\n",
                           "    mapping_file: mine.yml\n")
    config = load(etc, text)
    assert config.devices[0].selected.commands == ("show startup-config",)
