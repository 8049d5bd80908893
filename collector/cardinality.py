"""Series per agent: what an agent would hold after a report, refused past the limit.

A report is limited on its own (``limits.max_samples``, 413), but an agent sends one report
per exporter, so a compromised agent could spread an explosion of series across many
exporters (``exporter`` is free text), each report under the per-report limit. The store
keeps the latest batch of every exporter of an agent; this module counts what the agent
would hold once the report's stored (non-late) batches replaced their exporters' previous
ones, and the push handler refuses the report with ``422`` and
``{"error": "agent X would hold N series, more than the limit of M ..."}`` (reason
``too_many_series`` in ``netmon_collector_reports_rejected_total``) before anything is stored.

422, not 413: the body is not too large (the per-report limits answer 413), the agent's
state would be; and the agent's shipper drops a report answered 4xx (other than 401, 403,
408, 429): sending the same report again would be refused again.
"""

from __future__ import annotations

from collector.errors import TooManySeries
from collector.prepare import PreparedReport
from collector.store import AgentState

__all__ = ["check_series", "series_after"]


def series_after(state: AgentState, report: PreparedReport, late: frozenset[int]) -> int:
    """The series ``state`` would hold once ``report``'s batches but ``late`` are stored."""
    incoming: dict[str, int] = {}
    for index, batch in enumerate(report.batches):
        if index not in late:
            incoming[batch.exporter] = batch.samples   # the last of an exporter wins
    kept = sum(sum(f.samples for f in stored.families)
               for exporter, stored in state.batches.items() if exporter not in incoming)
    return kept + sum(incoming.values())


def check_series(agent_id: str, state: AgentState, report: PreparedReport,
                 late: frozenset[int], limit: int) -> None:
    """Raise :class:`TooManySeries` when the agent would hold more than ``limit`` series."""
    total = series_after(state, report, late)
    if total > limit:
        raise TooManySeries(f"agent {agent_id} would hold {total} series, more than the "
                            f"limit of {limit} (limits.max_series_per_agent); the report is "
                            "not stored")
