"""The collector's own SNMP polling of the inventory's devices (those with no agent).

* **One task per device**, on its own schedule (:mod:`netmon.schedule`: a fixed
  phase spread over the interval, no drift, skipped ticks counted), so a slow or dead device
  only ever delays itself.
* **Bounded concurrency**: at most ``snmp.concurrency`` polls in flight (a semaphore); a
  poll is cut at the device's ``timeout`` (its SNMP deadline half a second earlier, so the
  failure says which module and why), each request retried as its module (or the device's
  ``retries``) says.
* **One SNMP stack** for all of them and for ``/snmp`` (:mod:`collector.polling.resources`).
* **Into the store as reports are** (:mod:`collector.polling.commit`), with the lookup cache
  (:mod:`collector.polling.scrape`): every poll but the first reads fewer values.
* **Follows reloads**: it compares the running config and inventory every
  :data:`FOLLOW_SECONDS`; a device added starts, one removed stops, one changed (address,
  modules, auth, interval...) or whose module files or lookup cache settings changed restarts
  with an empty cache; ``snmp.concurrency`` is read at start only (a change is logged).
  A device naming an unknown module or auth is not polled (``netmon_target_up`` 0,
  ``netmon_target_errors_total{kind="config"}``, one log line); at start it stops the start.
* **Shares the devices** with the other collectors of its data centre when ``sharding:`` is
  configured (:mod:`collector.sharding`): it polls only the devices its view of the members
  gives it, follows that view as members die and return, and withdraws a device's series
  from the store the moment the device goes to another member (its new poller serves them),
  so no device is served twice. :meth:`Poller.elsewhere` names those devices for ``/sd`` and
  ``netmon_agent_up``, which leave them to their member.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Final

from collector.clock import SystemClock
from collector.config import CollectorConfig
from collector.errors import ConfigError
from collector.inventory import Inventory
from collector.polling.commit import commit_poll, device_batch
from collector.polling.resources import SnmpResources
from collector.polling.target import PolledTarget, PollSummary, build_target
from collector.remote_write.forwarder import Forwarder
from collector.runtime import Live, Runtime
from collector.sharding.membership import Membership
from exporters.harness import run_exporter
from netmon.schedule import Ticker, phase

log = logging.getLogger(__name__)

__all__ = ["FOLLOW_SECONDS", "Poller"]

#: How often the poller looks for a reloaded config or inventory.
FOLLOW_SECONDS: Final = 1.0


class Poller:
    def __init__(self, live: Live, snmp: SnmpResources,
                 forwarder: Forwarder | None = None,
                 shards: Membership | None = None) -> None:
        self.live = live
        self.snmp = snmp
        self.forwarder = forwarder
        self.shards = shards
        self.targets: dict[str, PolledTarget] = {}
        self.invalid: dict[str, str] = {}          # device name -> why it is not polled
        self._elsewhere: frozenset[str] = frozenset()   # polled by another member
        self._shard_version = -1
        self.in_flight = 0
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._runtime: Runtime | None = None
        self.concurrency = live.config.snmp.concurrency
        self._semaphore = asyncio.Semaphore(self.concurrency)

    @classmethod
    async def standalone(cls, config: CollectorConfig, inventory: Inventory,
                         schedule: bool = False) -> Poller:
        """A started poller with its own store and SNMP stack and no app (benchmarks,
        tests): :meth:`sweep` polls its devices; stop it with :meth:`wait_stopped` and close
        ``poller.snmp``."""
        live = Live(config, None, SystemClock())
        live.install(Runtime.build(config, inventory))
        poller = cls(live, SnmpResources())
        await poller.start(schedule=schedule)
        return poller

    # --- following the config and inventory -------------------------------------------------

    async def start(self, schedule: bool = True) -> None:
        """Load the module files and start every device (``schedule=False``: build the
        targets only, for :meth:`sweep`); raises ConfigError (bad module files, or a device
        naming an unknown module or auth)."""
        runtime, _ = self.live.require()
        await self.snmp.load(runtime.config.snmp)
        self._follow(runtime, schedule)
        if self.invalid:
            self.stop()
            raise ConfigError("; ".join(self.invalid.values()))

    async def run(self) -> None:
        """Follow reloads until cancelled."""
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            runtime = self.live.runtime
            if runtime is not None and runtime is not self._runtime:
                await self.snmp.follow(runtime.config.snmp)
                self._follow(runtime, schedule=True)
            elif (runtime is not None and self.shards is not None
                  and self.shards.version != self._shard_version):
                self._follow(runtime, schedule=True)

    def elsewhere(self, name: str) -> bool:
        """Whether another member of the data centre polls device ``name`` (sharding)."""
        return name in self._elsewhere

    def _follow(self, runtime: Runtime, schedule: bool) -> None:
        self._runtime = runtime
        modules, settings = self.snmp.require(), runtime.config.snmp
        if settings.concurrency != self.concurrency:
            log.warning("snmp.concurrency changed to %d: restart the collector to apply it "
                        "(polling %d at a time until then)", settings.concurrency,
                        self.concurrency)
        wanted = {d.name: d for d in runtime.inventory.polled_by(runtime.config.dc)}
        if self.shards is not None:
            self._shard_version = self.shards.version
            self._elsewhere = frozenset(n for n in wanted if not self.shards.owns(n))
            wanted = {n: d for n, d in wanted.items() if n not in self._elsewhere}
        for name, target in list(self.targets.items()):
            device = wanted.get(name)
            if device is None or not target.current(device, modules, settings):
                self._drop(name)
                if name in self._elsewhere:
                    self._hand_over(name)
        self.invalid = {n: why for n, why in self.invalid.items() if n in wanted}
        for name, device in wanted.items():
            if name in self.targets:
                continue
            try:
                target = build_target(device, modules, settings, self.snmp.stack)
            except ConfigError as exc:
                if self.invalid.get(name) != str(exc):
                    log.error("device not polled: %s device=%s", exc, name)
                self.invalid[name] = str(exc)
                continue
            self.invalid.pop(name, None)
            self.targets[name] = target
            if schedule:
                self._tasks[name] = asyncio.create_task(self._loop(target),
                                                        name=f"netmon-poll-{name}")
        log.info("polling devices=%d invalid=%d dc=%s%s", len(self.targets), len(self.invalid),
                 runtime.config.dc, "" if self.shards is None else
                 f" member={self.shards.me} elsewhere={len(self._elsewhere)}")

    def _hand_over(self, name: str) -> None:
        """Device ``name`` now belongs to another member: its series leave this store."""
        store = self.live.store
        if store is not None:
            store.withdraw(name)
        log.info("device handed over device=%s member=%s", name,
                 self.shards.owner(name) if self.shards is not None else "")

    def _drop(self, name: str) -> None:
        self.targets.pop(name, None)
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()

    def stop(self) -> None:
        for name in list(self.targets):
            self._drop(name)

    async def wait_stopped(self) -> None:
        tasks = list(self._tasks.values())
        self.stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- polling -----------------------------------------------------------------------------

    async def _loop(self, target: PolledTarget) -> None:
        device = target.device
        loop = asyncio.get_running_loop()
        jitter = target.settings.jitter
        ticker = Ticker.start(device.interval, phase(device.name, "snmp", device.interval,
                                                     jitter), loop.time(), time.time())
        late = 0
        while True:
            delay = ticker.due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.poll(target, ticker.due)
            skipped = ticker.advance(loop.time())
            target.stats.skipped += skipped
            if skipped and not late:
                log.warning("poll outlasted its interval, skipping ticks device=%s "
                            "interval=%gs skipped=%d", device.name, device.interval, skipped)
            elif late and not skipped:
                log.info("polls back on schedule device=%s skipped=%d", device.name, late)
            late = late + skipped if skipped else 0

    async def poll(self, target: PolledTarget, due: float | None = None) -> PollSummary:
        """Poll ``target`` once (waiting for a free slot) and store the result; ``due``: its
        tick (the loop's clock), to measure how late the poll started."""
        device = target.device
        async with self._semaphore:
            if due is not None:
                target.stats.delay = max(0.0, asyncio.get_running_loop().time() - due)
            self.in_flight += 1
            ts = time.time()
            try:
                run = await run_exporter(target.exporter, device.poll_timeout)
            finally:
                self.in_flight -= 1
        ended = time.time()
        summary = PollSummary.of(run)
        was_up, first = target.stats.up, not target.stats.polls
        target.stats.record(summary, ended)
        if (first and not summary.success) or (not first and was_up != summary.success):
            log.log(logging.INFO if summary.success else logging.WARNING,
                    "device %s device=%s address=%s%s", "answers again" if summary.success
                    else "poll failed", device.name, device.address,
                    "" if summary.success else f" errors={','.join(summary.errors)}")
        store = self.live.store
        if store is None or self.targets.get(device.name) is not target:
            return summary  # removed or rebuilt while it was polled
        await commit_poll(store, device.name, target.next_seq(),
                          device_batch(run, ts, device.interval, target.labels), ended,
                          self.forwarder)
        return summary

    async def sweep(self, names: Sequence[str] | None = None) -> list[PollSummary]:
        """Poll every device (or those named) once, concurrently within the bound: for
        ``bench/sweep.py`` and tests."""
        targets = [self.targets[n] for n in (names or list(self.targets))]
        return list(await asyncio.gather(*(self.poll(t) for t in targets)))
