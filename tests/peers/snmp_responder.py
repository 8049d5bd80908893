"""A light SNMP v1/v2c responder: many simulated devices, one UDP port each, in one asyncio
loop, answering GET, GETNEXT and GETBULK from ``.snmprec`` data with pre-encoded values.

Why it exists: snmpsim spends about 40 ms of CPU per request (85 CPU-s answering one if_mib
sweep of 579 routers on two cores), so it sets the pace of any sweep it serves and its CPU
drowns the poller's. Here every record's variable-binding is encoded once; a GETBULK answer
is a slice of them joined under a header: some tens of microseconds a request. It is a test
and benchmark peer, not an agent: no SNMPv3, no SET, values fixed unless a test changes them
(:meth:`Records.set`), ``delay`` makes a device slow.

    python -m tests.peers.snmp_responder --data netmon/demo/data/ward-router.snmprec \\
        --community public --devices 579          # prints {"ports": [...]} and serves

Requests are decoded with netmon's own codec (:mod:`exporters.snmp.ber`); the answers follow
RFC 3416: GETBULK with non-repeaters and max-repetitions (rows interleaved by column),
endOfMibView past the end (v2c), noSuchName error-status for SNMPv1, noSuchObject for a GET
of an unknown OID. An answer is cut to at most ``max_varbinds`` values (and 60 kB).

A device can misbehave on purpose (``fault``, for the fleet tests): ``garbage`` answers
bytes that are not SNMP at all, ``malformed`` a Response whose header (and request-id) is
right but whose variable-bindings are cut short, ``wrong_request_id`` a well-formed answer
to a request-id nobody sent, ``wrong_community`` a well-formed answer under another
community than the request's. :func:`if_table_snmprec` writes a device with a large
ifTable/ifXTable (``--if-rows``).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import ipaddress
import json
import signal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, cast

from exporters.errors import SnmpProtocolError
from exporters.snmp import ber
from exporters.snmp.ber import encode_tlv as _tlv
from exporters.snmp.values import Oid, parse_oid

HOST: Final = "127.0.0.1"
_END_OF_MIB_VIEW: Final = b"\x82\x00"
_NO_SUCH_OBJECT: Final = b"\x80\x00"
_UNSIGNED: Final = frozenset({65, 66, 67, 70})
_MAX_BYTES: Final = 60_000


def encode_value(tag: int, text: str) -> bytes:
    """A snmprec value (``TAG|VALUE``; tag ``4x``: hex) as a BER TLV."""
    if tag == 2:
        return _tlv(2, ber.encode_integer(int(text)))
    if tag in _UNSIGNED:
        n = int(text)
        return _tlv(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))
    if tag == 4:
        return _tlv(4, text.encode("utf-8"))
    if tag == 6:
        return _tlv(6, ber.encode_oid(parse_oid(text)))
    if tag == 64:
        return _tlv(64, ipaddress.IPv4Address(text).packed)
    raise ValueError(f"snmprec tag {tag} is not supported here")


@dataclass
class Records:
    """The OIDs of one device, sorted, each with its variable-binding pre-encoded."""

    oids: list[Oid] = field(default_factory=list)
    varbinds: list[bytes] = field(default_factory=list)
    index: dict[Oid, int] = field(default_factory=dict)

    @classmethod
    def from_snmprec(cls, text: str) -> Records:
        pairs = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            oid_text, tag_text, value = line.split("|", 2)
            if ":" in tag_text:
                raise ValueError(f"{oid_text}: variation modules ({tag_text}) are not "
                                 "supported; use a static .snmprec")
            if tag_text.endswith("x"):
                raw = bytes.fromhex(value)
                tag = int(tag_text[:-1])
                body = _tlv(tag, raw) if tag == 4 else encode_value(tag, raw.decode())
            else:
                body = encode_value(int(tag_text), value)
            pairs.append((parse_oid(oid_text), body))
        records = cls()
        for oid, body in sorted(pairs):
            records._append(oid, body)
        return records

    def _append(self, oid: Oid, value: bytes) -> None:
        self.index[oid] = len(self.oids)
        self.oids.append(oid)
        self.varbinds.append(_varbind(oid, value))

    def copy(self) -> Records:
        return Records(list(self.oids), list(self.varbinds), dict(self.index))

    def set(self, oid: Oid, tag: int, value: str) -> None:
        """Change (or add) one value, as a test needs (``sysUpTime`` going back...)."""
        encoded = _varbind(oid, encode_value(tag, value))
        i = self.index.get(oid)
        if i is not None:
            self.varbinds[i] = encoded
            return
        i = bisect.bisect_left(self.oids, oid)
        self.oids.insert(i, oid)
        self.varbinds.insert(i, encoded)
        self.index = {o: n for n, o in enumerate(self.oids)}

    def remove_prefix(self, prefix: Oid) -> None:
        keep = [(o, v) for o, v in zip(self.oids, self.varbinds, strict=True)
                if o[:len(prefix)] != prefix]
        self.oids = [o for o, _ in keep]
        self.varbinds = [v for _, v in keep]
        self.index = {o: n for n, o in enumerate(self.oids)}

    def after(self, oid: Oid) -> int:
        """Index of the first record after ``oid``."""
        i = self.index.get(oid)
        return i + 1 if i is not None else bisect.bisect_right(self.oids, oid)


def _varbind(oid: Oid, value: bytes) -> bytes:
    return _tlv(0x30, _tlv(6, ber.encode_oid(oid)) + value)


@dataclass
class Device(asyncio.DatagramProtocol):
    """One simulated device on its own UDP port."""

    records: Records
    community: bytes = b"public"
    delay: float = 0.0
    max_varbinds: int = 1000
    #: "" (answers well), or one of FAULTS
    fault: str = ""
    requests: int = 0
    port: int = 0
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            answer = self.answer(data)
        except (SnmpProtocolError, ValueError):
            return
        if answer is None or self.transport is None:
            return
        self.requests += 1
        if self.fault:
            answer = _spoil(answer, self.fault)
        if self.delay:
            asyncio.get_running_loop().call_later(self.delay, self._send, answer, addr)
        else:
            self.transport.sendto(answer, addr)

    def _send(self, answer: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(answer, addr)

    def answer(self, data: bytes) -> bytes | None:
        header = ber.decode_header(data)
        if header.community != self.community or header.version not in (0, 1):
            return None
        request = ber.decode_response(data, dataclasses.replace(header, pdu_type=ber.RESPONSE))
        oids = [oid for oid, _, _ in request.varbinds]
        v1 = header.version == ber.VERSION_1
        status = index = 0
        if header.pdu_type == ber.GET_REQUEST:
            out = []
            for n, oid in enumerate(oids, 1):
                i = self.records.index.get(oid)
                if i is None:
                    if v1:
                        status, index = 2, n
                        break
                    out.append(_varbind(oid, _NO_SUCH_OBJECT))
                else:
                    out.append(self.records.varbinds[i])
        elif header.pdu_type == ber.GET_NEXT_REQUEST:
            out, status, index = self._next(oids, v1)
        elif header.pdu_type == ber.GET_BULK_REQUEST and not v1:
            out = self._bulk(oids, max(0, request.error_status),
                             max(0, request.error_index))
        else:
            return None
        if status:
            out = [_varbind(oid, b"\x05\x00") for oid in oids]
        return self._message(header, status, index, out)

    def _next(self, oids: Sequence[Oid], v1: bool) -> tuple[list[bytes], int, int]:
        out = []
        records = self.records
        for n, oid in enumerate(oids, 1):
            i = records.after(oid)
            if i >= len(records.oids):
                if v1:
                    return [], 2, n
                out.append(_varbind(oid, _END_OF_MIB_VIEW))
            else:
                out.append(records.varbinds[i])
        return out, 0, 0

    def _bulk(self, oids: Sequence[Oid], non_repeaters: int, repetitions: int) -> list[bytes]:
        records = self.records
        size = len(records.oids)
        out, _, _ = self._next(oids[:non_repeaters], False)
        repeaters = oids[non_repeaters:]
        if not repeaters or not repetitions:
            return out
        positions = [records.after(oid) for oid in repeaters]
        budget = max(1, self.max_varbinds - len(out))
        if len(repeaters) == 1:  # the walk of every poller: one slice
            i = positions[0]
            count = min(repetitions, budget)
            out.extend(records.varbinds[i:i + count])
            if i + count > size:
                out.append(_varbind(repeaters[0], _END_OF_MIB_VIEW))
            return out
        for _ in range(repetitions):
            for col, i in enumerate(positions):
                if len(out) >= budget:
                    return out
                if i >= size:
                    out.append(_varbind(repeaters[col], _END_OF_MIB_VIEW))
                else:
                    out.append(records.varbinds[i])
                    positions[col] = i + 1
        return out

    def _message(self, header: ber.Header, status: int, index: int,
                 varbinds: list[bytes]) -> bytes:
        body = b"".join(varbinds)
        while len(body) > _MAX_BYTES and varbinds:
            varbinds = varbinds[:len(varbinds) // 2]
            body = b"".join(varbinds)
        pdu = (_tlv(2, ber.encode_integer(header.request_id)) + _tlv(2, bytes((status,)))
               + _tlv(2, bytes((index,))) + _tlv(0x30, body))
        return _tlv(0x30, _tlv(2, bytes((header.version,))) + _tlv(4, header.community)
                    + _tlv(ber.RESPONSE, pdu))


#: The ways a device can misbehave (``Device.fault``).
FAULTS: Final = ("garbage", "malformed", "wrong_request_id", "wrong_community")


def _spoil(answer: bytes, fault: str) -> bytes:
    """A good answer made bad in the way ``fault`` says."""
    if fault == "garbage":
        return b"HTTP/1.1 400 Bad Request\r\n\r\n"
    header = ber.decode_header(answer)
    if fault == "malformed":   # the same header, the variable-bindings cut after 3 bytes
        pdu = (_tlv(2, ber.encode_integer(header.request_id)) + b"\x02\x01\x00\x02\x01\x00"
               + b"\x30\x10\x30\x0e\x06")
        return _tlv(0x30, _tlv(2, bytes((header.version,))) + _tlv(4, header.community)
                    + _tlv(ber.RESPONSE, pdu))
    body = answer[header.body_start:header.pdu_end]
    request_id, community = header.request_id, header.community
    if fault == "wrong_request_id":
        request_id = (request_id + 1) % 2**31
    elif fault == "wrong_community":
        community = b"not-" + community
    else:
        raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
    pdu = _tlv(2, ber.encode_integer(request_id)) + body
    return _tlv(0x30, _tlv(2, bytes((header.version,))) + _tlv(4, community)
                + _tlv(ber.RESPONSE, pdu))


#: IF-MIB columns of :func:`if_table_snmprec`: (table entry, column, snmprec tag).
_IF_COLUMNS: Final = (
    ("1.3.6.1.2.1.2.2.1", 1, 2), ("1.3.6.1.2.1.2.2.1", 2, 4), ("1.3.6.1.2.1.2.2.1", 3, 2),
    ("1.3.6.1.2.1.2.2.1", 5, 66), ("1.3.6.1.2.1.2.2.1", 7, 2), ("1.3.6.1.2.1.2.2.1", 8, 2),
    ("1.3.6.1.2.1.2.2.1", 14, 65), ("1.3.6.1.2.1.31.1.1.1", 1, 4),
    ("1.3.6.1.2.1.31.1.1.1", 6, 70), ("1.3.6.1.2.1.31.1.1.1", 10, 70),
    ("1.3.6.1.2.1.31.1.1.1", 15, 66), ("1.3.6.1.2.1.31.1.1.1", 18, 4))


def if_table_snmprec(rows: int) -> str:
    """A switch with ``rows`` interfaces: sysUpTime, ifNumber, and 12 columns of ifTable and
    ifXTable (ifIndex, ifDescr, ifType, ifSpeed, ifAdminStatus, ifOperStatus, ifInErrors;
    ifName, ifHCInOctets, ifHCOutOctets, ifHighSpeed, ifAlias): ``12 * rows + 2`` values,
    sorted as snmprec wants."""
    def value(column: int, tag: int, i: int) -> str:
        if tag == 4:
            return {2: f"GigabitEthernet0/{i}", 1: f"Gi0/{i}"}.get(column, f"port {i}")
        if column == 3:
            return "6"
        if column in (7, 8):
            return "1" if i % 7 else "2"
        if column in (5, 15):
            return "1000000000" if column == 5 else "1000"
        return str(i if column == 1 else i * 1000 + column)

    lines = ["1.3.6.1.2.1.1.3.0|67|123456", f"1.3.6.1.2.1.2.1.0|2|{rows}"]
    for entry, column, tag in _IF_COLUMNS:
        lines.extend(f"{entry}.{column}.{i}|{tag}|{value(column, tag, i)}"
                     for i in range(1, rows + 1))
    return "\n".join(lines) + "\n"


async def serve(devices: Iterable[Device], host: str = HOST) -> list[asyncio.DatagramTransport]:
    """Bind each device to a port of its own (its ``port``, or one from the kernel)."""
    loop = asyncio.get_running_loop()
    transports = []
    for device in devices:
        transport, _ = await loop.create_datagram_endpoint(
            lambda d=device: d, local_addr=(host, device.port))  # type: ignore[misc]
        transports.append(transport)
    return transports


async def _main(args: argparse.Namespace, text: str) -> None:
    records = Records.from_snmprec(text)
    devices = [Device(records, args.community.encode(), args.delay,
                      max_varbinds=args.max_varbinds, fault=args.fault)
               for _ in range(args.devices)]
    transports = await serve(devices, args.host)
    print(json.dumps({"ports": [d.port for d in devices]}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for transport in transports:
        transport.close()
    print(json.dumps({"requests": sum(d.requests for d in devices)}), file=sys.stderr,
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a static .snmprec file")
    parser.add_argument("--if-rows", type=int, default=0,
                        help="instead of --data: a switch with this many interfaces")
    parser.add_argument("--fault", default="", choices=("", *FAULTS))
    parser.add_argument("--community", default="public")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--max-varbinds", type=int, default=1000)
    args = parser.parse_args()
    if bool(args.data) == bool(args.if_rows):
        parser.error("give --data or --if-rows")
    text = (if_table_snmprec(args.if_rows) if args.if_rows
            else Path(args.data).read_text(encoding="utf-8"))
    asyncio.run(_main(args, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
