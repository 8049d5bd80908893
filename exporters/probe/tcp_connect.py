"""One run of TCP connects to one address and port: the fallback when ICMP is not allowed.

Each "packet" is a connect: a SYN out, a SYN-ACK back, then the connection is closed at once
(a normal close; the peer sees an empty connection, as from blackbox_exporter's ``tcp``
prober). Connects start ``spacing`` apart on a fixed schedule and may overlap when the
timeout is longer than the spacing.

**What counts as an answer.** Only an accepted connection. A refusal (RST) proves that
*something* answered, but a firewall on the way, even one on this host, answers a REJECT as
fast as it likes, which would report a dead WAN as a 0.1 ms path; like blackbox_exporter, a
refused connect is a failed probe, counted under ``reason="refused"`` so the difference
shows.

**Timing.** The round trip is the kernel's own measurement of the handshake (``tcpi_rtt``
from ``TCP_INFO``, microseconds), which does not include the event loop's delay in noticing
that the connect completed. When the kernel has no sample (a retransmitted SYN without TCP
timestamps) or reports more than the elapsed time, the elapsed time from just before
``connect()`` to its completion is used.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import struct
import time

from exporters.probe.stats import PacketResults

__all__ = ["TcpConnectSession", "tcp_info_rtt"]

log = logging.getLogger(__name__)

# struct tcp_info (<linux/tcp.h>): 8 single bytes, then __u32 fields; tcpi_rtt is the 16th.
_TCPI_RTT_OFFSET = 8 + 15 * 4
_TCP_INFO_SIZE = 104
_LOCAL_ERRORS = frozenset({errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT})


def tcp_info_rtt(info: bytes) -> float | None:
    """``tcpi_rtt`` in seconds from a ``TCP_INFO`` answer, or None when absent or zero."""
    if len(info) < _TCPI_RTT_OFFSET + 4:
        return None
    (micros,) = struct.unpack_from("=I", info, _TCPI_RTT_OFFSET)
    return micros / 1e6 if micros else None


class TcpConnectSession:
    """``count`` connects to ``ip``:``port``; :meth:`run` once."""

    def __init__(self, ip: str, port: int, version: int, *, count: int, spacing: float,
                 timeout: float, target: str) -> None:
        self._ip = ip
        self._port = port
        self._family = socket.AF_INET if version == 4 else socket.AF_INET6
        self._count = count
        self._spacing = spacing
        self._timeout = timeout
        self._target = target
        self._results = PacketResults(count)

    async def run(self) -> PacketResults:
        loop = asyncio.get_running_loop()
        start = loop.time()
        attempts: list[asyncio.Task[float | None]] = []
        try:
            for index in range(self._count):
                delay = start + index * self._spacing - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                attempts.append(asyncio.create_task(self._connect()))
            rtts = await asyncio.gather(*attempts)
        finally:
            for attempt in attempts:
                attempt.cancel()
        self._results.rtts = [rtt for rtt in rtts if rtt is not None]
        return self._results

    async def _connect(self) -> float | None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            started = time.perf_counter()
            self._results.sent += 1
            try:
                await asyncio.wait_for(loop.sock_connect(sock, (self._ip, self._port)),
                                       self._timeout)
            except TimeoutError:
                return None  # no answer in time: a lost packet
            except ConnectionRefusedError:
                self._results.errors["refused"] += 1
                log.debug("probe connect refused target=%s ip=%s port=%d", self._target,
                          self._ip, self._port)
                return None
            except OSError as exc:
                if exc.errno in _LOCAL_ERRORS:
                    self._results.sent -= 1  # it never left this host
                self._results.errors["connect"] += 1
                log.debug("probe connect failed target=%s ip=%s port=%d error=%s",
                          self._target, self._ip, self._port, exc)
                return None
            elapsed = time.perf_counter() - started
            try:
                kernel = tcp_info_rtt(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO,
                                                      _TCP_INFO_SIZE))
            except OSError:
                kernel = None
            return kernel if kernel is not None and kernel <= elapsed else elapsed
        finally:
            sock.close()
