"""What the probe exporter keeps between runs: counters, histograms, sequence numbers.

The exporter object lives as long as the agent, and so do these: counters (packets sent and
received, errors by reason, smokeping_prober's requests and duplicates) and the latency
histogram only ever grow, as Prometheus counters must, and ``rate()``/``increase()`` over
them give loss and latency distributions over any window. A restart of the agent resets
them to zero, which ``rate()`` reads as a counter reset.

smokeping_prober labels its series with the probed ``ip`` and the configured ``host``; a
target whose name resolves to a new address starts new series. The state of the
:data:`MAX_ADDRESSES` most recently used addresses of each target is kept (and exported); an
older one's series end, as they would when smokeping_prober is restarted.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from exporters.probe.run import MethodName, TargetRun

__all__ = ["ERROR_REASONS", "MAX_ADDRESSES", "SMOKEPING_BUCKETS", "AddressState",
           "TargetState"]

#: smokeping_prober's default ``--buckets``: ``prometheus.ExponentialBuckets(0.00005, 2, 20)``,
#: 50 us to 26.2 s.
SMOKEPING_BUCKETS: tuple[float, ...] = tuple(0.00005 * 2.0**i for i in range(20))
#: Every reason ``netmon_probe_errors_total`` may carry, exported from the first run at 0.
ERROR_REASONS: tuple[str, ...] = ("connect", "receive", "refused", "resolve", "send",
                                  "unavailable")
MAX_ADDRESSES = 4


@dataclass
class AddressState:
    """smokeping_prober's series for one probed address of a target."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(SMOKEPING_BUCKETS))
    rtt_sum: float = 0.0
    rtt_count: int = 0
    requests: int = 0
    duplicates: int = 0

    def observe(self, rtt: float) -> None:
        """Count ``rtt`` in every bucket whose upper bound it does not exceed (cumulative
        buckets, as the exposition writes them)."""
        self.rtt_sum += rtt
        self.rtt_count += 1
        for i, bound in enumerate(SMOKEPING_BUCKETS):
            if rtt <= bound:
                self.buckets[i] += 1


@dataclass
class TargetState:
    """One target's counters since the exporter was created."""

    next_seq: int = field(default_factory=lambda: random.getrandbits(16))
    sent: int = 0
    received: int = 0
    late: int = 0
    errors: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(ERROR_REASONS,
                                                                               0)))
    addresses: dict[str, AddressState] = field(default_factory=dict)
    last_method: MethodName | None = None
    last_success: bool | None = None

    def take_sequences(self, count: int) -> int:
        """The first sequence number of a run of ``count`` packets (then the next run's
        starts after them, modulo 2^16): a late reply to a previous run never matches."""
        first = self.next_seq
        self.next_seq = (first + count) & 0xFFFF
        return first

    def record(self, run: TargetRun) -> None:
        packets = run.packets
        self.sent += packets.sent
        self.received += packets.received
        self.late += packets.late
        self.errors.update(packets.errors)
        if run.ip:
            address = self.addresses.pop(run.ip, None) or AddressState()
            self.addresses[run.ip] = address  # most recently used last
            while len(self.addresses) > MAX_ADDRESSES:
                del self.addresses[next(iter(self.addresses))]
            address.requests += packets.sent
            address.duplicates += packets.duplicates
            for rtt in packets.rtts:
                address.observe(rtt)
