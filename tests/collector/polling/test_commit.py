"""A poll becomes the wire batch an agent would send for the same router."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import pytest
from prometheus_client import Metric

from collector.clock import SystemClock
from collector.inventory import Identity
from collector.polling.commit import commit_poll, device_batch
from collector.remote_write.config import Forward, RemoteWriteConfig
from collector.store import Outcome, Store
from exporters.harness import ExporterRun, harness_families
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.mapping import CompiledModule, map_pdus
from exporters.target_labels import TargetLabels
from netmon import wire
from netmon.commands import netmon_modules_path
from tests.collector.polling.conftest import device, with_devices
from tests.collector.polling.fakes import ward_router_values


class _Fixed:
    name = "snmp:r0"

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    async def collect(self) -> list[Metric]:
        return self.families


async def test_the_batch_is_the_agent_s() -> None:
    module = load_snmp_config([netmon_modules_path()]).modules["if_mib"]
    families = map_pdus(CompiledModule.build(module), ward_router_values())
    odd = Metric("odd", "special values", "gauge")
    odd.add_sample("odd", {"instance": "own"}, math.nan)
    odd.add_sample("odd", {"x": "1"}, math.inf)
    odd.add_sample("odd_extra", {}, -math.inf)
    families.append(odd)
    run = ExporterRun("snmp:r0", 0.25, True, families)
    ours = device_batch(run, 1000.0, 60.0, {"instance": "10.1.2.3"})
    wrapped = await TargetLabels(_Fixed(families), {"instance": "10.1.2.3"}).collect()
    agent = wire.batch("snmp:r0", 1000.0, 60.0, [*wrapped, *harness_families([run])])
    assert ours == agent
    assert len(ours.families) == len(families) + 2


@dataclasses.dataclass
class _Forwarder:
    """Stands for collector.remote_write.forwarder.Forwarder: what was submitted."""

    config: Any
    submitted: list[tuple[list[wire.Batch], Identity]] = dataclasses.field(
        default_factory=list)

    async def submit(self, batches: list[wire.Batch], identity: Identity) -> None:
        self.submitted.append((batches, identity))


@pytest.mark.parametrize("forward", [Forward.ALL, Forward.LATE])
async def test_a_poll_is_stored_and_forwarded_as_a_report(forward: Forward) -> None:
    inventory = with_devices((device("r0", "00001", "127.0.0.1:161"),))
    store = Store(inventory, 3.0, SystemClock())
    run = ExporterRun("snmp:r0", 0.1, True, [_gauge()])
    batch = device_batch(run, time.time(), 60.0, {"instance": "127.0.0.1:161"})
    forwarder = _Forwarder(RemoteWriteConfig(url="http://127.0.0.1:1/api/v1/write",
                                             forward=forward))
    commit = await commit_poll(store, "r0", 7, batch, time.time(),
                               forwarder)  # type: ignore[arg-type]
    assert commit is not None and commit.outcome is Outcome.ACCEPTED and commit.samples == 3
    assert store.agents["r0"].is_up(store.clock.monotonic(), store.staleness)
    if forward is Forward.ALL:
        ((batches, identity),) = forwarder.submitted
        assert batches == [batch] and identity == inventory.identities["r0"]
    else:
        assert forwarder.submitted == []
    assert await commit_poll(store, "gone", 8, batch, time.time()) is None


def _gauge() -> Metric:
    metric = Metric("sysUpTime", "uptime", "gauge")
    metric.add_sample("sysUpTime", {}, 100.0)
    return metric
