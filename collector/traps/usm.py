"""SNMPv3 notifications (USM) through pysnmp 7's notification receiver.

pysnmp does what must be right here: RFC 3414's discovery (a sender of informs learns this
engine's ID and clock from Reports), time windows, key localisation, authentication and
privacy. netmon feeds it the SNMPv3 datagrams its own socket received, synchronously, one at a
time:

* :class:`pysnmp.entity.rfc3413.ntfrcv.NotificationReceiver` takes the notification PDUs
  and answers informs; netmon's subclass first refuses a message with less security than
  its user requires (pysnmp's USM accepts a noAuthNoPriv message for any known user name,
  and a notification receiver has no access control to stop it).
* Replies (Responses, discovery Reports) leave through pysnmp's asyncio UDP transport,
  bound to netmon's socket (``connection_made``), so they come from the trap port.
* Refusals are counted by reason from pysnmp's ``rfc3412.prepareDataElements:sm-failure``
  observer point; a message pysnmp drops without saying why (not BER, an unknown security
  model...) is ``v3_dropped``.

Users: each configured user is registered for this engine (informs: the collector is the
authoritative engine, keys localised with its engine ID) and once per sender engine ID in its
``engine_ids`` (traps: the sender is authoritative). pysnmp keeps ``snmpEngineBoots`` for a
configured engine ID in ``$TMPDIR/__pysnmp/<engine id>/boots``.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from typing import Any, Final

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config as engine_config
from pysnmp.entity import engine as snmp_engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import errind, rfc1902, rfc3411

from collector.traps.config import V3User
from collector.traps.errors import MalformedMessage
from collector.traps.log_limit import LogLimit
from collector.traps.metrics import TrapMetrics
from collector.traps.notification import Kind, Notification, from_v2
from exporters.snmp.client_v3 import AUTH_PROTOCOLS, PRIV_PROTOCOLS, to_varbind
from exporters.snmp.config import SecurityLevel

log = logging.getLogger(__name__)

__all__ = ["UsmReceiver"]

#: RFC 3411 securityLevel values.
_LEVEL: Final = {SecurityLevel.NO_AUTH_NO_PRIV: 1, SecurityLevel.AUTH_NO_PRIV: 2,
                 SecurityLevel.AUTH_PRIV: 3}
#: pysnmp's error indications -> netmon's reasons (discovery steps are not refusals).
_DISCOVERY: Final = ((errind.UnknownEngineID, "engine_id"),
                     (errind.NotInTimeWindow, "time_window"))
_REASONS: Final = ((errind.UnknownSecurityName, "v3_unknown_user"),
                   (errind.UnknownUserName, "v3_unknown_user"),
                   (errind.WrongDigest, "v3_authentication"),
                   (errind.AuthenticationFailure, "v3_authentication"),
                   (errind.AuthenticationError, "v3_authentication"),
                   (errind.DecryptionError, "v3_decryption"),
                   (errind.UnsupportedSecurityLevel, "v3_security_level"))

Handle = Callable[[Notification, str], None]


class _Receiver(ntfrcv.NotificationReceiver):  # type: ignore[misc]
    """pysnmp's receiver, refusing messages below their user's security level."""

    def __init__(self, engine: Any, usm: UsmReceiver) -> None:
        super().__init__(engine, usm.received)
        self.usm = usm

    def process_pdu(self, snmpEngine: Any, messageProcessingModel: Any,  # noqa: N803
                    securityModel: Any, securityName: Any, securityLevel: Any,  # noqa: N803
                    *rest: Any) -> None:
        pdu = rest[3]
        if not self.usm.allowed(str(securityName), int(securityLevel)):
            return
        self.usm.kind = (Kind.INFORM if pdu.tagSet in rfc3411.CONFIRMED_CLASS_PDUS
                         else Kind.TRAP)
        super().process_pdu(snmpEngine, messageProcessingModel, securityModel, securityName,
                            securityLevel, *rest)


class UsmReceiver:
    def __init__(self, users: tuple[V3User, ...], engine_id: bytes, handle: Handle,
                 metrics: TrapMetrics) -> None:
        self.handle = handle
        self.metrics = metrics
        self.required = {user.username: _LEVEL[user.security_level] for user in users}
        with warnings.catch_warnings():
            # pysnmp 7.1 reads the persisted snmpEngineBoots with open(...).read(), which
            # leaves the file to the garbage collector (a ResourceWarning): not ours to fix.
            warnings.simplefilter("ignore", ResourceWarning)
            self.engine = snmp_engine.SnmpEngine(rfc1902.OctetString(engine_id))
        for user in users:
            for security_engine in (None, *user.engine_ids):
                self._add_user(user, security_engine)
        self._receiver = _Receiver(self.engine, self)
        self.engine.observer.register_observer(self._sm_failure,
                                               "rfc3412.prepareDataElements:sm-failure")
        self.domain: tuple[int, ...] = udp.DOMAIN_NAME
        self.kind = Kind.TRAP
        self._source = ""
        self._outcome: str | None = None
        self._logs = LogLimit()

    def _add_user(self, user: V3User, security_engine: bytes | None) -> None:
        priv: Any = engine_config.USM_PRIV_NONE
        priv_key = None
        if user.security_level is SecurityLevel.AUTH_PRIV:
            priv, priv_key = PRIV_PROTOCOLS[user.priv_protocol], user.priv_password.reveal()
        engine_config.add_v3_user(
            self.engine, user.username, AUTH_PROTOCOLS[user.auth_protocol],
            user.password.reveal(), priv, priv_key,
            securityEngineId=(rfc1902.OctetString(security_engine)
                              if security_engine is not None else None))

    def attach(self, transport: asyncio.DatagramTransport, v6: bool) -> None:
        """Send pysnmp's replies through the receiver's socket."""
        carrier = udp6.Udp6AsyncioTransport() if v6 else udp.UdpAsyncioTransport()
        carrier.connection_made(transport)
        self.domain = udp6.DOMAIN_NAME if v6 else udp.DOMAIN_NAME
        engine_config.add_transport(self.engine, self.domain, carrier)

    def close(self) -> None:
        self._receiver.close(self.engine)
        self.engine.close_dispatcher()

    # --- one datagram ---------------------------------------------------------------------

    def feed(self, data: bytes, address: tuple[Any, ...], source: str) -> None:
        """Process one SNMPv3 datagram (``source``: its sender, for logs and labels)."""
        self._source, self._outcome = source, None
        try:
            self.engine.message_dispatcher.receive_message(
                self.engine, self.domain, address[:2], data)
        except Exception as exc:  # pysnmp raises many types on hostile input
            self._refuse("v3_dropped", f"{type(exc).__name__}: {exc}")
            return
        if self._outcome is None:
            self._refuse("v3_dropped", "not a valid SNMPv3 message (pysnmp dropped it)")

    def allowed(self, username: str, level: int) -> bool:
        required = self.required.get(username)
        if required is not None and level >= required:
            return True
        self._refuse("v3_security_level", f"user {username!r} sent security level {level}, "
                     f"below the {required} configured")
        return False

    def received(self, _engine: Any, _state: Any, _context_engine: Any, _context: Any,
                 var_binds: Any, _ctx: Any) -> None:
        """ntfrcv's callback: an accepted notification (an inform was answered already)."""
        self._outcome = "accepted"
        try:
            notification = from_v2("v3", self.kind, [to_varbind(n, v) for n, v in var_binds])
        except MalformedMessage as exc:
            self._refuse("malformed", str(exc))
            return
        self.handle(notification, self._source)

    def _sm_failure(self, _engine: Any, _point: str, variables: dict[str, Any],
                    _ctx: Any) -> None:
        indication = (variables.get("statusInformation") or {}).get("errorIndication")
        for kind, step in _DISCOVERY:
            if isinstance(indication, kind):
                self._outcome = step
                self.metrics.discovery[step] += 1
                log.debug("SNMPv3 discovery step=%s source=%s", step, self._source)
                return
        reason = next((r for kind, r in _REASONS if isinstance(indication, kind)),
                      "v3_dropped")
        self._refuse(reason, str(indication))

    def _refuse(self, reason: str, why: str) -> None:
        self._outcome = reason
        self.metrics.reject(reason)
        if self._logs.allow((reason, self._source)):
            log.warning("SNMPv3 notification refused (%s) source=%s: %s", reason,
                        self._source, why)
