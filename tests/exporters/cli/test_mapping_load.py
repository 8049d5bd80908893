"""Mapping files are refused, with the file, line and key, when they are wrong; a site's own
mapping and templates load beside netmon's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exporters.cli.mapping import CONFIG_CHECK, MetricMapping, ValuePattern
from exporters.cli.mapping_load import default_mapping_path, load_mapping, parse_mapping
from exporters.errors import ConfigError
from tests.exporters.cli.conftest import shipped_mapping

TEMPLATE = """Value Required PEER (\\S+)
Value STATE (\\S+)
Value Filldown,List NOTES (\\S+)

Start
  ^${PEER}\\s+${STATE} -> Record
"""

GOOD = """
platform: cisco_ios
error_patterns: ['^% Invalid']
tables:
  peers:
    command: show peers
    template: peers.textfsm
    labels: {PEER: peer}
    metrics:
      - name: site_peer_up
        type: gauge
        help: Peer state.
        value: STATE
        value_map: {up: 1, down: 0, unknown: null}
config_check:
  command: show running-config
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "peers.textfsm").write_text(TEMPLATE, encoding="utf-8")
    return tmp_path


def load(site: Path, text: str) -> None:
    parse_mapping(text, "site.yml", site)


def test_shipped_mapping_covers_the_issue() -> None:
    mapping = shipped_mapping()
    assert mapping.platform == "cisco_ios"
    assert set(mapping.check_names) == {
        "interfaces", "interface_bytes", "ip_sla", "bgp", "transceiver",
        "environment_temperature", "environment_power", CONFIG_CHECK}
    assert mapping.commands.count("show interfaces") == 1  # two tables, one command
    assert default_mapping_path("cisco_xe") == default_mapping_path("cisco_ios")
    assert default_mapping_path("juniper_junos") is None


def test_a_site_mapping_with_its_own_template(site: Path) -> None:
    (site / "site.yml").write_text(GOOD, encoding="utf-8")
    mapping = load_mapping(site / "site.yml")
    metric = mapping.tables[0].metrics[0]
    assert metric.convert("up") == 1 and metric.convert("unknown") is None
    assert mapping.select(("peers",)).config_check is None
    assert mapping.select((CONFIG_CHECK,)).tables == ()
    with pytest.raises(KeyError):
        mapping.select(("nope",))


@pytest.mark.parametrize(("change", "message"), [
    (("    labels: {PEER: peer}", "    labels: {PEER: peer}\n    lables: {}"),
     "site.yml:9: tables.peers: unknown key 'lables'"),
    (("value: STATE", "value: State"), "no single value 'State'"),
    (("value: STATE", "value: NOTES"), "no single value 'NOTES'"),
    (("{PEER: peer}", "{PEER: device}"), "the label 'device' is set by the exporter"),
    (("{PEER: peer}", "{PEER: 2peer}"), "'2peer' is not a valid label name"),
    (("{PEER: peer}", "{NOTES: notes}"), "'NOTES' is a List value"),
    (("type: gauge", "type: counter"), "the counter 'site_peer_up' does not end in _total"),
    (("type: gauge", "type: summary"), "type 'summary' is not one of counter, gauge"),
    (("name: site_peer_up", "name: site-peer-up"), "'site-peer-up' is not a valid metric name"),
    (("'^% Invalid'", "'^% (Invalid'"), "is not a valid regular expression"),
    (("template: peers.textfsm", "template: ntc:no_such.textfsm"), "cannot read"),
    (("template: peers.textfsm", "template: netmon:../x.textfsm"), "give a file name"),
    (("  peers:", "  config:"), "table name 'config' is not allowed"),
    (("command: show peers", "command: ' '"), "command is empty"),
])
def test_mistakes_are_refused_with_where_and_what(site: Path, change: tuple[str, str],
                                                  message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        load(site, GOOD.replace(old, new, 1))
    assert message in str(caught.value)
    assert str(caught.value).startswith("site.yml")


def test_metrics_sharing_a_name_must_agree(site: Path) -> None:
    twice = GOOD.replace("        value_map: {up: 1, down: 0, unknown: null}\n", """\
        value_map: {up: 1, down: 0, unknown: null}
      - name: site_peer_up
        type: gauge
        help: Another help.
        value: STATE
""")
    with pytest.raises(ConfigError,
                       match=r"site\.yml:15: .*site_peer_up is also defined on line 10"):
        load(site, twice)


def test_a_template_that_does_not_compile(site: Path) -> None:
    (site / "peers.textfsm").write_text("Value X (\\S+\n\nStart\n  ^${X}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not compile"):
        load(site, GOOD)


def test_value_conversion_order_and_scale() -> None:
    metric = MetricMapping("m", "h", "gauge", "V", {"up": 1.0, "N/A": None},
                           (ValuePattern(re.compile(r"\d+ ms"), 5.0),), scale=0.001)
    assert metric.convert(" up ") == 1.0
    assert metric.convert("N/A") is None
    assert metric.convert("") is None
    assert metric.convert("12 ms") == 5.0          # a pattern before the number
    assert metric.convert("6.1") == 0.0061          # decimal arithmetic
    assert metric.convert("nan") is not None and not isinstance(metric.convert("nan"), float)
    assert not isinstance(metric.convert("1,000"), float)
