"""What a running collector works with, swapped whole on reload.

:class:`Runtime` is immutable (config, inventory, scope membership); :class:`Live` holds the
current one and the :class:`~collector.store.Store`, whose state outlives reloads. Handlers
take ``live.require()`` once per request, so a request sees one consistent runtime even if a
reload lands while it waits for I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from collector.clock import Clock
from collector.config import CollectorConfig
from collector.config_load import ConfigSource
from collector.errors import NotReady
from collector.inventory import Inventory
from collector.scopes import ScopeIndex
from collector.store import Store

__all__ = ["Live", "Runtime"]


@dataclass(frozen=True, slots=True)
class Runtime:
    config: CollectorConfig
    inventory: Inventory
    scopes: ScopeIndex

    @classmethod
    def build(cls, config: CollectorConfig, inventory: Inventory) -> Runtime:
        return cls(config, inventory, ScopeIndex.build(config.scopes, inventory))


def _nowhere(name: str) -> bool:
    return False


@dataclass(slots=True)
class Live:
    config: CollectorConfig                 # the config the app was created with
    source: ConfigSource | None             # where a reload reads the config again
    clock: Clock
    runtime: Runtime | None = None
    store: Store | None = None
    reloading: asyncio.Lock = field(default_factory=asyncio.Lock)
    warned_inflated: bool = False           # see collector.ingest
    #: devices another collector of the data centre polls (sharding: Poller.elsewhere);
    #: ``/sd`` and ``netmon_agent_up`` leave them to it.
    elsewhere: Callable[[str], bool] = _nowhere

    def install(self, runtime: Runtime) -> Store:
        """Make ``runtime`` current; the store follows its inventory (state kept)."""
        config = runtime.config
        if self.store is None:
            self.store = Store(runtime.inventory, config.staleness_intervals, self.clock,
                               config.late_after_intervals)
        else:
            self.store.apply_inventory(runtime.inventory, config.staleness_intervals,
                                       config.late_after_intervals)
        self.runtime = runtime
        return self.store

    def require(self) -> tuple[Runtime, Store]:
        if self.runtime is None or self.store is None:
            raise NotReady("the collector is starting: its inventory is not loaded yet")
        return self.runtime, self.store
