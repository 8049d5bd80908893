"""Which agents each scope holds, computed once per (config, inventory)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from collector.config import Scope
from collector.inventory import Inventory

__all__ = ["ScopeIndex"]


@dataclass(frozen=True, slots=True)
class ScopeIndex:
    scopes: Mapping[str, Scope]
    members: Mapping[str, tuple[str, ...]]     # scope name -> agent ids, sorted
    member_sets: Mapping[str, frozenset[str]]
    home: Mapping[str, str]                    # agent id -> the first scope that holds it

    @classmethod
    def build(cls, scopes: tuple[Scope, ...], inventory: Inventory) -> ScopeIndex:
        members: dict[str, list[str]] = {s.name: [] for s in scopes}
        home: dict[str, str] = {}
        for agent_id in sorted(inventory.identities):
            attributes = inventory.identities[agent_id].attributes()
            for scope in scopes:
                if scope.contains(attributes):
                    members[scope.name].append(agent_id)
                    home.setdefault(agent_id, scope.name)
        return cls({s.name: s for s in scopes},
                   {name: tuple(ids) for name, ids in members.items()},
                   {name: frozenset(ids) for name, ids in members.items()}, home)
