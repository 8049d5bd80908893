"""The probe exporter's metric families, built fresh from each run and the kept counters.

Every series carries the target's labels (``target``, ``probe_dc``, ``probe_role``, ...).
Names, with the peer whose name and meaning they take (see :mod:`exporters.probe`):

=============================================  =========================================
family                                         as in
=============================================  =========================================
``probe_success``                              blackbox_exporter (any reply in the run)
``probe_duration_seconds``                     blackbox_exporter (the whole run)
``probe_dns_lookup_time_seconds``              blackbox_exporter
``probe_ip_protocol``                          blackbox_exporter (4, 6; 0 unresolved)
``probe_ip_addr_hash``                         blackbox_exporter
``probe_icmp_duration_seconds{phase}``         blackbox_exporter's ICMP prober (ICMP runs)
``smokeping_requests_total{ip,host}``          smokeping_prober
``smokeping_response_duration_seconds{ip,host}``  smokeping_prober (histogram, its buckets)
``smokeping_response_duplicates_total{ip,host}``  smokeping_prober
``netmon_probe_*``                             netmon's own
=============================================  =========================================
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Metric

from exporters.gofloat import format_g
from exporters.probe.resolve import ip_addr_hash
from exporters.probe.run import TargetRun
from exporters.probe.state import SMOKEPING_BUCKETS, TargetState

__all__ = ["probe_families"]

_LE = tuple(format_g(bound) for bound in SMOKEPING_BUCKETS)


def _gauge(name: str, text: str) -> Metric:
    return Metric(name, text, "gauge")


def _counter(name: str, text: str) -> Metric:
    return Metric(name, text, "counter")


class _Families:
    def __init__(self) -> None:
        self.success = _gauge("probe_success",
                              "Displays whether or not the probe was a success")
        self.duration = _gauge("probe_duration_seconds",
                               "Returns how long the probe took to complete in seconds")
        self.dns = _gauge("probe_dns_lookup_time_seconds",
                          "Returns the time taken for probe dns lookup in seconds")
        self.ip_protocol = _gauge("probe_ip_protocol",
                                  "Specifies whether probe ip protocol is IP4 or IP6")
        self.ip_hash = _gauge("probe_ip_addr_hash", "Specifies the hash of IP address. It's "
                              "useful to detect if the IP address changes.")
        self.icmp = _gauge("probe_icmp_duration_seconds", "Duration of icmp request by phase "
                           "(rtt: the median round trip of the run's echoes)")
        self.requests = _counter("smokeping_requests_total", "Number of ping requests sent")
        self.histogram = Metric("smokeping_response_duration_seconds",
                                "A histogram of latencies for ping responses.", "histogram")
        self.duplicates = _counter("smokeping_response_duplicates_total",
                                   "The number of duplicated response packets.")
        self.method = _gauge("netmon_probe_method", "netmon probe: the method the last run "
                             "used (icmp over a dgram or raw socket, tcp connect, or none).")
        self.loss = _gauge("netmon_probe_loss_ratio", "netmon probe: share of the last run's "
                           "packets that got no answer within the timeout.")
        self.jitter = _gauge("netmon_probe_jitter_seconds", "netmon probe: mean absolute "
                             "difference of consecutive round trips in the last run.")
        self.rtt = _gauge("netmon_probe_rtt_seconds", "netmon probe: round trip of the last "
                          "run's answered packets (min, median, max), any method.")
        self.sent = _counter("netmon_probe_packets_sent_total",
                             "netmon probe: packets (or TCP connects) sent.")
        self.received = _counter("netmon_probe_packets_received_total",
                                 "netmon probe: answers received within the timeout.")
        self.late = _counter("netmon_probe_late_replies_total",
                             "netmon probe: answers that came after the timeout (counted lost).")
        self.errors = _counter("netmon_probe_errors_total", "netmon probe: failures by reason "
                               "(resolve, unavailable: per run; send, receive, refused, "
                               "connect: per packet).")

    def all(self) -> list[Metric]:
        return [self.success, self.duration, self.dns, self.ip_protocol, self.ip_hash,
                self.icmp, self.requests, self.histogram, self.duplicates, self.method,
                self.loss, self.jitter, self.rtt, self.sent, self.received,
                self.late, self.errors]


def probe_families(runs: Sequence[TargetRun], states: dict[str, TargetState]) -> list[Metric]:
    """Families for the last run of each target and the counters kept in ``states``."""
    f = _Families()
    for run in runs:
        state = states[run.target.name]
        labels = run.target.series_labels
        packets = run.packets
        f.success.add_sample(f.success.name, labels, 1.0 if run.success else 0.0)
        f.duration.add_sample(f.duration.name, labels, run.duration_seconds)
        f.dns.add_sample(f.dns.name, labels, run.resolve_seconds)
        f.ip_protocol.add_sample(f.ip_protocol.name, labels, float(run.version))
        if run.ip:
            f.ip_hash.add_sample(f.ip_hash.name, labels, ip_addr_hash(run.ip))
        if run.method == "icmp":
            for phase, value in (("resolve", run.resolve_seconds),
                                 ("setup", run.setup_seconds), ("rtt", packets.median)):
                if value is not None:
                    f.icmp.add_sample(f.icmp.name, {**labels, "phase": phase}, value)
        f.method.add_sample(f.method.name, {**labels, "method": run.method,
                                            "socket": run.socket}, 1.0)
        f.loss.add_sample(f.loss.name, labels, packets.loss_ratio)
        if packets.jitter is not None:
            f.jitter.add_sample(f.jitter.name, labels, packets.jitter)
        if packets.rtts:
            for stat, value in (("min", min(packets.rtts)), ("median", packets.median),
                                ("max", max(packets.rtts))):
                f.rtt.add_sample(f.rtt.name, {**labels, "stat": stat}, float(value or 0.0))
        f.sent.add_sample(f.sent.name, labels, float(state.sent))
        f.received.add_sample(f.received.name, labels, float(state.received))
        f.late.add_sample(f.late.name, labels, float(state.late))
        for reason in sorted(state.errors):
            f.errors.add_sample(f.errors.name, {**labels, "reason": reason},
                                float(state.errors[reason]))
        for ip, address in state.addresses.items():
            peer = {**labels, "ip": ip, "host": run.target.address}
            f.requests.add_sample(f.requests.name, peer, float(address.requests))
            f.duplicates.add_sample(f.duplicates.name, peer, float(address.duplicates))
            name = f.histogram.name
            for le, count in zip(_LE, address.buckets, strict=True):
                f.histogram.add_sample(f"{name}_bucket", {**peer, "le": le}, float(count))
            f.histogram.add_sample(f"{name}_bucket", {**peer, "le": "+Inf"},
                                   float(address.rtt_count))
            f.histogram.add_sample(f"{name}_sum", peer, address.rtt_sum)
            f.histogram.add_sample(f"{name}_count", peer, float(address.rtt_count))
    return f.all()
