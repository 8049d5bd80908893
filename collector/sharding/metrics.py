"""Sharding on ``/metrics`` (read at scrape time), as this member sees it:

* ``netmon_shard_member_up{member}``: 1 when the member is counted alive (this one always);
* ``netmon_shard_member_devices{member}``: the devices this member's view gives to each;
* ``netmon_shard_device_owner{target,member}``: 1 for each device of this data centre, on
  the member that owns it: which member polls what;
* ``netmon_shard_polling``: 0 during the warm-up after start, then 1;
* ``netmon_shard_health_checks_total{member,result}``, ``netmon_shard_membership_changes_total``.

Each member exports its own view; in steady state they agree, and
``count by (target) (netmon_shard_device_owner == 1)`` over the members is 1 per device only
when every view agrees (each member's series carry its ``instance``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from collector.runtime import Live
from collector.sharding.membership import Membership

__all__ = ["ShardMetrics"]


class ShardMetrics:
    def __init__(self, live: Live, membership: Membership) -> None:
        self.live = live
        self.membership = membership

    def collect(self) -> Iterator[Metric]:
        m = self.membership
        up = GaugeMetricFamily("netmon_shard_member_up", "Whether this collector counts the "
                               "member of its data centre alive.", labels=["member"])
        devices = GaugeMetricFamily("netmon_shard_member_devices", "Devices this collector's "
                                    "view of the members gives to each.", labels=["member"])
        owner = GaugeMetricFamily("netmon_shard_device_owner", "The member that polls the "
                                  "device, as this collector sees it.",
                                  labels=["target", "member"])
        checks = CounterMetricFamily("netmon_shard_health_checks", "Health checks of the "
                                     "other members, by result.", labels=["member", "result"])
        alive = set(m.alive())
        up.add_metric([m.me], 1.0)
        for name, state in sorted(m.states.items()):
            up.add_metric([name], 1.0 if name in alive else 0.0)
            for result, count in state.checks.items():
                checks.add_metric([name, result], count)
        runtime = self.live.runtime
        counts: Counter[str] = Counter({name: 0 for name in (m.me, *m.states)})
        if runtime is not None:
            for device in runtime.inventory.polled_by(runtime.config.dc):
                member = m.owner(device.name)
                counts[member] += 1
                owner.add_metric([device.name, member], 1.0)
        for name, count in sorted(counts.items()):
            devices.add_metric([name], count)
        yield from (up, devices, owner, checks)
        yield GaugeMetricFamily("netmon_shard_polling", "0 during the warm-up after start "
                                "(this member polls nothing), then 1.",
                                value=1.0 if m.polling() else 0.0)
        yield CounterMetricFamily("netmon_shard_membership_changes", "Changes of the set of "
                                  "members counted alive.", value=m.changes)
