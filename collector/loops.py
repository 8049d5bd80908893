"""The app's long-lived parts, as aiohttp ``cleanup_ctx`` generators (start in order, stop
in reverse)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Final

import aiohttp
from aiohttp import web

from collector.errors import ConfigError
from collector.reload import load_runtime, reload
from collector.remote_write.errors import SpoolError
from collector.state import ADMISSION, FORWARDER, LIVE, POLLER, SNMP

log = logging.getLogger(__name__)

__all__ = ["SWEEP_SECONDS", "admission_ctx", "inventory_ctx", "remote_write_ctx", "sighup_ctx",
           "snmp_ctx", "sweeper_ctx"]

#: How often stale batches and agents are withdrawn (rendering checks ages as well).
SWEEP_SECONDS: Final = 1.0


async def inventory_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load config and inventory before serving (a bad file stops the start)."""
    await load_runtime(app, first=True)
    yield


async def admission_ctx(app: web.Application) -> AsyncIterator[None]:
    """Measure the event loop's lag for admission control (:mod:`collector.admission`)."""
    task = asyncio.create_task(app[ADMISSION].lag.run(), name="netmon-loop-lag")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    live = app[LIVE]

    async def sweep() -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            if live.store is not None:
                live.store.sweep()

    task = asyncio.create_task(sweep(), name="netmon-collector-sweeper")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def remote_write_ctx(app: web.Application) -> AsyncIterator[None]:
    """The remote_write spool (opened before the first push) and its sender loop, with the
    process's one client session. At stop: a request in flight is let finish (up to its
    timeout; see :meth:`Forwarder.stop`), the loop ends, then the spool is closed."""
    forwarder = app[FORWARDER]
    try:
        await forwarder.spool.open()
    except SpoolError as exc:
        raise ConfigError(f"remote_write.spool.path: {exc}. Check the path and that the "
                          "collector's user may write there.") from None
    store = app[LIVE].store
    if store is not None and forwarder.spool.acked:
        restored = store.restore_acked(forwarder.spool.acked)
        log.info("acknowledged report numbers restored from the remote_write spool agents=%d",
                 restored)
    session = aiohttp.ClientSession()
    task = asyncio.create_task(forwarder.run(session), name="netmon-collector-remote-write")
    yield
    try:
        await forwarder.stop(task)
    finally:
        await session.close()


async def snmp_ctx(app: web.Application) -> AsyncIterator[None]:
    """The SNMP module files (``/snmp``) and the polling of the inventory's devices; a bad
    module file, or a device naming an unknown module or auth, stops the start. At stop the
    polls in flight are cancelled, then the SNMP socket is closed."""
    poller = app[POLLER]
    await poller.start()
    task = asyncio.create_task(poller.run(), name="netmon-collector-poller")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await poller.wait_stopped()
    app[SNMP].close()


async def sighup_ctx(app: web.Application) -> AsyncIterator[None]:
    """SIGHUP reloads, as ``POST /-/reload`` does (only for the process's own server)."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[object]] = set()

    def on_hup() -> None:
        log.info("SIGHUP: reloading")
        task: asyncio.Task[object] = loop.create_task(_quiet_reload(app))
        pending.add(task)
        task.add_done_callback(pending.discard)

    loop.add_signal_handler(signal.SIGHUP, on_hup)
    yield
    loop.remove_signal_handler(signal.SIGHUP)
    for task in pending:
        task.cancel()


async def _quiet_reload(app: web.Application) -> object:
    from collector.errors import ReloadFailed

    with contextlib.suppress(ReloadFailed):  # logged by reload() with what was wrong
        return await reload(app)
    return None
