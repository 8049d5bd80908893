"""A scope's exposition: concatenation of lines rendered at ingest, never re-rendering.

The text format needs a family's samples contiguous under one HELP and TYPE, so the chunks
of every agent are grouped by family name (first HELP wins; the store guarantees one type
per name), families sorted by name, agents in id order within a family. The cost is one
dict append per (agent, family), not per sample.
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.store import Store

__all__ = ["render_scope"]


def render_scope(store: Store, agent_ids: Iterable[str], now: float) -> list[bytes]:
    """The exposition as a list of byte chunks, in order (join or stream them)."""
    groups: dict[str, list[bytes]] = {}
    for agent_id in agent_ids:
        for family in store.fresh_families(agent_id, now):
            chunks = groups.get(family.name)
            if chunks is None:
                chunks = groups[family.name] = [store.head(family.name)]
            chunks.append(family.lines)
    out: list[bytes] = []
    for name in sorted(groups):
        out.extend(groups[name])
    return out
