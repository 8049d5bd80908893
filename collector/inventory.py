"""Who is who: districts, sites, data centres and agents, and the identity of each agent.

An agent's token decides who it is: the inventory keeps only SHA-256 hashes of tokens
(several per agent, for rotation). Tokens are 32 random bytes (``secrets.token_urlsafe``), so
a fast hash is the right one: there is nothing to brute-force, and a stolen inventory gives
no token. A push is matched by looking its token's hash up in :attr:`Inventory.by_token_hash`.
That is a dict lookup, not :func:`hmac.compare_digest` over every agent, on purpose: what its
timing could reveal is whether a stored *hash* shares a prefix with the hash of a token the
attacker chose, and knowing part of a SHA-256 hash does not help to find a 256-bit token
(it would take a preimage). A constant-time scan of 600 hashes would cost more and protect
nothing.

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
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

#: The identity labels, sorted.
IDENTITY_LABELS: Final = ("agent", "dc", "district", "role", "site", "ward")
SITE_KINDS: Final = frozenset({"ward", "dc"})


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
class Agent:
    id: str
    site: str
    role: str
    token_sha256: tuple[str, ...] = ()


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
    identities: Mapping[str, Identity] = field(init=False, repr=False, compare=False)
    by_token_hash: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        districts = {d.code: d for d in self.districts}
        sites = {s.id: s for s in self.sites}
        dc_of_site = {dc.site: dc.name for dc in self.data_centres}
        identities = {}
        for agent in self.agents:
            site = sites[agent.site]
            identities[agent.id] = Identity(
                agent=agent.id, site=site.id, district=districts[site.district].name,
                ward=site.name if site.kind == "ward" else "", role=agent.role,
                dc=dc_of_site.get(site.id, ""), kind=site.kind)
        object.__setattr__(self, "identities", identities)
        object.__setattr__(self, "by_token_hash", {
            digest: agent.id for agent in self.agents for digest in agent.token_sha256})

    def agent_for_token(self, token: str) -> str | None:
        """The id of the agent this token belongs to, or None."""
        return self.by_token_hash.get(hash_token(token))
