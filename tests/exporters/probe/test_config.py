"""ProbeConfig and ProbeTarget checks, and the strict ``probes:`` loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.errors import ConfigError
from exporters.probe import (
    ProbeConfig,
    ProbeTarget,
    load_probe_config,
    parse_probe_config,
    probe_config_from_mapping,
)
from exporters.snmp.yaml_nodes import Where, compose

EXAMPLE = """\
probes:
  interval: 15s
  count: 10
  spacing: 1s
  timeout: 800ms
  targets:
    - name: dc-primary-collector
      address: 10.10.0.10
      labels: {probe_dc: primary, probe_role: collector}
      port: 9750
    - name: dc-backup-gateway
      address: 2001:db8:20::1
      labels: {probe_dc: backup, probe_role: gateway}
      method: icmp
    - name: upstream
      address: pe1.isp.example
      labels: {probe_role: upstream, circuit: "VNPT-HN-0042"}
      method: tcp
      port: 443
      ip_protocol: ip4
"""


def parse(text: str) -> ProbeConfig:
    root = compose(text, "agent.yml")
    assert root is not None
    probes = dict((k.value, v) for k, v in root.value)["probes"]
    return parse_probe_config(probes, Where("agent.yml").child("probes"))


def test_the_example_section() -> None:
    config = parse(EXAMPLE)
    assert (config.interval, config.count, config.spacing, config.timeout) == (15, 10, 1, 0.8)
    primary, backup, upstream = config.targets
    assert primary == ProbeTarget("dc-primary-collector", "10.10.0.10",
                                  {"probe_dc": "primary", "probe_role": "collector"},
                                  port=9750)
    assert backup.method == "icmp" and backup.ip_literal is not None
    assert backup.ip_literal.version == 6
    assert upstream.ip_literal is None and upstream.ip_protocol == "ip4"
    assert upstream.series_labels == {"target": "upstream", "circuit": "VNPT-HN-0042",
                                      "probe_role": "upstream"}


def test_defaults() -> None:
    config = ProbeConfig()
    assert (config.count, config.spacing, config.timeout, config.interval) == (10, 1.0, 1.0, 15)
    assert config.name == "probe" and config.targets == ()
    assert config.run_seconds == 10.0
    target = ProbeTarget("t", "10.0.0.1")
    assert (target.method, target.port, target.ip_protocol) == ("auto", None, "auto")


def test_labels_are_read_only_and_sorted() -> None:
    target = ProbeTarget("t", "10.0.0.1", {"probe_role": "gateway", "probe_dc": "backup"})
    assert list(target.labels) == ["probe_dc", "probe_role"]
    with pytest.raises(TypeError):
        target.labels["x"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "", "address": "10.0.0.1"}, "name '' must be"),
    ({"name": "a b", "address": "10.0.0.1"}, "name 'a b' must be"),
    ({"name": "t", "address": ""}, "address is empty"),
    ({"name": "t", "address": "http://10.0.0.1"}, "neither an IP address nor a host name"),
    ({"name": "t", "address": "10.0.0.1:9750"}, "neither an IP address nor a host name"),
    ({"name": "t", "address": "-bad-.example"}, "neither an IP address nor a host name"),
    ({"name": "t", "address": "10.0.0.1", "method": "udp"}, "method: 'udp' is not one of"),
    ({"name": "t", "address": "10.0.0.1", "method": "tcp"}, "method tcp needs a port"),
    ({"name": "t", "address": "10.0.0.1", "port": 0}, "port: 0 must be a TCP port"),
    ({"name": "t", "address": "10.0.0.1", "port": 70000}, "port: 70000 must be"),
    ({"name": "t", "address": "10.0.0.1", "ip_protocol": "ip6"}, "is IPv4 but ip_protocol"),
    ({"name": "t", "address": "h.example", "ip_protocol": "v4"}, "ip_protocol: 'v4' is not"),
    ({"name": "t", "address": "10.0.0.1", "labels": {"probe_dc": "tertiary"}},
     "probe_dc: 'tertiary' is not one of backup, primary"),
    ({"name": "t", "address": "10.0.0.1", "labels": {"probe_role": "core"}},
     "probe_role: 'core' is not one of collector, gateway, upstream"),
    ({"name": "t", "address": "10.0.0.1", "labels": {"target": "x"}},
     "'target' is set by the probe exporter itself"),
    ({"name": "t", "address": "10.0.0.1", "labels": {"1x": "x"}}, "not a valid Prometheus"),
    ({"name": "t", "address": "10.0.0.1", "labels": {"__x": "x"}}, "not a valid Prometheus"),
])
def test_target_checks(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match="probe target") as error:
        ProbeTarget(**kwargs)  # type: ignore[arg-type]
    assert message in str(error.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"count": 0}, "probes.count: 0 must be"),
    ({"count": True}, "probes.count: True must be"),
    ({"spacing": 0}, "probes.spacing: 0 must be a positive"),
    ({"spacing": 0.0001}, "below 0.001s"),
    ({"timeout": float("nan")}, "probes.timeout: nan must be"),
    ({"timeout": 61}, "over 60s"),
    ({"count": 16, "spacing": 1.0, "timeout": 1.0},
     "(count - 1) x spacing + timeout = 16s, longer than the interval (15s)"),
    ({"name": ""}, "probes.name '' must be"),
    ({"targets": (ProbeTarget("a", "10.0.0.1"), ProbeTarget("a", "10.0.0.2"))},
     "the name 'a' is used twice"),
])
def test_config_checks(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ProbeConfig(**kwargs)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_a_run_may_take_the_whole_interval() -> None:
    assert ProbeConfig(count=15, spacing=1.0, timeout=1.0, interval=16).run_seconds == 15


@pytest.mark.parametrize(("section", "message"), [
    ("probes:\n  cout: 10\n", "agent.yml:2: probes: unknown key 'cout' (allowed: count, "
     "interval, name, spacing, targets, timeout). Remove it or correct its spelling."),
    ("probes:\n  targets:\n    - name: a\n      address: 10.0.0.1\n      prot: 9750\n",
     "agent.yml:5: probes, targets[0]: unknown key 'prot'"),
    ("probes:\n  targets:\n    - address: 10.0.0.1\n",
     "agent.yml:3: probes, targets[0]: missing required key 'name'"),
    ("probes:\n  spacing: 1 second\n", "agent.yml:2: probes: spacing '1 second' is not a "
     "duration"),
    ("probes:\n  timeout: 0s\n", "agent.yml:2: probes: timeout must be longer than zero"),
    ("probes:\n  count: ten\n", "agent.yml:2: probes: count must be an integer"),
    ("probes:\n  targets:\n    - {name: a, address: 10.0.0.1, method: ping}\n",
     "probes, targets[0], target 'a': method 'ping' is not one of auto, icmp, tcp"),
    ("probes:\n  targets:\n    - {name: a, address: 10.0.0.1, port: http}\n",
     "target 'a': port must be an integer"),
    ("probes:\n  targets:\n    - {name: a, address: 10.0.0.1, labels: [probe_dc]}\n",
     "labels must be a mapping"),
    ("probes:\n  targets:\n    - {name: a, address: 10.0.0.1}\n"
     "    - {name: a, address: 10.0.0.2}\n",
     "agent.yml:4: probes: target name 'a' is used twice (first on line 3)"),
    ("probes:\n  targets:\n    - {name: a, address: 10.0.0.1, labels: {probe_dc: dc3}}\n",
     "agent.yml:3: probes, targets[0], target 'a': probe target a.labels.probe_dc: 'dc3'"),
    ("probes:\n  count: 20\n  targets: []\n",
     "agent.yml:2: probes: probes: a run takes (count - 1) x spacing + timeout = 20s"),
    ("probes: [a]\n", "probes: expected a mapping of count, interval"),
])
def test_loader_names_file_line_and_key(section: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(section)
    assert message in str(error.value)


def test_an_empty_section_has_no_targets() -> None:
    assert parse("probes:\n") == ProbeConfig()


def test_a_plain_mapping_goes_through_the_same_checks() -> None:
    config = probe_config_from_mapping({
        "count": 3, "spacing": "200ms", "timeout": 0.5,
        "targets": [{"name": "p", "address": "::1", "labels": {"probe_dc": "primary"}}]})
    assert config.count == 3 and config.spacing == pytest.approx(0.2)
    assert config.targets[0].labels == {"probe_dc": "primary"}
    assert probe_config_from_mapping(None) == ProbeConfig()
    with pytest.raises(ConfigError, match="unknown key 'adress'"):
        probe_config_from_mapping({"targets": [{"name": "p", "adress": "::1"}]}, "probes")
    with pytest.raises(ConfigError, match="must be a mapping"):
        probe_config_from_mapping(["x"])  # type: ignore[arg-type]


def test_a_file_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "probes.yml"
    path.write_text("count: 2\ntargets:\n  - {name: lo, address: 127.0.0.1}\n", encoding="utf-8")
    assert load_probe_config(path).targets[0].address == "127.0.0.1"
    with pytest.raises(ConfigError, match="cannot read the probe config"):
        load_probe_config(tmp_path / "missing.yml")
