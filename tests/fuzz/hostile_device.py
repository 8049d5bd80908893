"""A hostile SNMP "device" on loopback: it answers every GET and GETBULK, but with garbage of
one chosen kind (:data:`MODES`). A test peer, in the test's event loop, one UDP port.

Each mode is something a broken or malicious agent on a ward's network can send:

* ``truncated``: a real answer cut in the middle;
* ``huge_length``: the message SEQUENCE claims 2 GiB;
* ``wrong_request_id``: a well-formed answer to a request nobody made;
* ``wrong_pdu``: a GetRequest PDU where the Response belongs;
* ``wrong_value_type``: a value whose tag SNMP does not define (0x4a);
* ``huge_arc``: an OID with a 2,000-octet sub-identifier (a number of 4,800 digits);
* ``same_oid``: a walk that answers the same OID for ever;
* ``decreasing``: a walk whose OIDs go backwards;
* ``endless``: a walk whose OIDs always increase and never leave the subtree (50 a packet).

Requests are decoded with netmon's own codec (:mod:`exporters.snmp.ber`), as in
:mod:`tests.peers.snmp_responder`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Final, cast

from exporters.errors import SnmpProtocolError
from exporters.snmp import ber
from exporters.snmp.ber import encode_tlv as _tlv
from exporters.snmp.values import Oid

MODES: Final = ("truncated", "huge_length", "wrong_request_id", "wrong_pdu",
                "wrong_value_type", "huge_arc", "same_oid", "decreasing", "endless")


def _varbind(oid: Oid, value: bytes = b"\x02\x01\x07") -> bytes:
    return _tlv(0x30, _tlv(6, ber.encode_oid(oid)) + value)


def _message(version: int, community: bytes, request_id: int, varbinds: bytes,
             pdu_type: int = ber.RESPONSE) -> bytes:
    pdu = (_tlv(2, ber.encode_integer(request_id)) + b"\x02\x01\x00\x02\x01\x00"
           + _tlv(0x30, varbinds))
    return _tlv(0x30, _tlv(2, bytes((version,))) + _tlv(4, community) + _tlv(pdu_type, pdu))


@dataclass
class HostileDevice(asyncio.DatagramProtocol):
    mode: str
    requests: int = 0
    port: int = 0
    transport: asyncio.DatagramTransport | None = None
    _first: Oid | None = field(default=None, repr=False)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            header = ber.decode_header(data)
            request = ber.decode_response(data, dataclasses.replace(header,
                                                                    pdu_type=ber.RESPONSE))
        except SnmpProtocolError:
            return
        self.requests += 1
        assert self.transport is not None
        self.transport.sendto(self.answer(header, [o for o, _, _ in request.varbinds]), addr)

    def answer(self, header: ber.Header, oids: list[Oid]) -> bytes:
        v, c, rid = header.version, header.community, header.request_id
        asked = oids[0]
        if self._first is None:
            self._first = asked
        first = self._first
        good = _message(v, c, rid, b"".join(_varbind((*o, 0)) for o in oids))
        mode = self.mode
        if mode == "truncated":
            return good[:len(good) // 2]
        if mode == "huge_length":
            return b"\x30\x84\x7f\xff\xff\xff" + good[2:]
        if mode == "wrong_request_id":
            return _message(v, c, (rid + 1) % 2**31, b"".join(_varbind(o) for o in oids))
        if mode == "wrong_pdu":
            return _message(v, c, rid, b"".join(_varbind(o) for o in oids), ber.GET_REQUEST)
        if mode == "wrong_value_type":
            return _message(v, c, rid, _varbind((*asked, 1), b"\x4a\x01\x00"))
        if mode == "huge_arc":
            arc = b"\xff" * 2000 + b"\x7f"
            name = _tlv(6, ber.encode_oid(asked) + arc)
            return _message(v, c, rid, _tlv(0x30, name + b"\x02\x01\x01"))
        if mode == "same_oid":
            return _message(v, c, rid, _varbind((*first, 1, 1)))
        if mode == "decreasing":
            oid = (*first, 5, 5) if asked == first else (*asked[:-1], max(asked[-1] - 1, 0))
            return _message(v, c, rid, _varbind(oid))
        if mode == "endless":
            return _message(v, c, rid, b"".join(_varbind((*asked, k)) for k in range(1, 51)))
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")


async def serve(device: asyncio.DatagramProtocol, host: str = "127.0.0.1"
                ) -> asyncio.DatagramTransport:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: device, local_addr=(host, 0))
    return transport
