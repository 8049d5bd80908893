"""One UDP socket per address family, shared by every SNMP target of the process.

snmp_exporter opens a socket per scrape; a collector polling 579 routers would hold 579
sockets and pay a connect per poll. netmon keeps one socket per family and routes each
answer to the request waiting for it by request-id, accepting it only from the address the
request went to. An answer that cannot be decoded far enough to know whose it is counts in
``stray_datagrams`` and is otherwise ignored; one that decodes to a waiting request but is
garbage fails that request with a precise error, and no one else.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from exporters.errors import SnmpError, SnmpProtocolError, SnmpTimeout, SnmpTransportError
from exporters.snmp import ber

log = logging.getLogger(__name__)

Address = tuple[str, int]


@dataclass(slots=True)
class RequestStats:
    """Packets of one scrape, for snmp_exporter's ``snmp_scrape_packets_*`` metrics."""

    sent: int = 0
    retried: int = 0


@dataclass(slots=True)
class _Pending:
    address: Address
    future: asyncio.Future[ber.Response]
    any_source: bool = False  # the module's use_unconnected_udp_socket
    #: answers from ``address`` meanwhile that no request waits for (a wrong request-id):
    #: said in the timeout's message, so that it is not taken for silence
    strays: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: SnmpTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.owner._deliver(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like; UDP cannot say for which request, so requests
        # simply time out. Logged at debug: it is normal when a device is down.
        log.debug("udp error received error=%s", exc)


@dataclass
class SnmpTransport:
    """Shared sockets and the table of requests in flight."""

    stray_datagrams: int = 0
    _transports: dict[int, asyncio.DatagramTransport] = field(default_factory=dict)
    _pending: dict[int, _Pending] = field(default_factory=dict)
    _opening: dict[int, asyncio.Lock] = field(default_factory=dict)

    async def _transport_for(self, family: int) -> asyncio.DatagramTransport:
        transport = self._transports.get(family)
        if transport is not None:
            return transport
        lock = self._opening.setdefault(family, asyncio.Lock())
        async with lock:
            transport = self._transports.get(family)
            if transport is None:
                loop = asyncio.get_running_loop()
                local = ("0.0.0.0", 0) if family == socket.AF_INET else ("::", 0)  # noqa: S104
                try:
                    transport, _ = await loop.create_datagram_endpoint(
                        lambda: _Protocol(self), local_addr=local, family=family)
                except OSError as exc:
                    raise SnmpTransportError(f"cannot open a UDP socket: {exc}") from exc
                self._transports[family] = transport
        return transport

    def _new_request_id(self) -> int:
        while True:
            rid = random.getrandbits(31)
            if rid and rid not in self._pending:
                return rid

    def _deliver(self, data: bytes, addr: Address) -> None:
        try:
            header = ber.decode_header(data)
        except SnmpProtocolError as exc:
            self.stray_datagrams += 1
            log.debug("undecodable datagram source=%s:%s error=%s", addr[0], addr[1], exc)
            # Not SNMP at all, so it names no request; but its sender is known: whoever waits
            # on that address learns now that it answers garbage, instead of timing out.
            for waiting in self._pending.values():
                if waiting.address == addr and not waiting.future.done():
                    waiting.future.set_exception(SnmpProtocolError(
                        f"{addr[0]}:{addr[1]} answered with something that is not an SNMP "
                        f"message: {exc}"))
            return
        pending = self._pending.get(header.request_id)
        if (pending is None or pending.future.done()
                or (pending.address != addr and not pending.any_source)):
            self.stray_datagrams += 1
            for waiting in self._pending.values():
                if waiting.address == addr:
                    waiting.strays += 1
            return
        try:
            response = ber.decode_response(data, header)
        except SnmpProtocolError as exc:
            pending.future.set_exception(SnmpProtocolError(
                f"{addr[0]}:{addr[1]} answered with a malformed message: {exc}"))
            return
        pending.future.set_result(response)

    async def request(self, address: Address, family: int,
                      build: Callable[[int], bytes], timeout: float, retries: int,
                      stats: RequestStats, any_source: bool = False) -> ber.Response:
        """Send a request (built for its request-id), wait for the answer, retrying on
        silence: ``retries`` more attempts of ``timeout`` seconds each. The answer must come
        from ``address`` unless ``any_source`` (snmp_exporter's use_unconnected_udp_socket,
        for devices that answer from another address): then the request-id alone decides."""
        transport = self._transports.get(family) or await self._transport_for(family)
        loop = asyncio.get_running_loop()
        rid = self._new_request_id()
        payload = build(rid)
        future: asyncio.Future[ber.Response] = loop.create_future()
        self._pending[rid] = _Pending(address, future, any_source)
        attempts_left = retries + 1
        timer: asyncio.TimerHandle | None = None

        # One timer per attempt instead of wait_for() per attempt: a poll is dozens of
        # requests, and wait_for's task and shield cost more CPU than decoding the answer.
        def attempt() -> None:
            nonlocal attempts_left, timer
            if future.done():
                return
            if attempts_left == 0:
                strays = self._pending[rid].strays
                future.set_exception(SnmpTimeout(
                    f"no answer from {address[0]}:{address[1]} after {retries + 1} "
                    f"attempt(s) of {timeout:g}s" + (
                        f" ({strays} answer(s) came from it meanwhile with a request-id no "
                        "request was waiting for: late answers to earlier requests, or a "
                        "device or relay that rewrites request-ids)"
                        if strays else "")))
                return
            if attempts_left <= retries:
                stats.retried += 1
            attempts_left -= 1
            stats.sent += 1
            try:
                transport.sendto(payload, address)
            except OSError as exc:
                future.set_exception(SnmpTransportError(
                    f"cannot send to {address[0]}:{address[1]}: {exc}"))
                return
            timer = loop.call_later(timeout, attempt)

        try:
            attempt()
            return await future
        finally:
            if timer is not None:
                timer.cancel()
            del self._pending[rid]
            if not future.done():
                future.cancel()

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(SnmpError("transport closed"))


__all__ = ["Address", "RequestStats", "SnmpTransport"]
