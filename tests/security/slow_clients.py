"""Slowloris-style clients on raw sockets: headers (or a body) sent a byte at a time."""

from __future__ import annotations

import contextlib
import socket
import time
from types import TracebackType

from netmon import wire

_HEAD = (b"POST " + wire.PUSH_PATH.encode() + b" HTTP/1.1\r\nHost: collector\r\n"
         b"Content-Type: " + wire.CONTENT_TYPE.encode() + b"\r\n")


class SlowClients:
    """``count`` connections from ``source`` that send a request's start and then one header
    byte per :meth:`trickle` step, never finishing the headers."""

    def __init__(self, host: str, port: int, count: int, source: str = "127.0.0.1") -> None:
        self.sockets: list[socket.socket] = []
        self.closed: set[int] = set()
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((source, 0))
            sock.connect((host, port))
            sock.sendall(_HEAD)
            sock.setblocking(False)
            self.sockets.append(sock)
        self.opened = time.monotonic()

    def __enter__(self) -> SlowClients:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sock in self.sockets:
            sock.close()

    def _step(self) -> None:
        for i, sock in enumerate(self.sockets):
            if i in self.closed:
                continue
            try:
                if sock.recv(4096) == b"":
                    self.closed.add(i)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                self.closed.add(i)
                continue
            try:
                sock.send(b"X")
            except OSError:
                self.closed.add(i)

    def trickle(self, seconds: float, step: float = 0.25) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._step()
            time.sleep(step)

    def open_count(self) -> int:
        self._step()
        return len(self.sockets) - len(self.closed)

    def trickle_until_closed(self, limit: float, step: float = 0.25) -> float:
        """Keep trickling until the server has closed every connection; returns how long
        after they were opened (raises AssertionError past ``limit`` seconds)."""
        while len(self.closed) < len(self.sockets):
            elapsed = time.monotonic() - self.opened
            assert elapsed < limit, f"{len(self.sockets) - len(self.closed)} slow " \
                                    f"connections still open after {elapsed:.1f}s"
            self._step()
            time.sleep(step)
        return time.monotonic() - self.opened


def slow_body(host: str, port: int, token: str, step: float = 0.5) -> tuple[bytes, float]:
    """Complete headers, then a body one byte per ``step``: the answer's status line and how
    long after the headers it came."""
    with socket.create_connection((host, port)) as sock:
        sock.sendall(_HEAD + b"Authorization: Bearer " + token.encode() +
                     b"\r\nContent-Encoding: gzip\r\nContent-Length: 1000\r\n\r\n")
        start = time.monotonic()
        sock.settimeout(step)
        answer = b""
        while time.monotonic() - start < 30:
            with contextlib.suppress(OSError):
                sock.send(b"\x1f")
            try:
                data = sock.recv(4096)
            except TimeoutError:
                continue
            answer += data
            if not data or b"\r\n" in answer:
                break
        return answer.split(b"\r\n", 1)[0], time.monotonic() - start
