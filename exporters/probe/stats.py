"""What one run of a target measured, and the statistics made from it. Pure.

Definitions (seconds and ratios; every figure is per run, i.e. per interval):

* **loss ratio**: ``1 - received / count``, where ``count`` is the packets the run meant to
  send. A packet that could not be sent (no route, no name, no socket) is lost like one that
  got no answer: in both cases the path did not carry it. A reply later than the timeout is
  lost too (``ping -W`` semantics).
* **RTT**: each answered packet's round trip, from just before the request left to the
  kernel's receive timestamp of the reply (see :mod:`exporters.probe.echo`).
* **median RTT**: the median of the run's RTTs; what ``probe_icmp_duration_seconds
  {phase="rtt"}`` reports. blackbox_exporter reports one packet's RTT; the median of a run
  estimates the same typical round trip with less noise and is not pulled by one outlier.
  The histogram keeps the tail.
* **jitter**: the mean absolute difference between the RTTs of consecutive answered packets,
  in the order they were sent: ``mean(|rtt[i] - rtt[i-1]|)``. This is RFC 3550's
  inter-arrival jitter ``|D(i-1, i)|`` taken on round trips, without its running 1/16
  smoothing (each run stands alone) and skipping over lost packets (a loss does not make a
  pair). It needs two answers; with fewer it is not reported.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["PacketResults", "jitter", "loss_ratio", "median"]


def loss_ratio(count: int, received: int) -> float:
    """The share of ``count`` packets that got no (timely) answer."""
    if count <= 0:
        raise ValueError(f"count must be positive, got {count}")
    return 1.0 - min(received, count) / count


def jitter(rtts: Sequence[float]) -> float | None:
    """Mean absolute difference of consecutive RTTs (in send order); None below two."""
    if len(rtts) < 2:
        return None
    return sum(abs(b - a) for a, b in itertools.pairwise(rtts)) / (len(rtts) - 1)


def median(rtts: Sequence[float]) -> float | None:
    return statistics.median(rtts) if rtts else None


@dataclass
class PacketResults:
    """What the packets of one run did.

    ``rtts`` holds the answered packets' round trips in the order the requests were sent;
    ``sent`` counts requests the kernel accepted (ICMP) or connects started (TCP); ``errors``
    counts failures by reason (``send``, ``receive``, ``refused``, ...), ``late`` replies that
    came after the timeout, ``duplicates`` second replies to one request.
    """

    count: int
    sent: int = 0
    rtts: list[float] = field(default_factory=list)
    late: int = 0
    duplicates: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def received(self) -> int:
        return len(self.rtts)

    @property
    def loss_ratio(self) -> float:
        return loss_ratio(self.count, self.received)

    @property
    def jitter(self) -> float | None:
        return jitter(self.rtts)

    @property
    def median(self) -> float | None:
        return median(self.rtts)
