"""``traps:`` in collector.yml, as one frozen value (read by :func:`parse_traps` in
:mod:`collector.traps.config_load`, which refuses unknown keys with file, line and key).

    traps:
      enabled: true                 # default: true once the section is there
      listen: 127.0.0.1:9162        # host:port, [v6]:port or :162 (every interface)
      communities: [public]         # v1/v2c: any other community is refused (and counted)
      engine_id: 80004fb8...        # hex; default: see collector.traps.engine_id
      users:                        # SNMPv3 (USM): informs and traps
        - username: netmon
          security_level: authPriv  # authPriv | authNoPriv (the least a message must have)
          auth_protocol: SHA        # MD5 | SHA | SHA224 | SHA256 | SHA384 | SHA512
          password: ...
          priv_protocol: AES        # DES | AES | AES192 | AES256 | AES192C | AES256C
          priv_password: ...
          engine_ids: [800000090300aabbccddeeff]   # senders' engine IDs, for v3 *traps*
      sources:                      # sender address -> agent of the inventory
        10.1.2.1: hn-badinh-phucxa-r1
        10.1.2.5: {agent: hn-badinh-phucxa-r1, instance: 10.1.2.5}
      max_unknown_sources: 64       # distinct unknown senders named in `source`; then "other"
      max_trap_oids: 256            # distinct unnamed trap OIDs in `trap`; then "other"
      queue: 10000                  # datagrams waiting to be handled; more are dropped
      alertmanager:                 # optional: traps as alerts (Alertmanager API v2)
        url: http://127.0.0.1:9093
        traps: {linkDown: critical, coldStart: warning}   # trap -> severity
        resolve_after: 300          # seconds: endsAt of an alert (a trap has no end)
        timeout: 10
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from exporters.secrets import Secret
from exporters.snmp.config import SecurityLevel

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "AlertmanagerConfig", "Source", "TrapsConfig",
           "V3User"]

DEFAULT_HOST: Final = "127.0.0.1"
#: Unprivileged: bind 162 with CAP_NET_BIND_SERVICE, or redirect 162 to it in the firewall.
DEFAULT_PORT: Final = 9162


@dataclass(frozen=True, slots=True)
class V3User:
    """A USM user notifications may come from. Keys never print themselves (Secret)."""

    username: str
    security_level: SecurityLevel = SecurityLevel.AUTH_PRIV
    auth_protocol: str = "SHA"
    password: Secret = field(default_factory=lambda: Secret(""))
    priv_protocol: str = "AES"
    priv_password: Secret = field(default_factory=lambda: Secret(""))
    #: Engine IDs of devices that send this user's v3 *traps* (the sender is authoritative
    #: for a trap, so its keys are localised with the sender's ID). Informs need none.
    engine_ids: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """Which agent a sender belongs to (its series get the trap's effects)."""

    agent: str
    #: Only the series with this ``instance`` label (an agent polling several routers);
    #: empty: every series of the agent.
    instance: str = ""


@dataclass(frozen=True, slots=True)
class AlertmanagerConfig:
    url: str = ""                                   # base URL; empty: no forwarding
    #: trap label (a name of the built-in table, or a numeric OID) -> severity
    traps: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    resolve_after: float = 300.0
    queue: int = 1000

    @property
    def enabled(self) -> bool:
        return bool(self.url) and bool(self.traps)


@dataclass(frozen=True, slots=True)
class TrapsConfig:
    enabled: bool = False
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    communities: tuple[Secret, ...] = ()
    users: tuple[V3User, ...] = ()
    engine_id: bytes = b""                  # empty: engine_id.default_engine_id() at start
    #: normalised address (``str(ipaddress.ip_address(...))``) -> source
    sources: tuple[tuple[str, Source], ...] = ()
    max_unknown_sources: int = 64
    max_trap_oids: int = 256
    queue: int = 10_000
    alertmanager: AlertmanagerConfig = field(default_factory=AlertmanagerConfig)

    @property
    def listen(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
