"""The trap receiver of one collector, as the app holds it: config, metrics, and (between
:meth:`Traps.start` and :meth:`Traps.stop`) the socket, the v3 engine and the alert sender.

The metrics exist from construction, so they can be registered with the app's registry
when the app is built; everything that needs the event loop starts in :meth:`start`.

**Reloads** (SIGHUP, ``POST /-/reload``): :meth:`apply` takes the reloaded ``traps:``. When
it differs, the receiver is stopped and started again with it (the socket is rebound, the
v3 users and engine ID, sources, bounds and Alertmanager taken anew; the counters go on).
Notifications that arrive in those few milliseconds are lost (UDP; an inform is retried by
its sender). If the new section cannot start (its port is taken), the old one is started
again and the error logged. ``traps:`` removed or ``enabled: false`` stops the receiver;
a receiver that was not configured at start is not started by a reload (its metrics were
not registered with the app, and no task follows reloads for it): that needs a restart.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from collector.errors import ConfigError
from collector.runtime import Live
from collector.traps.alertmanager import AlertSender
from collector.traps.config import TrapsConfig
from collector.traps.engine_id import default_engine_id, format_engine_id
from collector.traps.handler import TrapHandler
from collector.traps.metrics import TrapMetrics
from collector.traps.receiver import Receiver

log = logging.getLogger(__name__)

__all__ = ["Traps"]


class Traps:
    def __init__(self, config: TrapsConfig) -> None:
        self.config = config
        self.engine_id = config.engine_id or default_engine_id()
        self.metrics = TrapMetrics(format_engine_id(self.engine_id), config.max_trap_oids)
        self.receiver: Receiver | None = None
        self._alerts: AlertSender | None = None
        self._alert_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where the receiver listens (the real port when ``listen`` asked for port 0)."""
        assert self.receiver is not None, "the trap receiver is not started"
        return self.receiver.address

    async def start(self, live: Live) -> None:
        config = self.config
        if config.alertmanager.enabled:
            self._alerts = AlertSender(config.alertmanager, self.metrics)
        handler = TrapHandler(config, live, self.metrics, self._alerts)
        usm = None
        if config.users:
            from collector.traps.usm import UsmReceiver  # pysnmp only when v3 is configured
            usm = UsmReceiver(config.users, self.engine_id, handler, self.metrics)
        communities = tuple(c.reveal().encode() for c in config.communities)
        receiver = Receiver(communities, config.queue, handler, self.metrics, usm)
        try:
            await receiver.start(config.host, config.port)
        except OSError as exc:
            if usm is not None:
                usm.close()
            raise ConfigError(f"traps.listen {config.listen}: cannot receive there "
                              f"({exc.strerror or exc}). Choose a free port on an address of "
                              "this host (ports below 1024 need CAP_NET_BIND_SERVICE).") \
                from None
        self.receiver = receiver
        if self._alerts is not None:
            self._session = aiohttp.ClientSession()
            self._alert_task = asyncio.create_task(self._alerts.run(self._session),
                                                   name="netmon-traps-alertmanager")
        host, port = receiver.address
        log.info("trap receiver listening address=%s:%d communities=%d v3_users=%d "
                 "engine_id=%s sources=%d alertmanager=%s", host, port,
                 len(config.communities), len(config.users), self.metrics.engine_id,
                 len(config.sources), config.alertmanager.url or "-")

    async def apply(self, config: TrapsConfig, live: Live) -> bool:
        """Take a reloaded ``traps:`` (see the module's docstring); True when it changed."""
        if config == self.config:
            return False
        old = self.config
        await self.stop()
        # a closed datagram transport releases its socket on the loop's next iterations
        for _ in range(3):
            await asyncio.sleep(0)
        self.config = config
        if not config.enabled:
            log.warning("trap receiver stopped: traps is disabled or removed by a reload")
            return True
        self._configure(config)
        try:
            await self.start(live)
        except ConfigError as exc:
            log.error("traps not reloaded, the running section is kept: %s", exc)
            self.config = old
            self._configure(old)
            if old.enabled:
                try:
                    await self.start(live)
                except ConfigError as again:  # its port was taken meanwhile
                    log.error("trap receiver stopped: %s", again)
            return False
        log.info("trap receiver reloaded")
        return True

    def _configure(self, config: TrapsConfig) -> None:
        self.engine_id = config.engine_id or default_engine_id()
        self.metrics.engine_id = format_engine_id(self.engine_id)
        self.metrics.max_trap_oids = config.max_trap_oids

    async def stop(self) -> None:
        """Stop receiving, then let the alert sender go (unsent alerts are counted)."""
        if self.receiver is not None:
            await self.receiver.stop()
            self.receiver = None
        if self._alerts is not None and self._alert_task is not None:
            await self._alerts.stop(self._alert_task)
            self._alert_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
