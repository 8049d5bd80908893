"""SNMP agents that misbehave on purpose, for fault tests: real UDP servers on loopback.

A dead device, one that answers garbage, one with an endless table, one whose OIDs go
backwards: faults a real router can show but no well-behaved simulator produces. Their
answers are encoded with pysnmp's protocol API and pyasn1 (not netmon's codec), so a bug in
netmon's encoder cannot hide in them. Each runs in a thread with its own event-free socket
loop and is stopped in ``finally``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

Responder = Callable[[bytes], bytes | None]


@dataclass(frozen=True)
class FakeAgent:
    host: str
    port: int

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"


@contextlib.contextmanager
def udp_agent(respond: Responder) -> Iterator[FakeAgent]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            answer = respond(data)
            if answer is not None:
                sock.sendto(answer, addr)

    thread = threading.Thread(target=serve, name="fake-snmp-agent", daemon=True)
    thread.start()
    try:
        yield FakeAgent("127.0.0.1", sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


def _request(data: bytes) -> tuple[Any, Any]:
    msg, _ = decoder.decode(data, asn1Spec=V2C.Message())
    return msg, V2C.apiMessage.get_pdu(msg)


def _response(msg: Any, varbinds: list[tuple[tuple[int, ...], object]]) -> bytes:
    response = V2C.apiMessage.get_response(msg)
    rpdu = V2C.apiMessage.get_pdu(response)
    V2C.apiPDU.set_varbinds(rpdu, varbinds)
    return bytes(encoder.encode(response))


def silent(_: bytes) -> None:
    """A device that is down: never answers."""
    return None


def garbage(_: bytes) -> bytes:
    """Answers every request with bytes that are not SNMP."""
    return b"\x30\x82\xff\xff HTTP/1.1 400 Bad Request\r\n"


def garbage_with_request_id(data: bytes) -> bytes:
    """Echoes the request's header (so the answer is routed to the request) and then lies:
    a varbind whose length runs past the end of the message."""
    msg, _pdu = _request(data)
    good = _response(msg, [((1, 3, 6, 1, 2, 1, 1, 3, 0), V2C.TimeTicks(1))])
    broken = bytearray(good)
    broken[-3] = 0x7F  # the TimeTicks value now claims 127 bytes
    return bytes(broken)


def endless_table(root: tuple[int, ...], columns: int = 1) -> Responder:
    """A table that never ends: every GETBULK gets max-repetitions more rows."""
    def respond(data: bytes) -> bytes:
        msg, pdu = _request(data)
        ((name, _),) = V2C.apiPDU.get_varbinds(pdu)
        start = tuple(name)
        last = start[len(root) + 1] if len(start) > len(root) + 1 else 0
        count = int(V2C.apiBulkPDU.get_max_repetitions(pdu)) or 1
        rows = [((*root, 1, last + i), V2C.Gauge32(last + i)) for i in range(1, count + 1)]
        return _response(msg, rows)
    return respond


def table_then_error(root: tuple[int, ...], rows: int, status: int = 5) -> Responder:
    """``rows`` rows of a table, then an error-status (genErr by default) where the next
    rows should be: what some routers answer at the end of a table."""
    def respond(data: bytes) -> bytes:
        msg, pdu = _request(data)
        ((name, _),) = V2C.apiPDU.get_varbinds(pdu)
        start = tuple(name)
        last = start[len(root) + 1] if len(start) > len(root) + 1 else 0
        if last >= rows:
            response = V2C.apiMessage.get_response(msg)
            rpdu = V2C.apiMessage.get_pdu(response)
            V2C.apiPDU.set_error_status(rpdu, status)
            V2C.apiPDU.set_error_index(rpdu, 1)
            V2C.apiPDU.set_varbinds(rpdu, [(start, V2C.Null(""))])
            return bytes(encoder.encode(response))
        count = min(int(V2C.apiBulkPDU.get_max_repetitions(pdu)) or 1, rows - last)
        return _response(msg, [((*root, 1, last + i), V2C.Gauge32(last + i))
                               for i in range(1, count + 1)])
    return respond


def slow(responder: Responder, delay: float) -> Responder:
    """Answers correctly, but each answer takes ``delay`` seconds: a congested WAN link."""
    def respond(data: bytes) -> bytes | None:
        time.sleep(delay)
        return responder(data)
    return respond


def decreasing_oids(root: tuple[int, ...]) -> Responder:
    """Answers every request with the same OID: a walk that would never advance."""
    def respond(data: bytes) -> bytes:
        msg, _pdu = _request(data)
        return _response(msg, [((*root, 1, 1), V2C.Gauge32(1))])
    return respond
