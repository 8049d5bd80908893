"""What an accepted notification does: it is counted with its sender's identity, a
linkDown/linkUp edits the stored ``ifOperStatus`` at once, it is logged, and the configured
traps become alerts. Runs on the event loop, like the store it edits."""

from __future__ import annotations

import logging

from collector.runtime import Live
from collector.traps.alertmanager import AlertSender
from collector.traps.alerts import trap_alerts
from collector.traps.config import TrapsConfig
from collector.traps.links import LinkEvent, link_event
from collector.traps.metrics import TrapMetrics
from collector.traps.notification import Notification
from collector.traps.sources import Origin, Sources
from collector.traps.store_edit import set_if_oper_status

log = logging.getLogger(__name__)

__all__ = ["TrapHandler"]


class TrapHandler:
    def __init__(self, config: TrapsConfig, live: Live, metrics: TrapMetrics,
                 alerts: AlertSender | None = None) -> None:
        self.live = live
        self.metrics = metrics
        self.alerts = alerts
        self.severities = dict(config.alertmanager.traps)
        self.resolve_after = config.alertmanager.resolve_after
        self.sources = Sources(config.sources, config.max_unknown_sources)

    def __call__(self, notification: Notification, address: str) -> None:
        runtime = self.live.runtime
        inventory = runtime.inventory if runtime is not None else None
        identities = inventory.identities if inventory is not None else {}
        origin = self.sources.resolve(address, notification.agent_address, identities,
                                      self.sources.devices_of(inventory))
        trap = self.metrics.trap_label(notification.trap_oid)
        self.metrics.count(trap, origin)
        link = link_event(notification)
        log.info("trap received trap=%s version=%s kind=%s source=%s agent=%s site=%s "
                 "ifIndex=%s ifOperStatus=%s", trap, notification.version,
                 notification.kind.value, origin.source, origin.agent or "-",
                 origin.labels.get("site") or "-",
                 "-" if link is None else link.if_index, "-" if link is None else link.status)
        if link is not None:
            self._apply(link, origin)
        if self.alerts is not None:
            self.alerts.submit(trap_alerts(trap, notification, origin, link, self.severities,
                                           self.live.clock.wall(), self.resolve_after))

    def _apply(self, link: LinkEvent, origin: Origin) -> None:
        store = self.live.store
        if not origin.agent:
            result = "unknown_source"
        elif link.if_index is None:
            result = "no_if_index"
        elif store is not None and set_if_oper_status(store, origin.agent, link.if_index,
                                                      link.status, origin.instance):
            result = "updated"
        else:
            result = "no_series"
        self.metrics.link_updates[result] += 1
        if result != "updated":
            log.info("link trap not applied to the store (%s) source=%s agent=%s ifIndex=%s",
                     result, origin.source, origin.agent or "-", link.if_index)
