"""agent.yml: what it accepts, and every refusal naming the file, the line and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agent.config import (
    AgentConfig,
    CollectorConfig,
    HostJobConfig,
    ShippingConfig,
    SpoolConfig,
)
from agent.config_load import load_agent_config
from agent.errors import ConfigError, TokenFileError
from netmon.commands import netmon_modules_path
from tests.agent.conftest import TOKEN

FULL = """\
agent_id: hn-bd-phucxa
token_file: agent.token
collectors:
  - name: dc-primary
    url: http://127.0.0.1:9750
    timeout: 5s
  - url: https://collector.dc2.example:9750/netmon/
jitter: 0.5
exporters:
  host:
    interval: 30s
    timeout: 20s
    procfs: proc
    netdev_device_exclude: "^lo$"
  snmp:
    - target: 10.1.2.3
      modules: [system, if_mib]
      auth: public_v2
      interval: 1m
    - target: udp://10.1.2.4:1161
      name: snmp:hn-bd-phucxa-sw1
      modules: [if_mib]
      interval: 90
      timeout: 45.5
      max_varbinds: 5000
shipping:
  retries: 5
  backoff_base: 250ms
  backoff_max: 1m
  catchup_rate: 0.5
  grace: 0
  spool: {path: state/spool.db, max_bytes: 1.5GiB, max_age: 72h}
"""


def write(tmp_path: Path, text: str, token_mode: int = 0o600) -> Path:
    token = tmp_path / "agent.token"
    token.write_text(TOKEN + "\n", encoding="ascii")
    token.chmod(token_mode)
    path = tmp_path / "agent.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_full_config(tmp_path: Path) -> None:
    config = load_agent_config(write(tmp_path, FULL))
    assert config.agent_id == "hn-bd-phucxa"
    assert config.token is not None and config.token.reveal() == TOKEN
    assert config.token_file == str(tmp_path / "agent.token")
    primary, backup = config.collectors
    assert primary == CollectorConfig("http://127.0.0.1:9750", "dc-primary", 5.0)
    assert primary.push_url == "http://127.0.0.1:9750/api/v1/push"
    assert backup.name == "collector.dc2.example:9750"
    assert backup.timeout == 10.0
    assert backup.push_url == "https://collector.dc2.example:9750/netmon/api/v1/push"
    assert config.jitter == 0.5
    assert config.host.interval == 30.0 and config.host.run_timeout == 20.0
    assert config.host.host.procfs_path == str(tmp_path / "proc")
    assert config.host.host.netdev_device_exclude == "^lo$"
    router, switch = config.snmp
    assert router.exporter_name == "snmp:10.1.2.3"
    assert router.modules == ("system", "if_mib")
    assert router.interval == 60.0 and router.run_timeout == 60.0
    assert router.target_config().timeout == pytest.approx(59.5)
    assert router.snmp.sources == (str(netmon_modules_path()),)
    assert switch.exporter_name == "snmp:hn-bd-phucxa-sw1"
    assert switch.interval == 90.0 and switch.run_timeout == 45.5
    assert switch.limits.max_varbinds == 5000
    assert router.snmp is switch.snmp  # one module file, loaded once
    assert config.shipping == ShippingConfig(
        retries=5, backoff_base=0.25, backoff_max=60.0, catchup_rate=0.5, grace=0.0,
        spool=SpoolConfig(str(tmp_path / "state" / "spool.db"), int(1.5 * 2**30), 72 * 3600.0))
    assert config.exporter_names == ["host", "snmp:10.1.2.3", "snmp:hn-bd-phucxa-sw1"]


def test_minimal_config_takes_the_defaults(tmp_path: Path) -> None:
    config = load_agent_config(write(tmp_path, "agent_id: dc1-host-07\n"))
    assert config == AgentConfig(agent_id="dc1-host-07", source=str(tmp_path / "agent.yml"))
    assert config.host == HostJobConfig(enabled=True, interval=15.0)
    assert config.shipping == ShippingConfig(retries=None, backoff_base=1.0, backoff_max=30.0,
                                             catchup_rate=1.0, grace=5.0)
    assert config.shipping.spool == SpoolConfig("/var/lib/netmon/agent/spool.db",
                                                128 * 2**20, 48 * 3600.0)
    assert config.jitter == 1.0


def test_snmp_module_files_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "auth.yml").write_text(
        "auths:\n  ward:\n    community: s3cret\n    version: 2\nmodules: {}\n",
        encoding="utf-8")
    (tmp_path / "auth.yml").chmod(0o600)  # it holds a community
    config = load_agent_config(write(tmp_path, f"""\
        agent_id: a
        exporters:
          snmp:
            - {{target: 10.0.0.1, modules: [system], auth: ward,
               files: ["{netmon_modules_path()}", auth.yml]}}
        """))
    assert config.snmp[0].snmp.auths["ward"].community.reveal() == "s3cret"


def test_once_does_not_read_the_token(tmp_path: Path) -> None:
    path = write(tmp_path, "agent_id: a\ntoken_file: agent.token\n"
                 "collectors: [{url: 'http://127.0.0.1:1'}]\n", token_mode=0o644)
    config = load_agent_config(path, read_token_file=False)
    assert config.token is None
    with pytest.raises(TokenFileError):
        load_agent_config(path)


REFUSALS = [
    # (agent.yml, line, what the message must say)
    ("agent_id: a\nexporter:\n  host: {}\n", 2, "unknown key 'exporter'"),
    ("agent_id: a\ncollectors:\n  - url: http://x:1\n    timout: 5s\ntoken_file: agent.token\n",
     4, "unknown key 'timout'"),
    ("agent_id: a\nexporters:\n  host:\n    interval: 15s\n    procfs_path: /proc\n", 5,
     "unknown key 'procfs_path'"),
    ("agent_id: a\nexporters:\n  snmp:\n    - target: 10.0.0.1\n      modules: [if_mib]\n"
     "      community: public\n", 6, "unknown key 'community'"),
    ("agent_id: a\nshipping:\n  max_queue: 10\n", 3, "unknown key 'max_queue'"),
    ("agent_id: a\nshipping:\n  spool:\n    maxbytes: 1GB\n", 4, "unknown key 'maxbytes'"),
    ("agent_id: a\nagent_id: b\n", 2, "set twice"),
    ("token_file: agent.token\n", 1, "missing required key 'agent_id'"),
    ("agent_id: a\ncollectors:\n  - name: x\n", 3, "missing required key 'url'"),
    ("agent_id: a\nexporters:\n  snmp:\n    - modules: [if_mib]\n", 4,
     "missing required key 'target'"),
    ("agent_id: a\nexporters:\n  host:\n    interval: 15 sec\n", 4, "not a duration"),
    ("agent_id: a\nexporters:\n  host:\n    interval: 0s\n", 4, "longer than zero"),
    ("agent_id: a\nexporters:\n  host:\n    interval: 10s\n    timeout: 20s\n", 5,
     "timeout 20s is longer than the interval (10s)"),
    ("agent_id: a\nexporters:\n  snmp:\n    - {target: x, modules: [if_mib], timeout: 2m}\n",
     4, "timeout 120s is longer than the interval (60s)"),
    ("agent_id: a\nexporters:\n  host:\n    enabled: yes please\n", 4, "true or false"),
    ("agent_id: a\njitter: 2\n", 2, "jitter must be between 0 and 1"),
    ("agent_id: Phường Phúc Xá\n", 1, "not a valid id"),
    ("agent_id: a\ntoken_file: agent.token\ncollectors:\n  - url: ftp://x\n", 4,
     "must be http:// or https://"),
    ("agent_id: a\ntoken_file: agent.token\ncollectors:\n  - url: http://u:p@x:1\n", 4,
     "carries credentials"),
    ("agent_id: a\ntoken_file: agent.token\ncollectors:\n  - {url: 'http://x:1', name: d}\n"
     "  - {url: 'http://y:1', name: d}\n", 5, "collector name 'd' is used twice"),
    ("agent_id: a\ncollectors:\n  - url: http://x:1\n", 1, "token_file is not"),
    ("agent_id: a\nexporters:\n  snmp:\n    - {target: 10.0.0.1, modules: [if_mib]}\n"
     "    - {target: 10.0.0.1, modules: [system]}\n", 5, "exporter name 'snmp:10.0.0.1'"),
    ("agent_id: a\nexporters:\n  snmp:\n    - {target: 10.0.0.1, modules: [if_mib], name: host}\n",
     4, "exporter name 'host' is used twice"),
    ("agent_id: a\nexporters:\n  snmp:\n    - {target: 10.0.0.1, modules: [if_mib], name: agent}\n",
     4, "'agent' is reserved"),
    ("agent_id: a\nexporters:\n  snmp:\n    - target: 10.0.0.1\n      modules: [if_mb]\n", 4,
     "unknown module 'if_mb'"),
    ("agent_id: a\nexporters:\n  snmp:\n    - target: 10.0.0.1\n      modules: [if_mib]\n"
     "      auth: ward\n", 4, "unknown auth 'ward'"),
    ("agent_id: a\nexporters:\n  snmp:\n    - target: 10.0.0.1\n      modules: []\n", 5,
     "modules is empty"),
    ("agent_id: a\nexporters:\n  snmp:\n    - target: 'tcp://10.0.0.1'\n      modules: [if_mib]\n",
     4, "only udp:// is supported"),
    ("agent_id: a\nexporters:\n  snmp:\n    - target: 10.0.0.1\n      modules: [if_mib]\n"
     "      files: [nowhere.yml]\n", 6, "no such SNMP module file"),
    ("agent_id: a\nshipping:\n  catchup_rate: 0\n", 3, "catchup_rate must be above zero"),
    ("agent_id: a\nshipping:\n  spool:\n    max_bytes: 10 parsecs\n", 4, "is not a size"),
    ("agent_id: a\nshipping:\n  spool:\n    max_bytes: 64kB\n", 4,
     "max_bytes must be at least 1MiB"),
    ("agent_id: a\nshipping:\n  spool:\n    max_age: 2 days\n", 4, "not a duration"),
    ("agent_id: a\nshipping:\n  spool:\n    path: ''\n", 4, "path is empty"),
    ("agent_id: a\nshipping:\n  backoff_base: 10s\n  backoff_max: 1s\n", 4,
     "backoff_max (1s) is shorter than backoff_base (10s)"),
    ("agent_id: a\nexporters:\n  cli:\n    devices:\n      - {name: r1, hots: 10.0.0.1}\n", 4,
     "cli.devices[0]: unknown key 'hots'"),
    ("agent_id: a\nexporters:\n  cli: [r1]\n", 3, "must be a mapping"),
    ("agent_id: a\nexporters:\n  probes:\n    targets:\n      - {name: p, address: 10.0.0.1,"
     " labels: {probe_dc: tertiary}}\n", 5, "probe_dc"),
    ("agent_id: a\nexporters:\n  probes:\n    interval: 5s\n    targets:\n"
     "      - {name: p, address: 10.0.0.1}\n", 4, "longer than the interval (5s)"),
    ("agent_id: a\nexporters: [host]\n", 2, "expected a mapping"),
    ("agent_id: a\n  bad: indentation\n", 2, "not valid YAML"),
    ("- agent_id: a\n", 1, "top level must be a mapping"),
]


@pytest.mark.parametrize(("text", "line", "message"), REFUSALS,
                         ids=[r[2] for r in REFUSALS])
def test_refusals_name_file_line_and_key(tmp_path: Path, text: str, line: int,
                                         message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_agent_config(path)
    text = str(info.value)
    assert text.startswith(f"{path}:{line}:"), text
    assert message in text


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(ConfigError, match=f"{path}: the file is empty"):
        load_agent_config(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the agent config"):
        load_agent_config(tmp_path / "nope.yml")


def test_open_token_file_is_refused_with_the_config_line(tmp_path: Path) -> None:
    path = write(tmp_path, "agent_id: a\ntoken_file: agent.token\n", token_mode=0o640)
    with pytest.raises(TokenFileError) as info:
        load_agent_config(path)
    text = str(info.value)
    assert text.startswith(f"{path}:2:")
    assert "mode 0640" in text and "chmod 600" in text
    assert TOKEN not in text


def test_secrets_never_print(tmp_path: Path) -> None:
    config = load_agent_config(write(tmp_path, FULL))
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)


def test_the_example_config_loads(tmp_path: Path) -> None:
    example = tmp_path / "agent.yml"
    example.write_text((Path(__file__).parents[2] / "agent" / "agent.example.yml").read_text(
        encoding="utf-8"), encoding="utf-8")
    password = tmp_path / "cli-ward-ro.password"       # next to it, as the example says
    password.write_text("s3cret\n", encoding="utf-8")
    password.chmod(0o600)
    config = load_agent_config(example, read_token_file=False)
    assert [c.name for c in config.collectors] == ["dc-primary", "dc-backup"]
    assert config.exporter_names == ["host", "snmp:hn-bd-phucxa-r1", "cli:hn-bd-phucxa-r1",
                                     "probe"]
    assert config.cli is not None and "s3cret" not in repr(config)
    assert [t.name for t in config.probes.targets] == ["dc-primary-collector",
                                                       "dc-backup-collector",
                                                       "dc-primary-gateway"]
    assert config.snmp[0].snmp.auths["netmon_v3"].version == 3
