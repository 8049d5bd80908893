"""GET and WALK against one target: the BER fast path for SNMPv1/v2c, pysnmp for SNMPv3.

Both sessions give the same thing back, a list of ``(oid, tag, value)`` varbinds (see
:mod:`exporters.snmp.values`), and follow gosnmp's walk rules so that netmon reads exactly
what snmp_exporter reads: GETBULK (GETNEXT for v1) from the root until an answer leaves the
subtree or says endOfMibView; if the very first answer is already outside, the root is a
leaf and is fetched with GET instead; OIDs must increase unless the module allows otherwise.

All sessions of a process share one :class:`SnmpStack`: one UDP socket per address family
for the fast path and one pysnmp ``SnmpEngine`` for v3 (an engine per target is known to
melt the CPU during v3 engine discovery).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from exporters.errors import (
    ConfigError,
    SnmpErrorStatus,
    SnmpLimitExceeded,
    SnmpProtocolError,
    SnmpTransportError,
)
from exporters.snmp import ber
from exporters.snmp.config import Auth, WalkParams
from exporters.snmp.transport import RequestStats, SnmpTransport
from exporters.snmp.values import EXCEPTIONS, Oid, VarBind, format_oid

log = logging.getLogger(__name__)

#: How long a resolved host name is trusted; snmp_exporter resolves on every scrape, netmon
#: once in a while, so a renumbered router is found again within this time.
DNS_TTL_SECONDS = 300.0

#: SNMP error-status names (RFC 3416), for messages.
ERROR_STATUS = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr",
                6: "noAccess", 7: "wrongType", 8: "wrongLength", 9: "wrongEncoding",
                10: "wrongValue", 11: "noCreation", 12: "inconsistentValue",
                13: "resourceUnavailable", 14: "commitFailed", 15: "undoFailed",
                16: "authorizationError", 17: "notWritable", 18: "inconsistentName"}
NO_SUCH_NAME = 2


@dataclass(frozen=True, slots=True)
class Target:
    """Where to send: snmp_exporter's target syntax ``[udp://]host[:port]``."""

    host: str
    port: int = 161

    @classmethod
    def parse(cls, text: str) -> Target:
        raw = text
        scheme, sep, rest = text.partition("://")
        if sep:
            if scheme != "udp":
                raise ConfigError(f"target {raw!r}: only udp:// is supported, not {scheme}://")
            text = rest
        if text.startswith("["):
            host, _, tail = text[1:].partition("]")
            port_text = tail[1:] if tail.startswith(":") else ""
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
        else:
            host, port_text = text, ""
        if not host:
            raise ConfigError(f"target {raw!r} has no host")
        try:
            port = int(port_text) if port_text else 161
        except ValueError:
            raise ConfigError(f"target {raw!r}: port {port_text!r} is not a number") from None
        if not 0 < port < 65536:
            raise ConfigError(f"target {raw!r}: port {port} out of range")
        return cls(host, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep one huge or lying target from eating memory and time."""

    #: Per module and scrape, gets and walks together. A ward router's if_mib is about 1,000
    #: values and a 1,000-port core switch about 40,000; a table past this is far more likely
    #: a lying or misconfigured device than something worth a monitoring system's memory.
    max_varbinds: int = 50_000
    max_requests_per_walk: int = 20_000


class SnmpSession(Protocol):
    stats: RequestStats

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]: ...

    async def walk(self, root: Oid) -> list[VarBind]: ...


@dataclass
class SnmpStack:
    """The process-wide SNMP resources: the shared socket(s) and the shared pysnmp engine."""

    transport: SnmpTransport = field(default_factory=SnmpTransport)
    _usm: Any = None  # exporters.snmp.client_v3.UsmEngine, made on first SNMPv3 use
    _resolved: dict[str, tuple[float, int, str]] = field(default_factory=dict)

    def usm_engine(self) -> Any:
        if self._usm is None:
            from exporters.snmp.client_v3 import UsmEngine
            self._usm = UsmEngine()
        return self._usm

    async def resolve(self, host: str) -> tuple[int, str]:
        """(address family, numeric address) of a host; cached for the life of the stack."""
        cached = self._resolved.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
        try:
            ip = ipaddress.ip_address(host)
            result = (int(socket.AF_INET6 if ip.version == 6 else socket.AF_INET), str(ip))
        except ValueError:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
            except OSError as exc:
                raise SnmpTransportError(f"cannot resolve {host!r}: {exc}") from exc
            family, _, _, _, sockaddr = infos[0]
            result = (int(family), str(sockaddr[0]))
        if result[1] != host:  # a name, not an address: remember it for a while
            self._resolved[host] = (time.monotonic() + DNS_TTL_SECONDS, *result)
        return result

    async def session(self, target: Target, auth: Auth, params: WalkParams,
                      limits: Limits | None = None) -> SnmpSession:
        limits = limits or Limits()
        family, address = await self.resolve(target.host)
        if auth.version in (1, 2):
            return CommunitySession(self.transport, family, (address, target.port), auth,
                                    params, limits)
        from exporters.snmp.client_v3 import UsmSession
        # pysnmp would resolve a name in its send path, blocking the event loop: give it
        # the address.
        return UsmSession(self.usm_engine(), Target(address, target.port), auth, params,
                          limits, display=str(target))

    def close(self) -> None:
        self.transport.close()
        if self._usm is not None:
            self._usm.close()
            self._usm = None


async def walk_subtree(root: Oid, next_batch: Callable[[Oid], Awaitable[list[VarBind]]],
                       get: Callable[[Sequence[Oid]], Awaitable[list[VarBind]]],
                       allow_nonincreasing: bool, max_requests: int, where: str
                       ) -> list[VarBind]:
    """gosnmp's walk (``walk.go``), for any session, so netmon reads what snmp_exporter reads:

    * ask for what follows the last OID received (``next_batch``: GETBULK, GETNEXT for v1);
    * an exception value (noSuchObject, noSuchInstance, endOfMibView) ends the walk;
    * an answer outside the subtree ends it; if it is the walk's very first object, the root
      is a leaf and is fetched with ``get``;
    * an error-status ends it, keeping the rows read so far (logged; net-snmp's snmpwalk
      would fail instead, snmp_exporter does not);
    * each OID must be greater than the OID *requested* (gosnmp's check), unless the module
      sets ``allow_nonincreasing_oids``; ``max_requests`` bounds a walk that never ends.
    """
    out: list[VarBind] = []
    current = root
    depth = len(root)
    for requests in range(1, max_requests + 1):
        try:
            varbinds = await next_batch(current)
        except SnmpErrorStatus as exc:
            log.info("walk ended by error-status target=%s root=%s rows=%d error=%s",
                     where, format_oid(root), len(out), exc)
            return out
        if not varbinds:
            return out
        requested = current
        for i, varbind in enumerate(varbinds):
            oid, tag, _ = varbind
            if tag in EXCEPTIONS:
                return out
            if len(oid) <= depth or oid[:depth] != root:
                if requests == 1 and i == 0:
                    return await get([root])  # the root is an instance, not a subtree
                if oid == root:
                    out.append(varbind)
                return out
            if oid <= requested and not allow_nonincreasing:
                raise SnmpProtocolError(
                    f"{where}: OID not increasing: {format_oid(oid)} after "
                    f"{format_oid(requested)} (set allow_nonincreasing_oids: true in the "
                    "module if this device needs it)")
            out.append(varbind)
            current = oid
    raise SnmpLimitExceeded(f"walk of {format_oid(root)} on {where} did not end after "
                            f"{max_requests} requests")


@dataclass
class CommunitySession:
    """SNMPv1/v2c over the shared socket, with netmon's own BER codec."""

    transport: SnmpTransport
    family: int
    address: tuple[str, int]
    auth: Auth
    params: WalkParams
    limits: Limits
    stats: RequestStats = field(default_factory=RequestStats)
    varbinds_read: int = 0

    def __post_init__(self) -> None:
        self._version = ber.VERSION_1 if self.auth.version == 1 else ber.VERSION_2C
        self._community = self.auth.community.reveal().encode()

    async def _request(self, pdu_type: int, oids: list[Oid], max_repetitions: int = 0
                       ) -> ber.Response:
        def build(request_id: int) -> bytes:
            return ber.encode_request(self._version, self._community, pdu_type, request_id,
                                      oids, 0, max_repetitions)
        response = await self.transport.request(
            self.address, self.family, build, self.params.timeout, self.params.retries,
            self.stats, any_source=self.params.use_unconnected_udp_socket)
        if response.community != self._community:
            # A spoofed or confused answer that guessed a request-id: refused (gosnmp takes
            # it; net-snmp's agents never send one, so a real device is not refused by this).
            raise SnmpProtocolError(
                f"{self.address[0]}:{self.address[1]} answered under another community "
                "than the request's (a misconfigured relay or a spoofed answer)")
        self.varbinds_read += len(response.varbinds)
        if self.varbinds_read > self.limits.max_varbinds:
            raise SnmpLimitExceeded(
                f"{self.address[0]}:{self.address[1]} returned more than "
                f"{self.limits.max_varbinds} varbinds in one scrape; if the device really has "
                "tables that large, raise the limit (max_varbinds)")
        return response

    def _raise_status(self, response: ber.Response, oids: Sequence[Oid]) -> None:
        status = response.error_status
        index = response.error_index
        oid = format_oid(oids[index - 1]) if 0 < index <= len(oids) else "?"
        raise SnmpErrorStatus(
            f"{self.address[0]}:{self.address[1]} answered error-status "
            f"{ERROR_STATUS.get(status, status)} ({status}) for {oid}", status, index)

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        """GET in chunks (one OID per request for v1, as snmp_exporter), skipping OIDs the
        target does not have."""
        per_request = 1 if self._version == ber.VERSION_1 else max(1, self.params.max_repetitions)
        out: list[VarBind] = []
        for i in range(0, len(oids), per_request):
            chunk = list(oids[i:i + per_request])
            response = await self._request(ber.GET_REQUEST, chunk)
            if response.error_status:
                if response.error_status == NO_SUCH_NAME and self._version == ber.VERSION_1:
                    continue
                self._raise_status(response, chunk)
            out.extend(vb for vb in response.varbinds if vb[1] not in EXCEPTIONS)
        return out

    async def walk(self, root: Oid) -> list[VarBind]:
        return await walk_subtree(root, self._next_batch, self.get,
                                  self.params.allow_nonincreasing_oids,
                                  self.limits.max_requests_per_walk,
                                  f"{self.address[0]}:{self.address[1]}")

    async def _next_batch(self, after: Oid) -> list[VarBind]:
        if self._version == ber.VERSION_1:
            response = await self._request(ber.GET_NEXT_REQUEST, [after])
        else:
            response = await self._request(ber.GET_BULK_REQUEST, [after],
                                           self.params.max_repetitions or 25)
        if response.error_status:
            if response.error_status == NO_SUCH_NAME:  # v1's end of the MIB view
                return []
            self._raise_status(response, [after])
        return response.varbinds
