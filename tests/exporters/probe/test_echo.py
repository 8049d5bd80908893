"""EchoSession's matching and timing rules, against a scripted peer instead of the kernel.

The stand-in socket answers each request as the script says (when, with which bytes, from
which address), so every rule can be tried without privileges: the identifier the kernel
rewrites on datagram sockets, the identifier a raw socket must check, another run's payload,
another source, duplicates, late replies, unknown sequence numbers, send and receive errors.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import socket
import struct
import time
from collections.abc import Callable

from exporters.probe.echo import EchoSession
from exporters.probe.icmp import checksum
from exporters.probe.sockets import IcmpSocket, SocketKind
from exporters.probe.stats import PacketResults
from tests.exporters.probe.test_icmp import IPV4_HEADER

PEER = "192.0.2.7"
Reply = tuple[float, bytes, str]           # after how long, what, from where
Script = Callable[[int, int, bytes], list[Reply]]  # (ident, seq, payload) -> replies


def reply_to(ident: int, seq: int, payload: bytes) -> bytes:
    body = struct.pack("!BBHHH", 0, 0, 0, ident, seq) + payload
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


class ScriptedSocket:
    """Looks like a non-blocking ICMP socket to EchoSession; replies come from ``script``."""

    def __init__(self, script: Script, send_error: int | None = None,
                 ip_header: bool = False) -> None:
        self.script = script
        self.prefix = IPV4_HEADER if ip_header else b""
        self.send_error = send_error
        self.inbox, self.outbox = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.inbox.setblocking(False)
        self.sources: collections.deque[str] = collections.deque()
        self.receive_errors: collections.deque[int] = collections.deque()
        self.sent: list[bytes] = []

    def fileno(self) -> int:
        return self.inbox.fileno()

    def sendto(self, packet: bytes, address: tuple[str, int]) -> int:
        if self.send_error is not None:
            raise OSError(self.send_error, errno.errorcode[self.send_error])
        self.sent.append(packet)
        ident, seq = struct.unpack_from("!HH", packet, 4)
        loop = asyncio.get_running_loop()
        for delay, data, source in self.script(ident, seq, packet[8:]):
            loop.call_later(delay, self.deliver, data, source)
        return len(packet)

    def deliver(self, data: bytes, source: str) -> None:
        if self.outbox.fileno() < 0:
            return  # the run is over and its socket closed: nobody would read it
        self.sources.append(source)
        self.outbox.send(self.prefix + data)

    def recvmsg(self, size: int, ancillary_size: int) -> tuple[bytes, list[object], int,
                                                                 tuple[str, int]]:
        if self.receive_errors:
            raise OSError(self.receive_errors.popleft(), "queued socket error")
        data = self.inbox.recv(size)  # BlockingIOError when nothing is queued
        return data, [], 0, (self.sources.popleft(), 0)

    def close(self) -> None:
        self.inbox.close()
        self.outbox.close()


async def session(script: Script, kind: SocketKind = "dgram", count: int = 4,
                  timeout: float = 0.3, send_error: int | None = None,
                  fake: ScriptedSocket | None = None,
                  ) -> tuple[PacketResults, ScriptedSocket, float]:
    fake = fake or ScriptedSocket(script, send_error, ip_header=kind == "raw")
    icmp = IcmpSocket(fake, kind, 4)  # type: ignore[arg-type]
    run = EchoSession(icmp, PEER, count=count, spacing=0.01, timeout=timeout,
                      first_seq=0xFFFE, target="t")
    started = time.perf_counter()
    results = await run.run()
    return results, fake, time.perf_counter() - started


def answer(delay: float = 0.001) -> Script:
    return lambda ident, seq, payload: [(delay, reply_to(ident, seq, payload), PEER)]


async def test_every_request_answered_ends_the_run_early() -> None:
    results, fake, elapsed = await session(answer(), timeout=5.0)
    assert (results.sent, results.received, results.loss_ratio) == (4, 4, 0.0)
    assert elapsed < 1.0  # did not wait for the 5 s timeout
    sequences = [struct.unpack_from("!H", p, 6)[0] for p in fake.sent]
    assert sequences == [0xFFFE, 0xFFFF, 0, 1]  # wraps at 2^16
    assert all(0 < rtt < 0.3 for rtt in results.rtts)


async def test_datagram_sockets_accept_the_identifier_the_kernel_chose() -> None:
    def rewritten(ident: int, seq: int, payload: bytes) -> list[Reply]:
        assert ident == 0  # datagram sockets send 0; the kernel puts its own
        return [(0.001, reply_to(0x4321, seq, payload), PEER)]

    results, _, _ = await session(rewritten, kind="dgram")
    assert results.received == 4


async def test_raw_sockets_check_the_identifier() -> None:
    def half_wrong(ident: int, seq: int, payload: bytes) -> list[Reply]:
        assert ident != 0
        return [(0.001, reply_to(ident if seq % 2 else ident ^ 1, seq, payload), PEER)]

    results, _, _ = await session(half_wrong, kind="raw")
    assert results.received == 2


async def test_replies_that_are_not_ours_are_ignored() -> None:
    def strangers(ident: int, seq: int, payload: bytes) -> list[Reply]:
        other_run = payload[:12] + bytes(8) + payload[20:]
        return [(0.001, reply_to(ident, seq, other_run), PEER),           # another run's
                (0.001, reply_to(ident, seq, payload), "192.0.2.8"),      # another host
                (0.001, reply_to(ident, seq ^ 0x100, payload), PEER),     # not a seq we sent
                (0.001, b"\x03\x00" + bytes(30), PEER)]                   # not a reply

    results, _, _ = await session(strangers, timeout=0.2)
    assert (results.sent, results.received, results.duplicates) == (4, 0, 0)
    assert results.loss_ratio == 1


async def test_a_duplicate_counts_once() -> None:
    def twice(ident: int, seq: int, payload: bytes) -> list[Reply]:
        data = reply_to(ident, seq, payload)
        return [(0.001, data, PEER), (0.005, data, PEER)]

    results, _, _ = await session(twice, timeout=0.2)
    # The run ends with the last first reply, so the last duplicate is never read.
    assert (results.received, results.duplicates) == (4, 3)


async def test_a_reply_after_the_timeout_is_late_and_lost() -> None:
    def slow_first(ident: int, seq: int, payload: bytes) -> list[Reply]:
        delay = 0.25 if seq == 0xFFFE else 0.001
        return [(delay, reply_to(ident, seq, payload), PEER)]

    # 30 requests 10 ms apart: the run listens until 290 + 100 ms, so the first request's
    # reply (at 250 ms, its timeout 100 ms) arrives while the run still listens.
    results, _, _ = await session(slow_first, timeout=0.1, count=30)
    assert (results.late, results.received, results.sent) == (1, 29, 30)


async def test_rtts_are_in_send_order() -> None:
    def reversed_order(ident: int, seq: int, payload: bytes) -> list[Reply]:
        return [(0.1 - 0.02 * ((seq + 2) & 0xFFFF), reply_to(ident, seq, payload), PEER)]

    results, _, _ = await session(reversed_order, timeout=1.0)
    assert results.rtts == sorted(results.rtts, reverse=True)


async def test_send_errors_are_counted_and_lost() -> None:
    results, _, elapsed = await session(answer(), send_error=errno.ENETUNREACH, timeout=5.0)
    assert (results.sent, results.received, results.errors["send"]) == (0, 0, 4)
    assert elapsed < 1.0  # nothing in flight: nothing to wait for


async def test_a_receive_error_is_counted_and_reading_goes_on() -> None:
    def error_then_answer(ident: int, seq: int, payload: bytes) -> list[Reply]:
        if seq == 0xFFFE:  # as if an ICMP error had been queued on the socket
            fake.receive_errors.append(errno.EHOSTUNREACH)
        return [(0.001, reply_to(ident, seq, payload), PEER)]

    fake = ScriptedSocket(error_then_answer)
    results, _, _ = await session(error_then_answer, fake=fake)
    assert results.errors["receive"] == 1
    assert results.received == 4
