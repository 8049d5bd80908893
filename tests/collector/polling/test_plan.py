"""Which columns a poll reads and which it keeps (pure)."""

from __future__ import annotations

import dataclasses

import pytest

from collector.polling.config import DEFAULT_CACHED
from collector.polling.plan import RowCheck, plan_module
from exporters.snmp.config import Module, SnmpConfig
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.values import parse_oid
from netmon.commands import netmon_modules_path
from tests.peers.snmp_exporter import SNMP_YML_021

IF_INDEX = parse_oid("1.3.6.1.2.1.2.2.1.1")
IF_DESCR = parse_oid("1.3.6.1.2.1.2.2.1.2")
IF_TYPE = parse_oid("1.3.6.1.2.1.2.2.1.3")
IF_NAME = parse_oid("1.3.6.1.2.1.31.1.1.1.1")
IF_ALIAS = parse_oid("1.3.6.1.2.1.31.1.1.1.18")


@pytest.fixture(scope="module")
def netmon_modules() -> SnmpConfig:
    return load_snmp_config([netmon_modules_path()])


def test_if_mib_keeps_the_four_interface_columns(netmon_modules: SnmpConfig) -> None:
    module = netmon_modules.modules["if_mib"]
    plan = plan_module(module, DEFAULT_CACHED)
    assert plan.cached == (IF_DESCR, IF_TYPE, IF_NAME, IF_ALIAS)
    live = [parse_oid(w) for w in plan.live.walk]
    assert live[0] == parse_oid("1.3.6.1.2.1.2.1")                 # ifNumber
    assert IF_DESCR not in live and IF_TYPE not in live and IF_NAME not in live
    assert len(live) == 1 + 20 + 17                               # ifTable, ifXTable columns
    # every metric the module maps is still read, live or kept
    for spec in module.metrics:
        oid = parse_oid(spec.oid)
        assert any(oid[:len(w)] == w for w in live) or oid in plan.cached, spec.name
    assert plan.checks == (RowCheck(IF_DESCR, IF_INDEX, exact=False),
                           RowCheck(IF_TYPE, IF_INDEX, exact=True),   # ifType is a metric
                           RowCheck(IF_NAME, IF_INDEX, exact=False),
                           RowCheck(IF_ALIAS, IF_INDEX, exact=False))
    assert plan.live.get == module.get and plan.live.metrics == module.metrics


def test_entity_sensor_keeps_entphysicalname(netmon_modules: SnmpConfig) -> None:
    plan = plan_module(netmon_modules.modules["entity_sensor"], DEFAULT_CACHED)
    assert plan.cached == (parse_oid("1.3.6.1.2.1.47.1.1.1.1.7"),)
    assert "1.3.6.1.2.1.47.1.1.1.1.7" not in plan.live.walk
    assert len(plan.live.walk) == 5


@pytest.mark.parametrize("name", ["system", "hr_cpu", "hr_storage"])
def test_modules_without_kept_columns_are_read_as_they_are(netmon_modules: SnmpConfig,
                                                           name: str) -> None:
    module = netmon_modules.modules[name]
    plan = plan_module(module, DEFAULT_CACHED)
    assert not plan.caches and plan.live is module


def test_no_columns_no_cache(netmon_modules: SnmpConfig) -> None:
    module = netmon_modules.modules["if_mib"]
    assert not plan_module(module, ()).caches
    assert plan_module(module, ("ifName",)).cached == (IF_NAME,)


def test_snmp_exporter_0_21_if_mib_keeps_its_get() -> None:
    module = load_snmp_config([SNMP_YML_021]).modules["if_mib"]
    plan = plan_module(module, DEFAULT_CACHED)
    assert plan.live.get == ("1.3.6.1.2.1.1.3.0",)
    assert plan.cached == (IF_DESCR, IF_TYPE, IF_NAME, IF_ALIAS)


def test_a_metric_holding_a_kept_column_keeps_nothing(netmon_modules: SnmpConfig) -> None:
    """A module that maps the whole ifEntry cannot be split: the columns stay live."""
    module = netmon_modules.modules["if_mib"]
    entry = dataclasses.replace(module.metrics[1], name="ifEntry", oid="1.3.6.1.2.1.2.2.1")
    odd = Module("odd", walk=("1.3.6.1.2.1.2",), metrics=(*module.metrics, entry))
    plan = plan_module(odd, ("ifType",))
    assert not plan.caches and plan.live.walk == ("1.3.6.1.2.1.2",)
