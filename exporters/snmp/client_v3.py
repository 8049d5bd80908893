"""SNMPv3 (USM) sessions on pysnmp's engine, sharing one ``SnmpEngine`` per process.

pysnmp does what is hard and must be right here: engine discovery, time windows, key
localisation, authentication (HMAC-MD5/SHA/SHA-2) and privacy (DES, AES-128/192/256, both
the Blumenthal and the Reeder ("C", Cisco) key extensions for AES-192/256). netmon only
converts its answers into the varbinds the fast path produces and applies the same walk
rules (:func:`exporters.snmp.client.check_walk_step`).

netmon drives pysnmp's command generators directly (``pysnmp.entity.rfc3413.cmdgen``), not
its high-level API: the high-level API resolves every OID through a MIB view controller and,
when pysmi is installed, attaches a MIB compiler at run time. netmon maps by numeric OID,
like snmp_exporter, and needs none of that: the direct route costs less CPU per request and
loads no MIB.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.type.univ import Null
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config as engine_config
from pysnmp.entity import engine as snmp_engine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.proto import rfc1902

from exporters.errors import (
    ConfigError,
    SnmpErrorStatus,
    SnmpLimitExceeded,
    SnmpProtocolError,
    SnmpTimeout,
    SnmpTransportError,
)
from exporters.snmp.ber import decode_opaque
from exporters.snmp.client import ERROR_STATUS, NO_SUCH_NAME, Limits, Target, walk_subtree
from exporters.snmp.config import Auth, SecurityLevel, WalkParams
from exporters.snmp.transport import RequestStats
from exporters.snmp.values import (
    EXCEPTIONS,
    INTEGER,
    IP_ADDRESS,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    Oid,
    Value,
    VarBind,
    format_oid,
)

AUTH_PROTOCOLS = {
    "MD5": engine_config.USM_AUTH_HMAC96_MD5, "SHA": engine_config.USM_AUTH_HMAC96_SHA,
    "SHA224": engine_config.USM_AUTH_HMAC128_SHA224,
    "SHA256": engine_config.USM_AUTH_HMAC192_SHA256,
    "SHA384": engine_config.USM_AUTH_HMAC256_SHA384,
    "SHA512": engine_config.USM_AUTH_HMAC384_SHA512,
}
# snmp_exporter (gosnmp) names: AES192/AES256 are Blumenthal's key extension (what net-snmp
# calls AES-192/AES-256), AES192C/AES256C are Reeder's, as Cisco implements them.
PRIV_PROTOCOLS = {
    "DES": engine_config.USM_PRIV_CBC56_DES, "AES": engine_config.USM_PRIV_CFB128_AES,
    "AES192": engine_config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": engine_config.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": engine_config.USM_PRIV_CFB192_AES,
    "AES256C": engine_config.USM_PRIV_CFB256_AES,
}
_NULL = Null("")
_LEVELS = {SecurityLevel.NO_AUTH_NO_PRIV: "noAuthNoPriv",
           SecurityLevel.AUTH_NO_PRIV: "authNoPriv", SecurityLevel.AUTH_PRIV: "authPriv"}


def _credentials(auth: Auth) -> tuple[object, ...]:
    return (auth.security_level, auth.auth_protocol, auth.password, auth.priv_protocol,
            auth.priv_password)


def _tag(value: Any) -> int:
    tag = value.tagSet[-1]
    return int(tag.tagClass | tag.tagFormat | tag.tagId)


def to_varbind(name: Any, value: Any) -> VarBind:
    """A pysnmp (name, value) pair as the fast path's ``(oid, tag, value)``."""
    oid: Oid = tuple(name)
    tag = _tag(value)
    converted: Value
    if tag in EXCEPTIONS or tag == NULL:
        converted = None
    elif tag == OCTET_STRING:
        converted = bytes(value.asOctets())
    elif tag == OBJECT_IDENTIFIER:
        converted = format_oid(tuple(value))
    elif tag == IP_ADDRESS:
        raw = bytes(value.asOctets())
        converted = ".".join(str(b) for b in raw) if len(raw) == 4 else ""
    elif tag == OPAQUE:
        converted = decode_opaque(bytes(value.asOctets()))
    elif tag == INTEGER or value.isValue:
        converted = int(value)
    else:
        converted = None
    return oid, tag, converted


@dataclass
class UsmEngine:
    """The process's one pysnmp engine, and the users and targets registered in it."""

    engine: Any = field(default_factory=snmp_engine.SnmpEngine)
    # pysnmp's names (SnmpAdminString) are at most 32 octets: netmon numbers them.
    _users: dict[str, str] = field(default_factory=dict)      # auth name -> "u<n>"
    _usernames: dict[str, Auth] = field(default_factory=dict)
    _targets: dict[tuple[str, str, float], str] = field(default_factory=dict)
    _domains: set[bool] = field(default_factory=set)

    def target_name(self, target: Target, auth: Auth, params: WalkParams) -> str:
        """Register (once) the auth's user and this target; return the target's name."""
        security_name = self._users.get(auth.name)
        if security_name is None:
            security_name = self._users[auth.name] = f"u{len(self._users)}"
            self._register_user(security_name, auth)
        v6 = ":" in target.host
        domain = udp6.DOMAIN_NAME if v6 else udp.DOMAIN_NAME
        if v6 not in self._domains:
            transport = udp6.Udp6AsyncioTransport() if v6 else udp.UdpAsyncioTransport()
            engine_config.add_transport(self.engine, domain, transport.open_client_mode())
            self._domains.add(v6)
        key = (security_name, str(target), params.timeout)
        name = self._targets.get(key)
        if name is None:
            name = self._targets[key] = f"t{len(self._targets)}"
            engine_config.add_target_address(
                self.engine, name, domain, (target.host, target.port), f"p{security_name}",
                timeout=max(1, int(params.timeout * 100)), retryCount=0)
        return name

    def _register_user(self, security_name: str, auth: Auth) -> None:
        # pysnmp's USM finds a user's keys by user name when it learns a remote engine id:
        # two auths with the same user name and different keys cannot share one engine.
        known = self._usernames.get(auth.username)
        if known is not None and _credentials(known) != _credentials(auth):
            raise ConfigError(
                f"SNMPv3 auths {known.name!r} and {auth.name!r} use the same username "
                f"{auth.username!r} with different keys or protocols; one SNMP engine cannot "
                "hold both: give one of them its own username")
        self._usernames[auth.username] = auth
        level = auth.security_level
        auth_proto: Any = engine_config.USM_AUTH_NONE
        priv_proto: Any = engine_config.USM_PRIV_NONE
        auth_key = priv_key = None
        if level in (SecurityLevel.AUTH_NO_PRIV, SecurityLevel.AUTH_PRIV):
            auth_proto = AUTH_PROTOCOLS[auth.auth_protocol]
            auth_key = auth.password.reveal()
        if level is SecurityLevel.AUTH_PRIV:
            priv_proto = PRIV_PROTOCOLS[auth.priv_protocol]
            priv_key = auth.priv_password.reveal()
        engine_config.add_v3_user(self.engine, auth.username, auth_proto, auth_key, priv_proto,
                                  priv_key)
        engine_config.add_target_parameters(self.engine, f"p{security_name}", auth.username,
                                            _LEVELS[level])

    def close(self) -> None:
        self.engine.close_dispatcher()


@dataclass
class UsmSession:
    usm: UsmEngine
    target: Target
    auth: Auth
    params: WalkParams
    limits: Limits
    display: str = ""  # the target as configured (a name, before resolution)
    stats: RequestStats = field(default_factory=RequestStats)
    varbinds_read: int = 0

    def __post_init__(self) -> None:
        self._name = self.usm.target_name(self.target, self.auth, self.params)
        self._context = self.auth.context_name.encode()
        self.display = self.display or str(self.target)

    def _send(self, oids: Sequence[Oid], bulk: bool, max_repetitions: int
              ) -> asyncio.Future[tuple[Any, Any, Any, Any]]:
        done: asyncio.Future[tuple[Any, Any, Any, Any]] = (
            asyncio.get_running_loop().create_future())

        def finished(_engine: Any, _handle: Any, indication: Any, status: Any, index: Any,
                     var_binds: Any, _ctx: Any) -> None:
            if not done.done():
                done.set_result((indication, status, index, var_binds))

        request = [(rfc1902.ObjectName(oid), _NULL) for oid in oids]
        self.stats.sent += 1
        try:
            if bulk:
                cmdgen.BulkCommandGenerator().send_varbinds(
                    self.usm.engine, self._name, None, self._context, 0, max_repetitions,
                    request, finished)
            else:
                cmdgen.GetCommandGenerator().send_varbinds(
                    self.usm.engine, self._name, None, self._context, request, finished)
        except Exception as exc:  # pysnmp raises its own error types when it cannot send
            raise SnmpTransportError(f"{self.display} SNMPv3: {exc}") from exc
        return done

    async def _run(self, oids: Sequence[Oid], bulk: bool, max_repetitions: int = 0
                   ) -> list[VarBind]:
        # pysnmp is told not to retry (retryCount=0): netmon retries itself so that every
        # packet is counted in snmp_scrape_packets_sent/retried, as for v1/v2c.
        for attempt in range(self.params.retries + 1):
            if attempt:
                self.stats.retried += 1
            indication, error_status, error_index, var_binds = await self._send(
                oids, bulk, max_repetitions)
            if not indication:
                break
            text = str(indication)
            timed_out = "timeout" in text.lower() or "no snmp response" in text.lower()
            if not timed_out:
                raise SnmpProtocolError(
                    f"{self.display} SNMPv3 (user {self.auth.username}): {text}")
        else:
            raise SnmpTimeout(f"no answer from {self.display} over SNMPv3 after "
                              f"{self.params.retries + 1} attempt(s) of "
                              f"{self.params.timeout:g}s")
        status = int(error_status)
        if status:
            index = int(error_index)
            if status == NO_SUCH_NAME and bulk:
                return []
            where = format_oid(oids[index - 1]) if 0 < index <= len(oids) else "?"
            raise SnmpErrorStatus(f"{self.display} answered error-status "
                                  f"{ERROR_STATUS.get(status, status)} ({status}) for {where}",
                                  status, index)
        out = [to_varbind(name, value) for name, value in var_binds]
        self.varbinds_read += len(out)
        if self.varbinds_read > self.limits.max_varbinds:
            raise SnmpLimitExceeded(
                f"{self.display} returned more than {self.limits.max_varbinds} varbinds in "
                "one scrape; if the device really has tables that large, raise max_varbinds")
        return out

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        per_request = max(1, self.params.max_repetitions)
        out: list[VarBind] = []
        for i in range(0, len(oids), per_request):
            chunk = list(oids[i:i + per_request])
            out.extend(vb for vb in await self._run(chunk, bulk=False)
                       if vb[1] not in EXCEPTIONS)
        return out

    async def walk(self, root: Oid) -> list[VarBind]:
        return await walk_subtree(root, self._next_batch, self.get,
                                  self.params.allow_nonincreasing_oids,
                                  self.limits.max_requests_per_walk, self.display)

    async def _next_batch(self, after: Oid) -> list[VarBind]:
        return await self._run([after], bulk=True,
                               max_repetitions=self.params.max_repetitions or 25)
