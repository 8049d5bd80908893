"""The probe exporter: round trip, loss and jitter from this host to configured targets.

"Can this ward reach the data centres, and how well?" is answered from the ward: the agent
sends ``count`` ICMP echoes (or TCP connects) ``spacing`` apart to each target every
``interval``, all targets at once, and reports what came back.

Modules, one concept each: :mod:`~exporters.probe.config` (:class:`ProbeTarget`,
:class:`ProbeConfig`) and :mod:`~exporters.probe.config_load` (the ``probes:`` section of
``agent.yml``); :mod:`~exporters.probe.icmp` (echo packets, pure) and
:mod:`~exporters.probe.stats` (loss, jitter, median, pure); :mod:`~exporters.probe.sockets`
(which ICMP socket this host allows), :mod:`~exporters.probe.echo` (an ICMP run on the event
loop), :mod:`~exporters.probe.tcp_connect` (the TCP fallback),
:mod:`~exporters.probe.resolve`; :mod:`~exporters.probe.run` (one target's run),
:mod:`~exporters.probe.state` (counters kept between runs),
:mod:`~exporters.probe.families` (metric families) and :mod:`~exporters.probe.exporter`
(:class:`ProbeExporter`).

**Methods.** ICMP echo over an unprivileged ICMP datagram socket where
``net.ipv4.ping_group_range`` allows it, else over a raw socket with ``CAP_NET_RAW``, else
(``method: auto`` with a ``port``) TCP connect timing; IPv4 and IPv6 alike.
``netmon_probe_method{method,socket} 1`` says which one the last run used: ``icmp`` with
``dgram`` or ``raw``, ``tcp`` with ``stream``, or ``none`` (nothing could be sent).

**Names**, taken from the peers whose dashboards and rules should work unchanged (looked up
in their sources: blackbox_exporter ``prober/icmp.go``, ``prober/utils.go``,
``prober/handler.go``; smokeping_prober ``collector.go``, ``main.go``):

* blackbox_exporter: ``probe_success`` (1 when at least one packet of the run was answered:
  the target is reachable; loss is ``netmon_probe_loss_ratio``), ``probe_duration_seconds``
  (the whole run of the target), ``probe_dns_lookup_time_seconds``, ``probe_ip_protocol``
  (4 or 6, 0 when unresolved), ``probe_ip_addr_hash``, and for ICMP runs
  ``probe_icmp_duration_seconds{phase="resolve"|"setup"|"rtt"}``, where ``rtt`` is the
  **median** round trip of the run (blackbox sends one echo and reports its RTT; the median
  of ``count`` echoes estimates the same with less noise) and is absent when nothing came
  back (blackbox would say 0, which a latency graph would draw as a perfect path).
* smokeping_prober, with its labels ``ip`` (probed address) and ``host`` (the configured
  address) besides the target's: ``smokeping_requests_total``,
  ``smokeping_response_duration_seconds`` (histogram with its default buckets,
  ``ExponentialBuckets(0.00005, 2, 20)``), ``smokeping_response_duplicates_total``. Its
  ``source`` label (empty unless a source address is set) is not written.
* netmon's own: ``netmon_probe_method``, ``netmon_probe_loss_ratio`` (of the last run),
  ``netmon_probe_jitter_seconds`` (mean absolute difference of consecutive RTTs: see
  :mod:`~exporters.probe.stats`), ``netmon_probe_rtt_seconds{stat="min"|"median"|"max"}``
  (any method, so a target on the TCP fallback still has a latency),
  ``netmon_probe_packets_sent_total``, ``netmon_probe_packets_received_total``,
  ``netmon_probe_late_replies_total``, ``netmon_probe_errors_total{reason}``.

Every series carries ``target`` (the target's name) and the target's configured labels
(``probe_dc``, ``probe_role``, ...). Counters are cumulative for the life of the exporter.
"""

from exporters.probe.config import ProbeConfig, ProbeTarget
from exporters.probe.config_load import (
    load_probe_config,
    parse_probe_config,
    probe_config_from_mapping,
)
from exporters.probe.exporter import ProbeExporter

__all__ = [
    "ProbeConfig",
    "ProbeExporter",
    "ProbeTarget",
    "load_probe_config",
    "parse_probe_config",
    "probe_config_from_mapping",
]
