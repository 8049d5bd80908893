"""SNMPv3 (USM) sessions on pysnmp's asyncio API, sharing one ``SnmpEngine``.

pysnmp does what is hard and must be right here: engine discovery, time windows, key
localisation, authentication (HMAC-MD5/SHA/SHA-2) and privacy (DES, AES-128/192/256, both
the Blumenthal and the Reeder ("C", Cisco) key extensions for AES-192/256). netmon only
converts its answers into the varbinds the fast path produces, and applies the same walk
rules (:func:`exporters.snmp.client.check_walk_step`). MIB resolution is off
(``lookupMib=False``): netmon maps by numeric OID, like snmp_exporter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    ContextData,
    ObjectIdentity,
    ObjectType,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usm3DESEDEPrivProtocol,
    usmAesBlumenthalCfb192Protocol,
    usmAesBlumenthalCfb256Protocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)

from exporters.errors import (
    SnmpErrorStatus,
    SnmpLimitExceeded,
    SnmpProtocolError,
    SnmpTimeout,
    SnmpTransportError,
)
from exporters.snmp.ber import decode_opaque
from exporters.snmp.client import ERROR_STATUS, NO_SUCH_NAME, Limits, Target, check_walk_step
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
    "MD5": usmHMACMD5AuthProtocol, "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol, "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol, "SHA512": usmHMAC384SHA512AuthProtocol,
}
# snmp_exporter (gosnmp) names: AES192/AES256 are Blumenthal's key extension (what net-snmp
# calls AES-192/AES-256), AES192C/AES256C are Reeder's, as Cisco implements them.
PRIV_PROTOCOLS = {
    "DES": usmDESPrivProtocol, "AES": usmAesCfb128Protocol,
    "AES192": usmAesBlumenthalCfb192Protocol, "AES256": usmAesBlumenthalCfb256Protocol,
    "AES192C": usmAesCfb192Protocol, "AES256C": usmAesCfb256Protocol,
    "3DES": usm3DESEDEPrivProtocol,
}


def usm_user(auth: Auth) -> Any:
    level = auth.security_level
    auth_proto = usmNoAuthProtocol
    priv_proto = usmNoPrivProtocol
    auth_key = priv_key = None
    if level in (SecurityLevel.AUTH_NO_PRIV, SecurityLevel.AUTH_PRIV):
        auth_proto = AUTH_PROTOCOLS[auth.auth_protocol]
        auth_key = auth.password.reveal()
    if level is SecurityLevel.AUTH_PRIV:
        priv_proto = PRIV_PROTOCOLS[auth.priv_protocol]
        priv_key = auth.priv_password.reveal()
    return UsmUserData(auth.username, authKey=auth_key, privKey=priv_key,
                       authProtocol=auth_proto, privProtocol=priv_proto)


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
class UsmSession:
    engine: Any
    target: Target
    auth: Auth
    params: WalkParams
    limits: Limits
    stats: RequestStats = field(default_factory=RequestStats)
    varbinds_read: int = 0
    _transport: Any = None

    async def _target(self) -> Any:
        if self._transport is None:
            cls = Udp6TransportTarget if ":" in self.target.host else UdpTransportTarget
            try:
                self._transport = await cls.create(
                    (self.target.host, self.target.port), timeout=self.params.timeout,
                    retries=self.params.retries)
            except Exception as exc:  # pysnmp raises its own error types here
                raise SnmpTransportError(f"{self.target}: {exc}") from exc
        return self._transport

    async def _run(self, kind: str, oids: Sequence[Oid], max_repetitions: int = 0
                   ) -> list[VarBind]:
        transport = await self._target()
        context = ContextData(contextName=self.auth.context_name.encode())
        objects = [ObjectType(ObjectIdentity(format_oid(oid))) for oid in oids]
        user = usm_user(self.auth)
        self.stats.sent += 1
        if kind == "get":
            result = await get_cmd(self.engine, user, transport, context, *objects,
                                   lookupMib=False)
        else:
            result = await bulk_cmd(self.engine, user, transport, context, 0, max_repetitions,
                                    *objects, lookupMib=False)
        error_indication, error_status, error_index, var_binds = result
        if error_indication:
            text = str(error_indication)
            if "timeout" in text.lower() or "no snmp response" in text.lower():
                raise SnmpTimeout(f"no answer from {self.target} over SNMPv3: {text}")
            raise SnmpProtocolError(f"{self.target} SNMPv3 (user {self.auth.username}): {text}")
        status = int(error_status)
        if status:
            index = int(error_index)
            if status == NO_SUCH_NAME and kind != "get":
                return []
            where = format_oid(oids[index - 1]) if 0 < index <= len(oids) else "?"
            raise SnmpErrorStatus(f"{self.target} answered error-status "
                                  f"{ERROR_STATUS.get(status, status)} ({status}) for {where}",
                                  status, index)
        out = [to_varbind(name, value) for name, value in var_binds]
        self.varbinds_read += len(out)
        if self.varbinds_read > self.limits.max_varbinds:
            raise SnmpLimitExceeded(
                f"{self.target} returned more than {self.limits.max_varbinds} varbinds in one "
                "scrape; if the device really has tables that large, raise max_varbinds")
        return out

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        per_request = max(1, self.params.max_repetitions)
        out: list[VarBind] = []
        for i in range(0, len(oids), per_request):
            chunk = list(oids[i:i + per_request])
            out.extend(vb for vb in await self._run("get", chunk) if vb[1] not in EXCEPTIONS)
        return out

    async def walk(self, root: Oid) -> list[VarBind]:
        out: list[VarBind] = []
        current = root
        for requests in range(1, self.limits.max_requests_per_walk + 1):
            varbinds = await self._run("bulk", [current], self.params.max_repetitions or 25)
            if not varbinds:
                return out
            for i, varbind in enumerate(varbinds):
                step = check_walk_step(root, current, varbind, requests == 1 and i == 0,
                                       self.params.allow_nonincreasing_oids)
                if step == "keep":
                    out.append(varbind)
                    current = varbind[0]
                    continue
                if step == "leaf":
                    return await self.get([root])
                return out
        raise SnmpLimitExceeded(f"walk of {format_oid(root)} on {self.target} did not end "
                                f"after {self.limits.max_requests_per_walk} requests")
