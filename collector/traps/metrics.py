"""The trap receiver's metrics: a custom collector for the app's registry (fresh families on
every scrape, as :mod:`collector.selfmetrics` does; no ``_created`` series).

* ``netmon_snmp_traps_total{trap,source,agent,site,district,ward,role,dc}``: notifications
  accepted (traps and informs, every version). ``trap`` is the notification's name from the
  built-in table (:mod:`collector.traps.names`) or its numeric OID; past ``max_trap_oids``
  distinct numeric OIDs, ``other``. ``source`` and the identity labels: see
  :mod:`collector.traps.sources` (bounded the same way).
* ``netmon_snmp_traps_rejected_total{reason}``: datagrams refused, by :data:`REJECT_REASONS`.
* ``netmon_snmp_trap_v3_discovery_total{step}``: SNMPv3 Reports sent as part of RFC 3414's
  discovery (``engine_id``: a sender asked for this engine's ID; ``time_window``: a sender's
  clock for this engine was re-synchronised). One or two per sender after it or the
  collector starts; not refusals.
* ``netmon_snmp_trap_if_oper_status_updates_total{result}``: linkDown/linkUp applied to the
  store: ``updated`` (series edited), ``no_series`` (the agent has no such interface stored,
  or is down), ``unknown_source`` (the sender maps to no agent), ``no_if_index``.
* ``netmon_snmp_trap_alerts_total{result}``: alerts for Alertmanager: ``sent``, ``failed``
  (refused, or out of retries), ``dropped`` (queue full, or pending at stop).
* ``netmon_snmp_trap_engine_info{engine_id}`` 1: the engine ID SNMPv3 senders of informs use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from collector.inventory import IDENTITY_LABELS
from collector.traps.names import NAMES
from collector.traps.sources import OTHER, Origin
from exporters.snmp.values import Oid, format_oid

__all__ = ["REJECT_REASONS", "TRAP_LABELS", "TrapMetrics"]

TRAP_LABELS: Final = ("trap", "source", *IDENTITY_LABELS)
REJECT_REASONS: Final = (
    "malformed",              # not BER as SNMP writes it (or truncated)
    "unsupported",            # not a notification PDU, or an unknown SNMP version
    "community",              # v1/v2c with a community not in traps.communities
    "overload",               # the queue was full
    "v3_disabled",            # an SNMPv3 message, and no traps.users
    "v3_unknown_user",
    "v3_authentication",      # wrong digest: wrong password or protocol, or tampering
    "v3_decryption",          # wrong privacy password or protocol
    "v3_security_level",      # less security than the user requires
    "v3_dropped",             # any other SNMPv3 message pysnmp dropped
    "error",                  # a bug: logged with its trace
)
LINK_RESULTS: Final = ("updated", "no_series", "unknown_source", "no_if_index")
ALERT_RESULTS: Final = ("sent", "failed", "dropped")
DISCOVERY_STEPS: Final = ("engine_id", "time_window")


class TrapMetrics:
    def __init__(self, engine_id: str, max_trap_oids: int) -> None:
        self.engine_id = engine_id
        self.max_trap_oids = max_trap_oids
        self.traps: dict[tuple[str, ...], int] = {}
        self.rejected = dict.fromkeys(REJECT_REASONS, 0)
        self.link_updates = dict.fromkeys(LINK_RESULTS, 0)
        self.alerts = dict.fromkeys(ALERT_RESULTS, 0)
        self.discovery = dict.fromkeys(DISCOVERY_STEPS, 0)
        self._numeric: set[str] = set()

    def trap_label(self, oid: Oid) -> str:
        """The ``trap`` label: a name, a numeric OID, or ``other`` past the bound."""
        name = NAMES.get(oid)
        if name is not None:
            return name
        text = format_oid(oid)
        if text in self._numeric:
            return text
        if len(self._numeric) < self.max_trap_oids:
            self._numeric.add(text)
            return text
        return OTHER

    def count(self, trap: str, origin: Origin) -> None:
        key = (trap, origin.source, *(origin.labels.get(k, "") for k in IDENTITY_LABELS))
        self.traps[key] = self.traps.get(key, 0) + 1

    def reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def collect(self) -> Iterator[Metric]:
        traps = CounterMetricFamily("netmon_snmp_traps", "SNMP notifications (traps and "
                                    "informs) accepted, by trap and sender.",
                                    labels=list(TRAP_LABELS))
        for key, count in self.traps.items():
            traps.add_metric(list(key), count)
        yield traps
        yield _by("netmon_snmp_traps_rejected", "Datagrams refused by the trap receiver, by "
                  "reason.", "reason", self.rejected)
        yield _by("netmon_snmp_trap_v3_discovery", "SNMPv3 Reports sent for RFC 3414 "
                  "discovery (engine ID, time window): expected after a start.", "step",
                  self.discovery)
        yield _by("netmon_snmp_trap_if_oper_status_updates", "linkDown/linkUp notifications "
                  "applied to the stored ifOperStatus, by result.", "result",
                  self.link_updates)
        yield _by("netmon_snmp_trap_alerts", "Alerts made of traps for Alertmanager, by "
                  "result.", "result", self.alerts)
        info = GaugeMetricFamily("netmon_snmp_trap_engine_info", "The collector's SNMP "
                                 "engine ID (hex): the authoritative engine of SNMPv3 "
                                 "informs.", labels=["engine_id"])
        info.add_metric([self.engine_id], 1.0)
        yield info


def _by(name: str, documentation: str, label: str, counts: dict[str, int]) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in counts.items():
        family.add_metric([value], count)
    return family
