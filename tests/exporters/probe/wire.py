"""A userspace wire between two TUN devices that delays and drops packets, like ``tc netem``.

    python -m tests.exporters.probe.wire --a ta1 --b tb1 --delay 0.05 --loss 0.2 --seed 7

For kernels built without ``sch_netem`` (the test machines' kernel has no module for it and
no ``CONFIG_NET_SCH_NETEM``): the probe tests join their two namespaces with two TUN devices
and this program. Every IP packet the kernel sends out of device ``a`` is read here and,
unless dropped with probability ``loss`` (a seeded Bernoulli draw per packet, like netem's
``loss random``), written into device ``b`` ``delay`` seconds after it was read, in order; the
kernel on ``b``'s side receives it as from a real link. Packets from ``b`` to ``a`` pass at
once, unimpaired. That is exactly ``tc qdisc add dev <a> root netem delay D loss L``: netem
on the agent's end impairs only what the agent sends.

A packet is never written early: a send is due ``delay`` after the read, and the wait is
rounded up to epoll's millisecond (so a held packet leaves 0 to ~1 ms late, plus scheduling
latency on a busy machine). Prints ``ready`` once both devices exist; runs until stopped by
its PID (SIGTERM). At exit it prints how many packets it forwarded and dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import heapq
import os
import random
import selectors
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
_MTU = 65535


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Wire:
    def __init__(self, a: int, b: int, delay: float, loss: float, seed: int) -> None:
        self.a, self.b = a, b
        self.delay = delay
        self.loss = loss
        self.random = random.Random(seed)
        self.held: list[tuple[float, int, bytes]] = []  # (due, order, packet) for b
        self.order = 0
        self.forwarded = self.dropped = self.write_errors = 0

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.a, selectors.EVENT_READ)
        selector.register(self.b, selectors.EVENT_READ)
        while True:
            timeout = None
            if self.held:
                timeout = max(0.0, self.held[0][0] - time.monotonic())
            for key, _ in selector.select(timeout):
                self._read(key.fd)
            self._release()

    def _read(self, fd: int) -> None:
        while True:
            try:
                packet = os.read(fd, _MTU)
            except BlockingIOError:
                return
            if fd == self.b:
                self._write(self.a, packet)
            elif self.random.random() < self.loss:
                self.dropped += 1
            else:
                self.order += 1
                heapq.heappush(self.held, (time.monotonic() + self.delay, self.order, packet))

    def _release(self) -> None:
        now = time.monotonic()
        while self.held and self.held[0][0] <= now:
            _, _, packet = heapq.heappop(self.held)
            self._write(self.b, packet)

    def _write(self, fd: int, packet: bytes) -> None:
        try:
            os.write(fd, packet)
        except OSError:  # the device is down or not yet up: the packet is lost, counted
            self.write_errors += 1
            return
        self.forwarded += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="TUN device whose output is impaired")
    parser.add_argument("--b", required=True, help="TUN device on the other end")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds, a to b")
    parser.add_argument("--loss", type=float, default=0.0, help="probability, a to b")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    wire = Wire(open_tun(args.a), open_tun(args.b), args.delay, args.loss, args.seed)

    def stop(signum: int, frame: object) -> None:
        print(f"forwarded {wire.forwarded} dropped {wire.dropped} write_errors "
              f"{wire.write_errors}", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        wire.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
