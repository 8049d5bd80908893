"""The UDP socket, its queue and the worker that handles each datagram.

``datagram_received`` only queues (bounded: ``traps.queue``; a datagram past it is refused as
``overload``), so a trap storm costs the event loop one append per datagram. One worker task
then handles the datagrams in order, yielding to the loop every few of them:

* v1/v2c: decoded by :mod:`collector.traps.message` (microseconds: no thread needed), the
  community checked against ``traps.communities`` (constant-time comparisons), an inform
  answered, the notification handed on;
* v3: fed to :class:`collector.traps.usm.UsmReceiver` (pysnmp; about a millisecond with
  authPriv, on the loop: pysnmp's engine is not thread-safe), which answers and hands on.

A refused datagram is counted by reason and logged with its sender (at most once a minute
per sender and reason), never with its community.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from collector.traps.errors import TrapError
from collector.traps.log_limit import LogLimit
from collector.traps.message import VERSION_3, decode_message, peek_version
from collector.traps.metrics import TrapMetrics
from collector.traps.notification import Notification
from collector.traps.sources import normalise_address

if TYPE_CHECKING:
    from collector.traps.usm import UsmReceiver

log = logging.getLogger(__name__)

__all__ = ["Receiver"]

#: Datagrams handled before the worker lets the loop run other tasks.
_SLICE: Final = 32
Handle = Callable[[Notification, str], None]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.receiver.enqueue(data, addr)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error for a datagram sent earlier (a Response to a sender gone away).
        log.debug("trap socket error: %s", exc)


class Receiver:
    def __init__(self, communities: tuple[bytes, ...], queue: int, handle: Handle,
                 metrics: TrapMetrics, usm: UsmReceiver | None = None) -> None:
        self.communities = communities
        self.handle = handle
        self.metrics = metrics
        self.usm = usm                      # None without v3 users
        self.queue: asyncio.Queue[tuple[bytes, tuple[Any, ...]]] = asyncio.Queue(queue)
        self.transport: asyncio.DatagramTransport | None = None
        self._worker: asyncio.Task[None] | None = None
        self._logs = LogLimit()

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None, "the receiver is not started"
        sockname = self.transport.get_extra_info("sockname")
        return str(sockname[0]), int(sockname[1])

    async def start(self, host: str, port: int) -> None:
        """Bind (OSError when the address is taken or not ours) and start the worker."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        transport, _protocol = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(host, port), family=family)
        self.transport = transport
        if self.usm is not None:
            self.usm.attach(transport, family == socket.AF_INET6)
        self._worker = asyncio.create_task(self._work(), name="netmon-traps-receiver")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self.usm is not None:
            self.usm.close()
        if self.transport is not None:
            self.transport.close()

    def enqueue(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            self.queue.put_nowait((data, addr))
        except asyncio.QueueFull:
            self._refuse("overload", normalise_address(str(addr[0])), "the queue is full")

    async def _work(self) -> None:
        while True:
            for _ in range(_SLICE):
                data, addr = await self.queue.get()
                try:
                    self.process(data, addr)
                except Exception:  # a bug: the receiver must go on receiving
                    self.metrics.reject("error")
                    log.exception("trap handling failed source=%s", addr[0])
                if self.queue.empty():
                    break
            await asyncio.sleep(0)

    def process(self, data: bytes, addr: tuple[Any, ...]) -> None:
        """Handle one datagram (synchronously)."""
        source = normalise_address(str(addr[0]))
        try:
            version = peek_version(data)
            if version == VERSION_3:
                if self.usm is None:
                    self._refuse("v3_disabled", source, "an SNMPv3 message, and no "
                                 "traps.users are configured")
                else:
                    self.usm.feed(data, addr, source)
                return
            message = decode_message(data)
        except TrapError as exc:
            self._refuse(exc.reason, source, str(exc))
            return
        if not self._community_ok(message.community):
            self._refuse("community", source, f"SNMP {message.notification.version} "
                         "with a community that is not configured")
            return
        if message.response is not None and self.transport is not None:
            self.transport.sendto(message.response, addr)
        self.handle(message.notification, source)

    def _community_ok(self, community: bytes) -> bool:
        ok = False
        for known in self.communities:       # every one compared: no timing hint
            ok |= hmac.compare_digest(known, community)
        return ok

    def _refuse(self, reason: str, source: str, why: str) -> None:
        self.metrics.reject(reason)
        if self._logs.allow((reason, source)):
            log.warning("trap refused (%s) source=%s: %s", reason, source, why)
