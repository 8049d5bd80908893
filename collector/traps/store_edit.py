"""Set an interface's ``ifOperStatus`` in the store at once, as a linkDown/linkUp says.

The store keeps, per agent and exporter, the batch rendered at ingest: text lines such as

    ifOperStatus{ifIndex="2",ifName="eth1",agent="hn-...",district="...",...} 1

This edits the value of the matching lines in place: the family keeps its name, type and
number of samples, so the store's bookkeeping (one type per family name, sample counts) is
untouched, and the next scrape of a scope serves the new value. Everything else about the
batch stays as it was: it goes stale when it would have, and **the agent's next report
replaces it whole** (with the status the agent then polled, which should agree).

It uses the store's public objects only (``Store.agents``, ``AgentState.batches``, the
frozen ``StoredBatch`` and ``RenderedFamily``, replaced with :func:`dataclasses.replace`).
A label value is escaped in these lines (a ``"`` is always ``\\"``), so ``ifIndex="2"``
between ``{``/``,`` and ``,``/``}`` can only be the label itself.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from collector.lines import RenderedFamily
from collector.store import Store
from exporters.exposition import escape_label, format_value

__all__ = ["IF_OPER_STATUS", "set_if_oper_status"]

IF_OPER_STATUS: Final = "ifOperStatus"


def set_if_oper_status(store: Store, agent_id: str, if_index: int, status: int,
                       instance: str = "") -> int:
    """Set ``ifOperStatus{ifIndex=<if_index>}`` of ``agent_id``'s stored batches (only
    series with ``instance=<instance>`` when given) to ``status``; returns the number of
    series changed (0: none stored, e.g. the agent is down or never sent that interface)."""
    state = store.agents.get(agent_id)
    if state is None:
        return 0
    needles = [f'ifIndex="{if_index}"'.encode()]
    if instance:
        needles.append(f'instance="{escape_label(instance)}"'.encode())
    value = format_value(float(status)).encode()
    changed = 0
    for exporter, stored in list(state.batches.items()):
        families = list(stored.families)
        edited = 0
        for i, family in enumerate(families):
            if family.name == IF_OPER_STATUS:
                families[i], count = _edit(family, needles, value)
                edited += count
        if edited:
            state.batches[exporter] = dataclasses.replace(stored, families=tuple(families))
            changed += edited
    return changed


def _edit(family: RenderedFamily, needles: list[bytes], value: bytes
          ) -> tuple[RenderedFamily, int]:
    out: list[bytes] = []
    count = 0
    for line in family.lines.splitlines(keepends=True):
        series, space, _old = line.rstrip(b"\n").rpartition(b" ")
        if space and all(_has_label(series, needle) for needle in needles):
            out.append(series + b" " + value + b"\n")
            count += 1
        else:
            out.append(line)
    if not count:
        return family, 0
    return dataclasses.replace(family, lines=b"".join(out)), count


def _has_label(series: bytes, pair: bytes) -> bool:
    start = series.find(pair)
    while start > 0:
        end = start + len(pair)
        if series[start - 1] in b"{," and series[end:end + 1] in (b",", b"}"):
            return True
        start = series.find(pair, start + 1)
    return False
