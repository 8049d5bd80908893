"""One run of one target: resolve it, choose the method, send the packets, say what happened.

The method follows the target's ``method``:

* ``icmp``: an ICMP socket as :func:`~exporters.probe.sockets.open_icmp_socket` finds one
  (unprivileged datagram, else raw); when neither opens, the run probes nothing and says so
  (``method="none"``, ``reason="unavailable"``).
* ``auto``: the same, falling back to TCP connects to the target's port when no ICMP socket
  opens (and to ``none`` when the target has no port).
* ``tcp``: TCP connects only.

:func:`probe_target` never raises (but for cancellation): a name that does not resolve or a
method that is not available is a run with every packet lost, a reason, and a log line from
the exporter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from exporters.probe.config import ProbeConfig, ProbeTarget
from exporters.probe.echo import EchoSession
from exporters.probe.resolve import Resolver, resolve
from exporters.probe.sockets import IcmpOpenFailure, IcmpSocket, open_icmp_socket
from exporters.probe.stats import PacketResults
from exporters.probe.tcp_connect import TcpConnectSession

__all__ = ["IcmpOpener", "MethodName", "SocketName", "TargetRun", "probe_target"]

log = logging.getLogger(__name__)

MethodName = Literal["icmp", "tcp", "none"]
SocketName = Literal["dgram", "raw", "stream", ""]
IcmpOpener = Callable[[int], IcmpSocket | IcmpOpenFailure]


@dataclass
class TargetRun:
    """What one run of one target did."""

    target: ProbeTarget
    method: MethodName
    socket: SocketName
    packets: PacketResults
    ip: str = ""
    version: int = 0
    resolve_seconds: float = 0.0
    setup_seconds: float = 0.0
    duration_seconds: float = 0.0
    #: Why the run probed nothing, or why ICMP was not used ("" when it was, or not tried).
    note: str = ""

    @property
    def success(self) -> bool:
        """blackbox_exporter's meaning: the target answered (at least one packet)."""
        return self.packets.received > 0


async def probe_target(target: ProbeTarget, config: ProbeConfig, first_seq: int, *,
                       opener: IcmpOpener = open_icmp_socket,
                       resolver: Resolver = resolve) -> TargetRun:
    """Probe ``target`` once with ``config``'s count, spacing and timeout."""
    started = time.perf_counter()
    run = await _probe(target, config, first_seq, opener, resolver)
    run.duration_seconds = time.perf_counter() - started
    return run


async def _probe(target: ProbeTarget, config: ProbeConfig, first_seq: int,
                 opener: IcmpOpener, resolver: Resolver) -> TargetRun:
    try:
        resolved = await resolver(target)
    except OSError as exc:
        packets = PacketResults(config.count)
        packets.errors["resolve"] += 1
        return TargetRun(target, "none", "", packets, note=f"cannot resolve: {exc}")

    def done(method: MethodName, kind: SocketName, packets: PacketResults, note: str = "",
             setup: float = 0.0) -> TargetRun:
        return TargetRun(target, method, kind, packets, ip=resolved.ip,
                         version=resolved.version, resolve_seconds=resolved.seconds,
                         setup_seconds=setup, note=note)

    note = ""
    if target.method in ("auto", "icmp"):
        setup_started = time.perf_counter()
        opened = opener(resolved.version)
        setup = time.perf_counter() - setup_started
        if isinstance(opened, IcmpSocket):
            session = EchoSession(opened, resolved.ip, count=config.count,
                                  spacing=config.spacing, timeout=config.timeout,
                                  first_seq=first_seq, target=target.name)
            return done("icmp", opened.kind, await session.run(), setup=setup)
        note = str(opened)
        if target.method == "icmp" or target.port is None:
            packets = PacketResults(config.count)
            packets.errors["unavailable"] += 1
            why = "" if target.method == "icmp" else "; no port to fall back to TCP"
            return done("none", "", packets, note + why)
    if target.port is None:  # pragma: no cover - ProbeTarget refuses tcp without a port
        raise AssertionError("tcp without a port")
    tcp = TcpConnectSession(resolved.ip, target.port, resolved.version, count=config.count,
                            spacing=config.spacing, timeout=config.timeout, target=target.name)
    return done("tcp", "stream", await tcp.run(), note)
