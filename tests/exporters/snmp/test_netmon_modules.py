"""netmon's own module file (exporters/snmp/modules/netmon.yml) and its export to the legacy
layout that Debian's snmp_exporter 0.21 reads (exporters.snmp.legacy_layout)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from exporters.errors import ConfigError
from exporters.snmp.config import (
    Auth,
    Lookup,
    MetricSpec,
    Module,
    SecurityLevel,
    SnmpConfig,
    WalkParams,
)
from exporters.snmp.config_load import load_snmp_config, parse_snmp_config
from exporters.snmp.go_syntax import translate_go_regex
from exporters.snmp.legacy_layout import format_go_duration, go_regex_source, to_legacy_layout
from tests.peers.data import PEER_DATA
from tests.peers.process import free_tcp_port, running, tcp_ready

REPO = Path(__file__).resolve().parents[3]
NETMON_YML = REPO / "exporters" / "snmp" / "modules" / "netmon.yml"
PEERS = PEER_DATA
PEER_021 = PEERS / "snmp_exporter-0.21.0.snmp.yml"
PEER_030 = PEERS / "snmp_exporter-0.30.snmp.yml"
MODULES = ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor")


@pytest.fixture(scope="module")
def netmon() -> SnmpConfig:
    return load_snmp_config([NETMON_YML])


@pytest.fixture(scope="module")
def upstream() -> SnmpConfig:
    assert PEER_030.is_file(), f"{PEER_030} is missing: it belongs in tests/peers/data/"
    return load_snmp_config([PEER_030])


def _metric(module: Module, name: str) -> MetricSpec:
    return next(m for m in module.metrics if m.name == name)


def _under(oid: str, roots: tuple[str, ...]) -> bool:
    return any(oid == root or oid.startswith(root + ".") for root in roots)


# --- netmon.yml -------------------------------------------------------------------------------


def test_netmon_modules_load(netmon: SnmpConfig) -> None:
    assert set(MODULES) <= set(netmon.modules)
    assert {"public_v1", "public_v2", "netmon_v3"} <= set(netmon.auths)
    for module in netmon.modules.values():
        assert module.auth is None
        assert module.metrics, module.name
        assert module.walk_params == WalkParams()


def test_auths_match_snmp_exporters_and_v3_is_a_marked_placeholder(
        netmon: SnmpConfig, upstream: SnmpConfig) -> None:
    for name in ("public_v1", "public_v2"):
        assert netmon.auths[name] == upstream.auths[name]
    v3 = netmon.auths["netmon_v3"]
    assert (v3.version, v3.security_level, v3.auth_protocol, v3.priv_protocol) == \
        (3, SecurityLevel.AUTH_PRIV, "SHA", "AES")
    assert v3.password.reveal().startswith("REPLACE-ME")
    assert v3.priv_password.reveal().startswith("REPLACE-ME")
    assert len(v3.password.reveal()) >= 8 and len(v3.priv_password.reveal()) >= 8


def test_every_oid_is_under_a_walked_or_got_oid(netmon: SnmpConfig) -> None:
    for module in netmon.modules.values():
        roots = module.walk + module.get
        for metric in module.metrics:
            assert _under(metric.oid, roots), (module.name, metric.name)
            for lookup in metric.lookups:
                assert not lookup.oid or _under(lookup.oid, roots), (module.name, lookup)


def test_entries_are_generator_style(netmon: SnmpConfig) -> None:
    for module in netmon.modules.values():
        for metric in module.metrics:
            assert metric.help.endswith(f" - {metric.oid}"), (module.name, metric.name)


def test_modules_and_metric_groups_say_where_their_oids_come_from() -> None:
    lines = NETMON_YML.read_text(encoding="utf-8").splitlines()
    in_modules = False
    for number, line in enumerate(lines):
        if line == "modules:":
            in_modules = True
        elif in_modules and re.fullmatch(r"  [A-Za-z_]\w*:", line):
            assert lines[number - 1].startswith("  # "), f"no comment above module {line}"
        elif in_modules and line == "    metrics:":
            comment = lines[number + 1]
            assert comment.startswith("    # ") and "MIB" in comment and "RFC" in comment, \
                f"no source comment after line {number + 1}"


def test_if_mib_and_system_are_snmp_exporters(netmon: SnmpConfig,
                                              upstream: SnmpConfig) -> None:
    for name in ("if_mib", "system"):
        ours, theirs = netmon.module(name), upstream.module(name)
        assert (ours.walk, ours.get, ours.walk_params) == \
            (theirs.walk, theirs.get, theirs.walk_params)
        assert [(m.name, m.oid, m.type, m.indexes, m.lookups) for m in ours.metrics] == \
            [(m.name, m.oid, m.type, m.indexes, m.lookups) for m in theirs.metrics]
        assert ours.metrics == theirs.metrics  # help and enum_values too


def test_host_resources_series_are_snmp_exporters(netmon: SnmpConfig,
                                                  upstream: SnmpConfig) -> None:
    cpu = _metric(netmon.module("hr_cpu"), "hrProcessorLoad")
    assert cpu == _metric(upstream.module("hrDevice"), "hrProcessorLoad")
    storage = netmon.module("hr_storage")
    assert [m.name for m in storage.metrics] == [
        "hrStorageAllocationUnits", "hrStorageSize", "hrStorageUsed",
        "hrStorageAllocationFailures"]
    for metric in storage.metrics:
        assert metric == _metric(upstream.module("hrStorage"), metric.name)


def test_entity_sensor(netmon: SnmpConfig) -> None:
    module = netmon.module("entity_sensor")
    name = Lookup(labels=("entPhysicalIndex",), labelname="entPhysicalName",
                  oid="1.3.6.1.2.1.47.1.1.1.1.7", type="DisplayString")
    expected = {"entPhySensorType": ("1", "EnumAsInfo"), "entPhySensorScale": ("2", "EnumAsInfo"),
                "entPhySensorPrecision": ("3", "gauge"), "entPhySensorValue": ("4", "gauge"),
                "entPhySensorOperStatus": ("5", "gauge")}
    assert [m.name for m in module.metrics] == list(expected)
    for metric in module.metrics:
        column, type_ = expected[metric.name]
        assert (metric.oid, metric.type) == (f"1.3.6.1.2.1.99.1.1.1.{column}", type_)
        assert [i.labelname for i in metric.indexes] == ["entPhysicalIndex"]
        assert metric.lookups == (name,)
    assert _metric(module, "entPhySensorType").enum_values[8] == "celsius"
    assert _metric(module, "entPhySensorScale").enum_values[9] == "units"
    assert _metric(module, "entPhySensorOperStatus").enum_values == \
        {1: "ok", 2: "unavailable", 3: "nonoperational"}


# --- the legacy layout ------------------------------------------------------------------------


@pytest.mark.parametrize("auth_name", ["public_v1", "public_v2", "netmon_v3"])
def test_legacy_layout_round_trips(netmon: SnmpConfig, auth_name: str) -> None:
    text = to_legacy_layout(netmon, auth_name, MODULES)
    again = parse_snmp_config(text, "legacy.yml")
    assert list(again.modules) == list(MODULES)
    assert again.auths == {}
    chosen = netmon.auths[auth_name]
    for name in MODULES:
        module = again.module(name)
        assert module.auth == dataclasses.replace(chosen, name=name)
        assert dataclasses.replace(module, auth=None) == netmon.module(name)


def test_legacy_layout_writes_walk_params_and_regexes() -> None:
    config = parse_snmp_config(r"""
auths:
  lab: {community: lab-community, version: 1}
modules:
  m:
    walk: [1.3.6.1.4.1.9]
    max_repetitions: 10
    retries: 1
    timeout: 1m30.5s
    allow_nonincreasing_oids: true
    metrics:
    - name: temp
      oid: 1.3.6.1.4.1.9.1
      type: DisplayString
      indexes:
      - {labelname: mac, type: PhysAddress48, fixed_size: 6, implied: true}
      regex_extracts:
        Celsius:
        - regex: '(?i)(\d+)\.(\d)\bC$'
          value: $1.$2
        Raw:
        - regex: 'caf\x{E9} \Q1+1\E \z'
""", "lab.yml")
    text = to_legacy_layout(config, "lab", ["m"])
    assert "lab-community" in text, "the legacy file is a real config: secrets are written"
    again = parse_snmp_config(text, "legacy.yml").module("m")
    assert dataclasses.replace(again, auth=None) == config.module("m")
    assert again.auth is not None and again.auth.version == 1
    assert "timeout: 1m30.5s" in text
    assert "allow_nonincreasing_oids: true" in text


@pytest.fixture(scope="module")
def upstream_export(upstream: SnmpConfig) -> tuple[list[str], str]:
    """Every module of snmp_exporter's 0.30 file that 0.21 can read, in the legacy layout."""
    exportable = []
    for name in upstream.modules:
        try:
            to_legacy_layout(upstream, "public_v2", [name])
        except ConfigError:
            continue
        exportable.append(name)
    return exportable, to_legacy_layout(upstream, "public_v2", exportable)


def test_snmp_exporters_own_modules_round_trip(upstream: SnmpConfig,
                                               upstream_export: tuple[list[str], str]) -> None:
    names, text = upstream_export
    assert len(names) >= 40 and "if_mib" in names and "infrapower_pdu" in names
    again = parse_snmp_config(text, "legacy.yml")
    assert list(again.modules) == names
    for name in names:
        assert dataclasses.replace(again.module(name), auth=None) == upstream.module(name)


@pytest.mark.parametrize("go", [
    r"(?i)(\d+)\.(\d)\bC$", r"[[:alpha:]\-]+\B", r"caf\x{E9}\x{1F600}", r"a|(?m)b$|c",
    r"(?P<x>\w)(?<y>\W)", r"[^\x00-\x1f]{2,}?", r"\Qa.b\E", r"\012\101",
])
def test_go_regex_source_is_an_inverse(go: str) -> None:
    for anchored in (True, False):
        python = translate_go_regex(go, anchored)
        source = go_regex_source(re.compile(python), anchored)
        assert translate_go_regex(source, anchored) == python


@pytest.mark.parametrize(("seconds", "text"), [
    (5.0, "5s"), (0.5, "500ms"), (90.0, "1m30s"), (1.5, "1.5s"), (7200.0, "2h0m0s"),
    (0.0000015, "1.5µs"), (0.0, "0s"), (3661.25, "1h1m1.25s"),
])
def test_format_go_duration(seconds: float, text: str) -> None:
    assert format_go_duration(seconds) == text


@pytest.mark.parametrize(("extra", "construct"), [
    ("      scale: 0.1\n", "scale"),
    ("      offset: 1\n", "offset"),
    ("      display_hint: 1d\n", "display_hint"),
    ("      type: NTPTimeStamp\n", "type NTPTimeStamp"),
    ("      lookups:\n      - {labels: [i], labelname: n, oid: 1.3.6.1.9, type: EnumAsInfo,"
     " enum_values: {1: a}}\n", "enum_values on a lookup"),
])
def test_legacy_layout_refuses_what_021_does_not_know(extra: str, construct: str) -> None:
    config = parse_snmp_config(
        "modules:\n  m:\n    metrics:\n    - name: x\n      oid: 1.3.6.1.8\n"
        "      indexes: [{labelname: i, type: gauge}]\n" + extra
        + "      type: gauge\n" * (not extra.startswith("      type:")), "s.yml")
    config = dataclasses.replace(config, auths={"a": _auth()})
    with pytest.raises(ConfigError, match=rf"module 'm', metric 'x'.*: {construct} is not "
                                          r"known to snmp_exporter 0\.21"):
        to_legacy_layout(config, "a", ["m"])


def test_legacy_layout_refuses_filters_new_types_and_unknown_names(
        upstream: SnmpConfig) -> None:
    config = dataclasses.replace(upstream, auths={**upstream.auths, "a": _auth()})
    with pytest.raises(ConfigError, match=r"metric 'sfosCurrentDate': datetime_pattern is not"):
        to_legacy_layout(config, "a", ["sophos_xg"])
    filtered = parse_snmp_config("modules:\n  f:\n    filters:\n    - oid: 1.3.6.1.2\n", "f.yml")
    filtered = dataclasses.replace(filtered, auths={"a": _auth()})
    with pytest.raises(ConfigError, match="module 'f': filters is not known"):
        to_legacy_layout(filtered, "a", ["f"])
    with pytest.raises(ConfigError, match=r"unknown auth 'nope'.*public_v1"):
        to_legacy_layout(config, "nope", ["if_mib"])
    with pytest.raises(ConfigError, match="unknown module 'nope'"):
        to_legacy_layout(config, "a", ["nope"])


def _auth() -> Auth:
    return parse_snmp_config("auths:\n  a: {community: c}\n", "a.yml").auths["a"]


# --- the real snmp_exporter 0.21 --------------------------------------------------------------


def _exporter() -> str:
    path = shutil.which("prometheus-snmp-exporter")
    if path is None:
        raise RuntimeError("prometheus-snmp-exporter not found: install Debian's "
                           "'prometheus-snmp-exporter' package (.ci/run)")
    return path


def _starts(config_file: Path) -> None:
    """snmp_exporter 0.21 reads its config before it listens: listening means accepted."""
    port = free_tcp_port()
    argv = [_exporter(), f"--config.file={config_file}",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    with running(argv, "snmp_exporter", ready=tcp_ready(port), timeout=30) as peer:
        assert peer.proc.poll() is None


@pytest.mark.peers
@pytest.mark.parametrize("auth_name", ["public_v2", "netmon_v3"])
def test_snmp_exporter_021_accepts_the_legacy_export(netmon: SnmpConfig, auth_name: str,
                                                     tmp_path: Path) -> None:
    config_file = tmp_path / "snmp.yml"
    config_file.write_text(to_legacy_layout(netmon, auth_name, MODULES), encoding="utf-8")
    _starts(config_file)


@pytest.mark.peers
def test_snmp_exporter_021_accepts_the_export_of_snmp_exporters_modules(
        upstream_export: tuple[list[str], str], tmp_path: Path) -> None:
    config_file = tmp_path / "snmp.yml"
    config_file.write_text(upstream_export[1], encoding="utf-8")
    _starts(config_file)


@pytest.mark.peers
def test_snmp_exporter_021_accepts_its_own_file() -> None:
    assert PEER_021.is_file(), f"{PEER_021} is missing: it belongs in tests/peers/data/"
    _starts(PEER_021)


@pytest.mark.peers
def test_snmp_exporter_021_would_refuse_what_the_export_leaves_out(netmon: SnmpConfig,
                                                                   tmp_path: Path) -> None:
    """The check above means something: 0.21 exits on a key it does not know."""
    text = to_legacy_layout(netmon, "public_v2", ["system"])
    config_file = tmp_path / "snmp.yml"
    config_file.write_text(text.replace("      type: gauge\n", "      type: gauge\n"
                                        "      scale: 0.01\n", 1), encoding="utf-8")
    with pytest.raises(RuntimeError, match="scale"):
        _starts(config_file)
