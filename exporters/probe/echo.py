"""One run of ICMP echoes to one address, on the event loop.

Requests leave ``spacing`` apart on a schedule fixed at the start (no drift when the loop is
busy: a late send is followed by the next one on time). Replies are read by a reader callback
(``loop.add_reader``) that drains the non-blocking socket, so sending and receiving go on
together and one slow target never holds up another (each target has its own socket and
session). The run ends when every request is answered or when the last one's ``timeout``
has passed.

**Timing.** A request's send time is taken just before ``sendto`` on two clocks (monotonic,
and realtime to compare with the kernel's); a reply's arrival is the kernel's receive
timestamp (``SO_TIMESTAMPNS``). The round trip is therefore not lengthened by the event loop
being busy when the reply came in, which matters on a ward host's small CPU and on the
shared machines tests run on. Were the realtime clock stepped between the two (NTP), the
kernel-based figure would be impossible (negative, or longer than the monotonic one) and the
monotonic one, taken when the reader ran, is used instead.

**Matching.** A datagram is a reply to this run's request when it is an echo reply
(:func:`~exporters.probe.icmp.parse_echo_reply`), comes from the probed address, carries
this run's payload (its token) and a sequence number this run sent, and, on a raw socket,
this run's identifier. A second reply to one request is counted as a duplicate, a reply after
the timeout as late (and the packet as lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import random
import time
from dataclasses import dataclass

from exporters.probe.icmp import build_echo_request, echo_payload, parse_echo_reply
from exporters.probe.sockets import TIMESTAMP_CMSG_SPACE, IcmpSocket, kernel_timestamp_ns
from exporters.probe.stats import PacketResults

__all__ = ["EchoSession"]

log = logging.getLogger(__name__)

_RECV_SIZE = 2048  # an IPv4 header with options and our 40-byte message fit many times


@dataclass(frozen=True, slots=True)
class _Sent:
    index: int
    mono_ns: int
    real_ns: int


class EchoSession:
    """``count`` echoes to ``ip`` over ``icmp``; :meth:`run` once, then the socket is closed."""

    def __init__(self, icmp: IcmpSocket, ip: str, *, count: int, spacing: float,
                 timeout: float, first_seq: int, target: str) -> None:
        self._icmp = icmp
        self._ip = ip
        self._address = ipaddress.ip_address(ip.split("%", 1)[0])
        self._count = count
        self._spacing = spacing
        self._timeout_ns = int(timeout * 1e9)
        self._first_seq = first_seq
        self._target = target
        self._ident = 0 if icmp.kernel_ident else random.getrandbits(16)
        self._payload = echo_payload(os.urandom(8))
        self._sent: dict[int, _Sent] = {}          # sequence number -> request
        self._rtts: dict[int, float] = {}          # request index -> round trip
        self._seen: set[int] = set()               # indexes answered (late ones included)
        self._results = PacketResults(count)
        self._all_answered = asyncio.Event()
        self._sending = True

    async def run(self) -> PacketResults:
        loop = asyncio.get_running_loop()
        sock = self._icmp.sock
        loop.add_reader(sock.fileno(), self._on_readable)
        try:
            start = loop.time()
            last_mono_ns = time.monotonic_ns()
            for index in range(self._count):
                delay = start + index * self._spacing - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                last_mono_ns = self._send(index)
            self._sending = False
            if len(self._seen) < self._results.sent:
                remaining = (last_mono_ns + self._timeout_ns - time.monotonic_ns()) / 1e9
                if remaining > 0:
                    # What did not come back in time is lost: that is the measurement.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._all_answered.wait(), remaining)
        finally:
            loop.remove_reader(sock.fileno())
            sock.close()
        self._results.rtts = [self._rtts[i] for i in sorted(self._rtts)]
        return self._results

    def _send(self, index: int) -> int:
        seq = (self._first_seq + index) & 0xFFFF
        packet = build_echo_request(self._icmp.version, self._ident, seq, self._payload)
        mono_ns, real_ns = time.monotonic_ns(), time.time_ns()
        try:
            self._icmp.sock.sendto(packet, (self._ip, 0))
        except OSError as exc:  # BlockingIOError (buffer full) included: the packet is lost
            self._results.errors["send"] += 1
            log.debug("probe send failed target=%s ip=%s seq=%d error=%s", self._target,
                      self._ip, seq, exc)
            return mono_ns
        self._sent[seq] = _Sent(index, mono_ns, real_ns)
        self._results.sent += 1
        return mono_ns

    def _on_readable(self) -> None:
        sock = self._icmp.sock
        while True:
            try:
                data, ancillary, _, source = sock.recvmsg(_RECV_SIZE, TIMESTAMP_CMSG_SPACE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                # A pending socket error (an ICMP error the kernel queued): read once, gone.
                self._results.errors["receive"] += 1
                log.debug("probe receive error target=%s ip=%s error=%s", self._target,
                          self._ip, exc)
                return
            self._on_datagram(data, kernel_timestamp_ns(ancillary), source)

    def _on_datagram(self, data: bytes, kernel_ns: int | None, source: object) -> None:
        now_mono_ns = time.monotonic_ns()
        reply = parse_echo_reply(data, self._icmp.version, self._icmp.ip_header)
        if reply is None or reply.payload != self._payload or not self._from_target(source):
            return
        if not self._icmp.kernel_ident and reply.ident != self._ident:
            return
        sent = self._sent.get(reply.seq)
        if sent is None:
            return
        if sent.index in self._seen:
            self._results.duplicates += 1
            return
        self._seen.add(sent.index)
        mono_rtt_ns = now_mono_ns - sent.mono_ns
        rtt_ns = mono_rtt_ns
        if kernel_ns is not None and 0 <= kernel_ns - sent.real_ns <= mono_rtt_ns + 1_000_000:
            rtt_ns = kernel_ns - sent.real_ns
        if rtt_ns > self._timeout_ns:
            self._results.late += 1
            log.debug("probe reply after the timeout target=%s ip=%s seq=%d rtt=%.6fs",
                      self._target, self._ip, reply.seq, rtt_ns / 1e9)
        else:
            self._rtts[sent.index] = rtt_ns / 1e9
        if not self._sending and len(self._seen) >= self._results.sent:
            self._all_answered.set()

    def _from_target(self, source: object) -> bool:
        if not isinstance(source, tuple) or not source or not isinstance(source[0], str):
            return False
        try:
            return ipaddress.ip_address(source[0].split("%", 1)[0]) == self._address
        except ValueError:
            return False
