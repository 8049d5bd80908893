"""Who is who: districts, sites, data centres, agents and polled devices, and the identity of
each.

An agent's token decides who it is: the inventory keeps only SHA-256 hashes of tokens
(several per agent, for rotation, each with an optional expiry: :class:`AgentToken`). Tokens
are 32 random bytes (``secrets.token_urlsafe``), so a fast hash is the right one: there is
nothing to brute-force, and a stolen inventory gives no token.

A push is matched by looking its token's hash up in :attr:`Inventory.by_token_hash`, then the
stored hash is compared with :func:`hmac.compare_digest` (:meth:`Inventory.check_token`). The
dict lookup is not constant-time, on purpose: what its timing could reveal is whether a
stored *hash* shares a prefix (or a bucket) with the hash of a token the attacker chose, and
knowing part of a SHA-256 hash does not help to find a 256-bit token (it would take a
preimage). A constant-time scan of 600 hashes would cost more and protect nothing; the final
comparison is constant-time anyway, so no code path ever compares secret material with
``==``.

An expired token is refused as *expired* (401 ``token expired``, its own reason in
``netmon_collector_auth_failures_total``), not as unknown: an operator who forgot to deploy
the new token sees why at once. A token removed from the inventory (revoked) is unknown from
the first push after the reload (``SIGHUP`` or ``POST /-/reload``).

The identity of an agent is what the collector attaches to every series it stores for it:

==========  ===================================================================
``agent``   the agent's id (ASCII)
``site``    the site's id: the ward's official code (GSO), or the DC site's id
``district`` the district's Vietnamese name (``Quận Ba Đình``)
``ward``    the ward's Vietnamese name (``Phường Phúc Xá``); empty for a DC site
``role``    what the agent watches (``ward-router``, ``dc-host``, ...)
``dc``      ``primary`` or ``backup`` for agents at a data-centre site; empty for wards
==========  ===================================================================

Empty labels are not written (an empty label is an absent label to Prometheus).

A **device** is polled over SNMP by the collectors themselves (it has no agent: a data
centre's switch, a ward router whose agent is not installed yet). It has an identity like an
agent's, with its name as ``agent``, so its series, staleness, ``netmon_agent_up`` and
``/sd`` entry are those of an agent-polled router; it has no token, so nothing can push as
it. Agent ids and device names share one namespace: a ward that moves from collector polling
to an agent of the same id keeps its series.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

#: The identity labels, sorted.
IDENTITY_LABELS: Final = ("agent", "dc", "district", "role", "site", "ward")
SITE_KINDS: Final = frozenset({"ward", "dc"})
#: snmp_exporter's default auth (``/snmp`` without ``auth=``), and a device's.
DEFAULT_DEVICE_AUTH: Final = "public_v2"
DEFAULT_DEVICE_INTERVAL: Final = 60.0
#: A device's whole poll is cut after this long unless its ``timeout`` says otherwise (and
#: never later than its interval).
DEFAULT_POLL_TIMEOUT: Final = 30.0
DEFAULT_POLLERS: Final = ("primary", "backup")


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token, as the inventory stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    district: str            # a District.code
    kind: str                # "ward" or "dc"
    lat: float | None = None
    lon: float | None = None
    generated: bool = False  # not a real ward: added to size the fleet


@dataclass(frozen=True, slots=True)
class DataCentre:
    name: str                # "primary" or "backup"
    site: str                # a Site.id of kind "dc"


@dataclass(frozen=True, slots=True)
class AgentToken:
    """A token that stops being valid at ``expires`` (Unix seconds): the old token of a
    rotation, kept for a grace period while the new one is deployed."""

    sha256: str
    expires: float


@dataclass(frozen=True, slots=True)
class Agent:
    """``token_sha256``: hashes of tokens that do not expire; ``expiring``: those that do."""

    id: str
    site: str
    role: str
    token_sha256: tuple[str, ...] = ()
    expiring: tuple[AgentToken, ...] = ()


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What a presented token is: ``agent`` when valid; otherwise ``failure`` says why
    (``unknown`` or ``expired``) and ``agent`` is empty."""

    agent: str = ""
    failure: str = ""


@dataclass(frozen=True, slots=True)
class Device:
    """A device the collectors poll over SNMP (no agent). ``timeout`` bounds a whole poll
    (default: :data:`DEFAULT_POLL_TIMEOUT`, at most the interval); ``retries`` overrides the
    modules' per-request retries; ``pollers`` are the data centres whose collectors poll it
    (both by default, as an agent reports to both)."""

    name: str
    site: str
    role: str
    address: str                         # snmp_exporter's target: host, host:port, [v6]:port
    modules: tuple[str, ...]
    auth: str = DEFAULT_DEVICE_AUTH
    interval: float = DEFAULT_DEVICE_INTERVAL
    timeout: float | None = None
    retries: int | None = None
    pollers: tuple[str, ...] = DEFAULT_POLLERS

    @property
    def poll_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(self.interval,
                                                                  DEFAULT_POLL_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Identity:
    agent: str
    site: str
    district: str
    ward: str
    role: str
    dc: str
    kind: str

    def labels(self) -> dict[str, str]:
        """The six identity labels, empty ones included (for /sd and self-metrics)."""
        return {"agent": self.agent, "dc": self.dc, "district": self.district,
                "role": self.role, "site": self.site, "ward": self.ward}

    def attributes(self) -> dict[str, str]:
        """What scope matchers see: the identity labels and the site's kind."""
        return {**self.labels(), "kind": self.kind}


@dataclass(frozen=True)
class Inventory:
    """A validated inventory (:mod:`collector.inventory_load` checks every reference)."""

    districts: tuple[District, ...]
    sites: tuple[Site, ...]
    data_centres: tuple[DataCentre, ...]
    agents: tuple[Agent, ...]
    devices: tuple[Device, ...] = ()
    #: Agents and devices, by agent id or device name (agents first, in file order).
    identities: Mapping[str, Identity] = field(init=False, repr=False, compare=False)
    by_token_hash: Mapping[str, str] = field(init=False, repr=False, compare=False)
    #: When each expiring token stops being valid (Unix seconds), by hash.
    token_expiry: Mapping[str, float] = field(init=False, repr=False, compare=False)
    _stored: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        districts = {d.code: d for d in self.districts}
        sites = {s.id: s for s in self.sites}
        dc_of_site = {dc.site: dc.name for dc in self.data_centres}
        identities = {}
        members = [(a.id, a.site, a.role) for a in self.agents]
        members += [(d.name, d.site, d.role) for d in self.devices]
        for member, site_id, role in members:
            site = sites[site_id]
            identities[member] = Identity(
                agent=member, site=site.id, district=districts[site.district].name,
                ward=site.name if site.kind == "ward" else "", role=role,
                dc=dc_of_site.get(site.id, ""), kind=site.kind)
        object.__setattr__(self, "identities", identities)
        by_hash = {digest: agent.id for agent in self.agents for digest in agent.token_sha256}
        by_hash.update((t.sha256, agent.id) for agent in self.agents for t in agent.expiring)
        object.__setattr__(self, "by_token_hash", by_hash)
        object.__setattr__(self, "_stored", {  # the inventory's own strings, by hash
            digest: digest for digest in by_hash})
        object.__setattr__(self, "token_expiry", {
            t.sha256: t.expires for agent in self.agents for t in agent.expiring})

    def polled_by(self, dc: str) -> tuple[Device, ...]:
        """The devices the collector of data centre ``dc`` polls."""
        return tuple(d for d in self.devices if dc in d.pollers)

    def agent_for_token(self, token: str, now: float | None = None) -> str | None:
        """The id of the agent this token belongs to, or None (also when it expired by
        ``now``, Unix seconds; without ``now`` expiry is not checked)."""
        found = self.check_token(token, now)
        return found.agent or None

    def check_token(self, token: str, now: float | None = None) -> TokenCheck:
        """Who presents ``token`` at ``now`` (Unix seconds; None: expiry not checked)."""
        digest = hash_token(token)
        agent = self.by_token_hash.get(digest)
        stored = self._stored.get(digest, "")
        # the lookup finds the candidate; the authoritative comparison of the stored hash
        # with the presented one is constant-time (see the module's docstring)
        if agent is None or not hmac.compare_digest(stored, digest):
            return TokenCheck(failure="unknown")
        expires = self.token_expiry.get(digest)
        if expires is not None and now is not None and now >= expires:
            return TokenCheck(failure="expired")
        return TokenCheck(agent=agent)
