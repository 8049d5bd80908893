"""The collector's SNMP resources: one :class:`SnmpStack` (one UDP socket per address family,
one pysnmp engine for SNMPv3) shared by every polled device and every ``/snmp`` request, and
the module files they read, loaded at start and again when the config or inventory is
reloaded (in a worker thread: the loader parses YAML)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from collector.errors import ConfigError, NotReady
from collector.polling.config import SnmpSettings
from exporters.snmp.client import SnmpStack
from exporters.snmp.config import SnmpConfig
from exporters.snmp.config_load import load_snmp_config

log = logging.getLogger(__name__)

__all__ = ["SnmpResources"]


@dataclass
class SnmpResources:
    stack: SnmpStack = field(default_factory=SnmpStack)
    files: tuple[Path, ...] = ()
    modules: SnmpConfig | None = None

    async def load(self, settings: SnmpSettings) -> bool:
        """Read the module files ``settings`` names; True when what they say changed.
        Raises ConfigError (the running modules are kept)."""
        files = settings.module_files()
        loaded = await asyncio.to_thread(load_snmp_config, list(files))
        changed = loaded != self.modules
        if changed:
            log.info("snmp module files %s files=%s modules=%d auths=%d",
                     "loaded" if self.modules is None else "reloaded",
                     ",".join(map(str, files)), len(loaded.modules), len(loaded.auths))
            self.files, self.modules = files, loaded
        return changed

    async def follow(self, settings: SnmpSettings) -> bool:
        """:meth:`load`, logging a failure instead of raising (a reload keeps what runs)."""
        try:
            return await self.load(settings)
        except ConfigError as exc:
            log.error("snmp module files not reloaded, the running ones are kept: %s", exc)
            return False

    def require(self) -> SnmpConfig:
        if self.modules is None:
            raise NotReady("the collector is starting: its SNMP modules are not loaded yet")
        return self.modules

    def close(self) -> None:
        self.stack.close()
