"""The lookup cache: fewer values per poll, the same series, and a refresh whenever the
device says its tables may have changed."""

from __future__ import annotations

import dataclasses

import pytest

from collector.polling.config import LookupCacheConfig
from collector.polling.scrape import CachedScrape
from exporters.exposition import render
from exporters.snmp.config import Module
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.mapping import CompiledModule, map_pdus, pdus_by_oid
from exporters.snmp.scrape import ScrapeResult, scrape_module
from exporters.snmp.values import Oid, parse_oid
from netmon.commands import netmon_modules_path
from tests.collector.polling.fakes import (
    IF_TABLE_LAST_CHANGE,
    SYS_UPTIME,
    FakeSession,
    ward_router_values,
)

IF_MIB = load_snmp_config([netmon_modules_path()]).modules["if_mib"]


@dataclasses.dataclass
class Clock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def series(module: Module, result: ScrapeResult) -> bytes:
    return render(map_pdus(CompiledModule.build(module), pdus_by_oid(result.varbinds)))


@pytest.fixture
def device() -> FakeSession:
    return FakeSession(ward_router_values())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scrape(clock: Clock) -> CachedScrape:
    return CachedScrape("hn-dc-primary-sw1", LookupCacheConfig(refresh=600.0), clock)


async def test_the_second_poll_reads_fewer_values_and_maps_the_same_series(
        device: FakeSession, scrape: CachedScrape) -> None:
    full = await scrape_module(FakeSession(device.values), IF_MIB)
    first = await scrape(device, IF_MIB)
    second = await scrape(device, IF_MIB)
    assert series(IF_MIB, first) == series(IF_MIB, second) == series(IF_MIB, full)
    assert len(full.varbinds) == 960
    # first: everything plus the markers (sysUpTime, ifTableLastChange); then 4 columns
    # of 24 interfaces fewer
    assert first.pdus == 960 + 2
    assert second.pdus == 960 - 4 * 24 + 2 == 866
    assert second.pdus_returned < first.pdus_returned
    assert scrape.refreshes == {"first": 1}


@pytest.mark.parametrize(("change", "reason"), [
    ({SYS_UPTIME: (67, 1000)}, "restarted"),                    # uptime went back: a reboot
    ({IF_TABLE_LAST_CHANGE: (67, 5)}, "changed"),               # a row created or deleted
])
async def test_a_sign_of_change_reads_the_columns_again(
        device: FakeSession, scrape: CachedScrape, change: dict[Oid, tuple[int, int]],
        reason: str) -> None:
    await scrape(device, IF_MIB)
    device.values.update(change)
    device.values[parse_oid("1.3.6.1.2.1.31.1.1.1.1.4")] = (4, b"ge-0/0/1")   # renamed
    result = await scrape(device, IF_MIB)
    assert scrape.refreshes[reason] == 1
    assert b'ifName="ge-0/0/1"' in series(IF_MIB, result)
    assert result.pdus == 960 + 2
    again = await scrape(device, IF_MIB)          # and then it is cheap again
    assert again.pdus == 866


async def test_uptime_going_forward_changes_nothing(device: FakeSession,
                                                   scrape: CachedScrape) -> None:
    await scrape(device, IF_MIB)
    tag, uptime = device.values[SYS_UPTIME]
    assert isinstance(uptime, int)
    device.values[SYS_UPTIME] = (tag, uptime + 6000)
    assert (await scrape(device, IF_MIB)).pdus == 866
    assert scrape.refreshes == {"first": 1}


async def test_a_new_interface_is_noticed_without_iftablelastchange(
        device: FakeSession, scrape: CachedScrape) -> None:
    del device.values[IF_TABLE_LAST_CHANGE]
    await scrape(device, IF_MIB)
    for oid, value in list(device.values.items()):          # interface 4 copied as 99
        if oid[:9] == (1, 3, 6, 1, 2, 1, 2, 2, 1) and oid[-1] == 4:
            device.values[(*oid[:-1], 99)] = value
        if oid[:10] == (1, 3, 6, 1, 2, 1, 31, 1, 1, 1) and oid[-1] == 4:
            device.values[(*oid[:-1], 99)] = value
    result = await scrape(device, IF_MIB)
    assert scrape.refreshes["rows"] == 1
    assert b'ifIndex="99",ifName="eth1"' in series(IF_MIB, result)


async def test_a_removed_interface_drops_its_kept_iftype(device: FakeSession,
                                                         scrape: CachedScrape) -> None:
    del device.values[IF_TABLE_LAST_CHANGE]
    await scrape(device, IF_MIB)
    for oid in [o for o in device.values if o[-1] == 24 and (
            o[:9] == (1, 3, 6, 1, 2, 1, 2, 2, 1) or o[:10] == (1, 3, 6, 1, 2, 1, 31, 1, 1, 1))]:
        del device.values[oid]
    result = await scrape(device, IF_MIB)
    # ifType is a metric: a kept row for an interface that is gone would be a series
    assert scrape.refreshes["rows"] == 1
    assert b'ifIndex="24"' not in series(IF_MIB, result)


async def test_the_columns_expire(device: FakeSession, scrape: CachedScrape,
                                  clock: Clock) -> None:
    await scrape(device, IF_MIB)
    clock.now += 599
    assert (await scrape(device, IF_MIB)).pdus == 866
    clock.now += 1
    assert (await scrape(device, IF_MIB)).pdus == 962
    assert scrape.refreshes["expired"] == 1


async def test_disabled_or_nothing_to_keep_reads_as_snmp_exporter(device: FakeSession) -> None:
    scrape = CachedScrape("d", LookupCacheConfig(enabled=False))
    first, second = await scrape(device, IF_MIB), await scrape(device, IF_MIB)
    assert first.pdus is None and second.pdus_returned == 960
    system = load_snmp_config([netmon_modules_path()]).modules["system"]
    assert (await CachedScrape("d", LookupCacheConfig())(device, system)).pdus is None


async def test_a_restart_after_the_refresh_is_noticed_by_the_next_poll(
        device: FakeSession, scrape: CachedScrape) -> None:
    """The uptime is compared with the previous poll's, not the refresh's: a router that
    was refreshed at 10 min of uptime and restarts at 20 min is seen at 15 min."""
    device.values[SYS_UPTIME] = (67, 60_000)
    await scrape(device, IF_MIB)
    device.values[SYS_UPTIME] = (67, 120_000)
    assert (await scrape(device, IF_MIB)).pdus == 866
    device.values[SYS_UPTIME] = (67, 90_000)
    assert (await scrape(device, IF_MIB)).pdus == 962
    assert scrape.refreshes["restarted"] == 1
