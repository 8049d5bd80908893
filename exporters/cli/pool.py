"""The one bounded thread pool in which every CLI exporter of a process runs netmiko.

netmiko blocks (sockets, ``time.sleep`` between reads), so it never runs on the event loop.
The pool is explicit rather than the loop's default executor, which has only
``min(32, cpus + 4)`` threads (six on a two-core ward box) and is shared with everything else
that calls ``run_in_executor(None, ...)``. Its size bounds how many devices are talked to at
once; the other runs wait in the pool's queue. Nothing is created at import time: the process
makes one :class:`CliPool` (from :attr:`CliConfig.workers`), gives it to every
:class:`~exporters.cli.exporter.CliExporter`, and closes it at shutdown.

Making a pool also keeps the ``netmiko`` logger at INFO or above: at DEBUG netmiko logs every
byte it reads from a device, running configs included, with their SNMP communities, key
strings and password hashes (it masks only the login password and enable secret). A process
started with ``--log.level debug`` must not copy those into its journal; the one place that
decides logging (the entry point) may still lower it on purpose, after making the pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["DEFAULT_WORKERS", "CliPool"]

DEFAULT_WORKERS = 10

P = ParamSpec("P")
T = TypeVar("T")


class CliPool:
    """A :class:`ThreadPoolExecutor` of ``workers`` threads named ``netmon-cli_N``."""

    def __init__(self, workers: int = DEFAULT_WORKERS) -> None:
        if workers < 1:
            raise ValueError("a CLI pool needs at least one worker")
        self.workers = workers
        wire = logging.getLogger("netmiko")
        if wire.level < logging.INFO:  # NOTSET (0) included: it would inherit DEBUG later
            wire.setLevel(logging.INFO)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netmon-cli")

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue ``fn`` on the pool; await it with :func:`asyncio.wrap_future`."""
        return self._executor.submit(fn, *args, **kwargs)

    def close(self, wait: bool = True) -> None:
        """Drop queued runs and, when ``wait``, wait for the running ones (each bounded by
        its connect and read timeouts)."""
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> CliPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
