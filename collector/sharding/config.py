"""``sharding:`` in collector.yml, as one frozen value (read by
:mod:`collector.sharding.config_load`).

    sharding:
      self: dc1-collector-a                 # this collector: one of the members
      members:                              # every collector of the data centre, the same
        - {name: dc1-collector-a, url: http://10.0.0.11:9750}     # list in each one's file
        - {name: dc1-collector-b, url: http://10.0.0.12:9750}
        - {name: dc1-collector-c, url: http://10.0.0.13:9750}
      interval: 2s      # each other member's /-/ready is asked this often
      timeout: 1s       # ... and must answer 200 within this
      fall: 3           # consecutive failed checks before a member is down
      rise: 2           # consecutive good checks before it is up again
      tls: {ca_file: ca.crt, cert_file: c.crt, key_file: c.key}  # for https:// members

Bounds that follow from these (defaults in brackets): a member that stops answering loses
its devices to the survivors within ``fall x interval + timeout`` plus one second for the
poller to follow [7 s]; each moved device is then polled at its next tick (its phase is the
same on every member, :mod:`netmon.schedule`). A member that starts polls nothing for its
first ``(rise + 1) x interval`` [6 s], the time the others take to count it up and let its
devices go: a hand-back leaves a gap of a few seconds, never two pollers.

Checks need no credentials: ``/-/ready`` is outside basic auth (:mod:`collector.server`). For
``https://`` members the certificate is verified (the system's CAs, or ``tls.ca_file``);
with mutual TLS on the members' listeners, ``tls.cert_file``/``key_file`` is the client
certificate the checks present (Prometheus's ``tls_config`` keys, as in agent.yml).

The section is read at start; a reload that changes it is logged and not applied (restart the
collector). Without it (or with no members) the collector polls every device its data centre
polls, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from netmon.web.client import TlsClientConfig

__all__ = ["Member", "ShardingConfig"]


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    #: base URL of its HTTP listener; its ``/-/ready`` is the health check.
    url: str

    @property
    def ready_url(self) -> str:
        return self.url.rstrip("/") + "/-/ready"


@dataclass(frozen=True, slots=True)
class ShardingConfig:
    members: tuple[Member, ...] = ()
    self_name: str = ""
    interval: float = 2.0
    timeout: float = 1.0
    fall: int = 3
    rise: int = 2
    tls: TlsClientConfig | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.members)

    @property
    def others(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.name != self.self_name)

    @property
    def warm_up(self) -> float:
        """How long a starting member waits before it polls (see the module docstring)."""
        return (self.rise + 1) * self.interval

    @property
    def failover_bound(self) -> float:
        """The longest a dead member's devices stay unassigned (before the poller follows)."""
        return self.fall * self.interval + self.timeout
