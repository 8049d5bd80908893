"""The latest state of every agent: its last acknowledged sequence number and, per exporter,
the latest batch, rendered once at ingest.

* **Replace, never merge.** A batch replaces that exporter's previous batch whole, as a
  scrape replaces the previous scrape.
* **Exactly once.** A report whose ``seq`` is at or below the last acknowledged one, and
  whose batches are no newer than the newest already accepted, is a resend: acknowledged,
  counted once, stored never. (A lower ``seq`` carrying *newer* batches is an agent that
  started its sequence again, a reinstalled agent with an empty spool: accepted, logged.
  Without this rule such an agent would be ignored until its sequence caught up.)
* **Staleness.** A batch is withdrawn ``staleness_intervals`` x its own interval after it was
  received; an agent is up while its last report is younger than ``staleness_intervals`` x
  the largest interval among its batches. An agent that is down has every series withdrawn.
  Ages use the collector's monotonic clock (receive time), never the agent's clock.
  :meth:`Store.sweep` runs in a background loop; rendering checks ages again.
* **Late batches are not served.** A batch collected (``ts``) more than
  ``late_after_intervals`` x its interval before the collector's wall clock (plus the time
  the agent took to collect it, ``sent - ts``: a slow poll is not a backlog), or older than
  the batch stored for its exporter, is late: it never replaces what is stored (its values
  are not current, and a scrape would stamp them with the scrape's time). :meth:`late`
  names them before :meth:`commit`; the push handler forwards them through remote_write.
  A report made only of late batches still counts as a report (the agent is alive and
  catching up).
* **One type per family name.** The first type stored for a family name wins while any batch
  holds that name; a family that arrives with another type is dropped (counted, logged once
  per agent and family). So any set of agents concatenates into a valid exposition.

The store runs on the event loop only: no locks. Identity comes from the inventory
(:meth:`Store.apply_inventory` on load and reload).
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from collector.clock import Clock
from collector.inventory import Inventory
from collector.lines import IdentityLabels, RenderedBatch, RenderedFamily
from collector.prepare import PreparedReport
from collector.remote_write.spool import Acked

log = logging.getLogger(__name__)

__all__ = ["AgentState", "Commit", "Outcome", "Store"]


class Outcome(Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Commit:
    outcome: Outcome
    seq: int
    samples: int = 0          # stored
    conflicts: int = 0        # families dropped: their name has another type here
    duplicates: int = 0       # series dropped: repeated within their family
    late: int = 0             # samples of late batches (not stored)


@dataclass(frozen=True, slots=True)
class StoredBatch:
    batch: RenderedBatch
    families: tuple[RenderedFamily, ...]   # those kept (no type conflict)
    received: float                        # monotonic
    expires: float


@dataclass(slots=True)
class SeqWindow:
    """Which report numbers of an agent were accepted, exactly, in any order: agents send the
    newest report first and then their backlog, oldest first, so numbers arrive out of order.

    Held as sorted, disjoint ranges of numbers seen: live reports extend one range, a backlog
    being delivered grows another toward it, so an agent costs a few ranges however long its
    outage was. Bounded: past ``limit`` ranges (a pathological order), the two lowest merge,
    and a number in their gap is then taken as a duplicate, never counted twice.
    """

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)   # inclusive
    limit: int = 1_000

    def seen(self, seq: int) -> bool:
        i = bisect.bisect_right(self.starts, seq) - 1
        return i >= 0 and seq <= self.ends[i]

    def add(self, seq: int) -> None:
        if self.seen(seq):
            return
        i = bisect.bisect_right(self.starts, seq)      # ranges[:i] start at or below seq
        joins_left = i > 0 and self.ends[i - 1] == seq - 1
        joins_right = i < len(self.starts) and self.starts[i] == seq + 1
        if joins_left and joins_right:
            self.ends[i - 1] = self.ends[i]
            del self.starts[i], self.ends[i]
        elif joins_left:
            self.ends[i - 1] = seq
        elif joins_right:
            self.starts[i] = seq
        else:
            self.starts.insert(i, seq)
            self.ends.insert(i, seq)
            if len(self.starts) > self.limit:
                self.ends[0] = self.ends[1]
                del self.starts[1], self.ends[1]

    def restart(self, seq: int) -> None:
        """The agent's numbering started again (a new spool): forget the old numbers."""
        self.starts, self.ends = [seq], [seq]

    def ranges(self) -> tuple[tuple[int, int], ...]:
        return tuple(zip(self.starts, self.ends, strict=True))

    @classmethod
    def of(cls, ranges: Iterable[tuple[int, int]]) -> SeqWindow:
        """A window holding ``ranges`` (as :meth:`ranges` gives them; any order)."""
        window = cls()
        for first, last in sorted(ranges):
            if window.ends and first <= window.ends[-1] + 1:
                window.ends[-1] = max(window.ends[-1], last)
            else:
                window.starts.append(first)
                window.ends.append(last)
        return window

    def copy(self) -> SeqWindow:
        return SeqWindow(list(self.starts), list(self.ends), self.limit)

    @property
    def last(self) -> int | None:
        return self.ends[-1] if self.ends else None


@dataclass(slots=True)
class AgentState:
    ident: IdentityLabels
    seqs: SeqWindow = field(default_factory=SeqWindow)
    newest_ts: float = -math.inf
    last_report: float | None = None       # monotonic
    last_report_wall: float | None = None
    interval: float = 0.0                  # largest interval among its batches
    batches: dict[str, StoredBatch] = field(default_factory=dict)
    up: bool = False                       # as of the last sweep (for transitions)
    reports: dict[str, int] = field(
        default_factory=lambda: {"accepted": 0, "duplicate": 0, "rejected": 0})
    warned: set[str] = field(default_factory=set)
    late_samples: int = 0
    behind: bool = False                   # sending late batches (an episode, for logs)
    last_late: float = 0.0                 # monotonic, its last late batch
    episode_late: int = 0                  # late samples in the current episode

    def is_up(self, now: float, staleness: float) -> bool:
        return (self.last_report is not None and self.interval > 0
                and now - self.last_report <= staleness * self.interval)


@dataclass(slots=True)
class _FamilyMeta:
    type: str
    head: bytes
    users: int


class Store:
    def __init__(self, inventory: Inventory, staleness_intervals: float, clock: Clock,
                 late_after_intervals: float = 2.0) -> None:
        self.clock = clock
        self.staleness = staleness_intervals
        self.late_after = late_after_intervals
        self.agents: dict[str, AgentState] = {}
        self._families: dict[str, _FamilyMeta] = {}
        self.samples = 0
        self.apply_inventory(inventory, staleness_intervals)

    # --- inventory ---------------------------------------------------------------------------

    def apply_inventory(self, inventory: Inventory, staleness_intervals: float,
                        late_after_intervals: float | None = None) -> None:
        """Follow a (re)loaded inventory: new agents appear, removed ones go with their
        series; an agent whose identity changed keeps its sequence but loses its batches
        (they carry the old labels; its next report brings them back)."""
        self.staleness = staleness_intervals
        if late_after_intervals is not None:
            self.late_after = late_after_intervals
        for agent_id in [a for a in self.agents if a not in inventory.identities]:
            self._release_all(self.agents.pop(agent_id))
            log.info("agent removed from the inventory agent=%s", agent_id)
        for agent_id, identity in inventory.identities.items():
            state = self.agents.get(agent_id)
            if state is None:
                self.agents[agent_id] = AgentState(IdentityLabels.of(identity))
            elif state.ident.identity != identity:
                self._release_all(state)
                state.ident = IdentityLabels.of(identity)
                log.info("agent identity changed, series dropped until its next report "
                         "agent=%s site=%s", agent_id, identity.site)

    # --- ingest ------------------------------------------------------------------------------

    def is_duplicate(self, agent_id: str, seq: int, newest_ts: float) -> bool:
        """A report already accepted: its number was seen, and it brings nothing newer."""
        state = self.agents[agent_id]
        return state.seqs.seen(seq) and newest_ts <= state.newest_ts

    def acked_after(self, agent_id: str, report: PreparedReport) -> Acked:
        """What will have been acknowledged from the agent once ``report`` is committed: to
        persist with its spooled rows (:class:`collector.remote_write.spool.Acked`)."""
        state = self.agents[agent_id]
        window = state.seqs.copy()
        if window.seen(report.seq):
            window.restart(report.seq)    # commit() treats it so (a duplicate never gets here)
        else:
            window.add(report.seq)
        return Acked(agent_id, window.ranges(), max(state.newest_ts, report.newest_ts))

    def restore_acked(self, found: Iterable[Acked]) -> int:
        """At start: what a previous run acknowledged (from the remote_write spool), so a
        report it acknowledged is a duplicate now too. Returns the agents restored."""
        restored = 0
        for acked in found:
            state = self.agents.get(acked.agent)
            if state is None:
                continue
            merged = SeqWindow.of([*state.seqs.ranges(), *acked.ranges])
            state.seqs.starts, state.seqs.ends = merged.starts, merged.ends
            state.newest_ts = max(state.newest_ts, acked.newest_ts)
            restored += 1
        return restored

    def known_duplicate(self, agent_id: str, seq: int, created: float) -> bool:
        """A report announced (by its headers) as ``seq``, made at ``created`` (agent clock,
        after all its batches were collected), is one already accepted: counted as a
        duplicate, and its body need not be read."""
        state = self.agents[agent_id]
        if state.seqs.seen(seq) and created <= state.newest_ts:
            state.reports["duplicate"] += 1
            return True
        return False

    def late(self, agent_id: str, report: PreparedReport, wall: float) -> frozenset[int]:
        """Indexes of the report's late batches (``wall``: the collector's Unix time)."""
        batches = self.agents[agent_id].batches
        out = set()
        for index, batch in enumerate(report.batches):
            stored = batches.get(batch.exporter)
            collecting = max(0.0, report.sent - batch.ts)
            if batch.ts < wall - self.late_after * batch.interval - collecting or (
                    stored is not None and batch.ts < stored.batch.ts):
                out.add(index)
        return frozenset(out)

    def commit(self, agent_id: str, report: PreparedReport,
               late: frozenset[int] = frozenset()) -> Commit:
        """Store the report's batches but those in ``late`` (see :meth:`late`)."""
        state = self.agents[agent_id]
        if self.is_duplicate(agent_id, report.seq, report.newest_ts):
            state.reports["duplicate"] += 1
            return Commit(Outcome.DUPLICATE, report.seq)
        restarted = state.seqs.seen(report.seq)
        if restarted:
            log.warning("agent restarted its sequence (a number already seen, newer data) "
                        "agent=%s site=%s seq=%d last_seq=%s", agent_id,
                        state.ident.identity.site, report.seq, state.seqs.last)
        now = self.clock.monotonic()
        samples = conflicts = duplicates = late_samples = 0
        for index, batch in enumerate(report.batches):
            if index in late:
                late_samples += batch.samples
                continue
            old = state.batches.pop(batch.exporter, None)
            if old is not None:
                self._release(old.families)
            kept = []
            for family in batch.families:
                if self._acquire(family):
                    kept.append(family)
                    samples += family.samples
                else:
                    conflicts += 1
                    self._warn_conflict(agent_id, state, family)
            conflicts += batch.conflicts
            duplicates += batch.duplicates
            state.batches[batch.exporter] = StoredBatch(
                batch, tuple(kept), now, now + self.staleness * batch.interval)
            self.samples += sum(f.samples for f in kept)
        if restarted:
            state.seqs.restart(report.seq)
        else:
            state.seqs.add(report.seq)
        state.newest_ts = max(state.newest_ts, report.newest_ts)
        state.last_report = now
        state.last_report_wall = self.clock.wall()
        state.interval = max((b.batch.interval for b in state.batches.values()),
                             default=state.interval)
        state.reports["accepted"] += 1
        state.late_samples += late_samples
        self._log_behind(agent_id, state, report, late)
        if not state.up and state.is_up(now, self.staleness):
            state.up = True
            log.info("agent up agent=%s site=%s", agent_id, state.ident.identity.site)
        return Commit(Outcome.ACCEPTED, report.seq, samples, conflicts, duplicates,
                      late_samples)

    def _log_behind(self, agent_id: str, state: AgentState, report: PreparedReport,
                    late: frozenset[int]) -> None:
        """One line when an agent starts sending late batches; :meth:`sweep` logs the end
        (no late batch for ``staleness_intervals`` of its intervals: live reports
        interleaved with a backlog do not end the episode)."""
        if not late:
            return
        batches = [report.batches[i] for i in late]
        state.last_late = self.clock.monotonic()
        state.episode_late += sum(b.samples for b in batches)
        if state.behind:
            return
        state.behind = True
        older = all(b.exporter in state.batches
                    and b.ts < state.batches[b.exporter].batch.ts for b in batches)
        log.info("agent sends late batches (%s): not served, forwarded if remote_write is "
                 "configured agent=%s site=%s lateness=%.0fs",
                 "a backlog, older than what is stored" if older else "older than "
                 f"{self.late_after:g} intervals: a backlog sent oldest first, or the agent's "
                 "clock is behind the collector's (check NTP)", agent_id,
                 state.ident.identity.site, self.clock.wall() - min(b.ts for b in batches))

    def withdraw(self, agent_id: str) -> None:
        """Forget what the agent (a device another collector polls now) last sent: its
        series go at once and it counts as not reporting here. Its sequence window is kept."""
        state = self.agents.get(agent_id)
        if state is not None:
            self._release_all(state)
            state.last_report = state.last_report_wall = None
            state.up = False

    def count_rejected(self, agent_id: str) -> None:
        self.agents[agent_id].reports["rejected"] += 1

    def _acquire(self, family: RenderedFamily) -> bool:
        meta = self._families.get(family.name)
        if meta is None:
            self._families[family.name] = _FamilyMeta(family.type, family.head(), 1)
            return True
        if meta.type != family.type:
            return False
        meta.users += 1
        return True

    def _release(self, families: Iterable[RenderedFamily]) -> None:
        for family in families:
            meta = self._families[family.name]
            meta.users -= 1
            self.samples -= family.samples
            if meta.users == 0:
                del self._families[family.name]

    def _release_all(self, state: AgentState) -> None:
        for stored in state.batches.values():
            self._release(stored.families)
        state.batches.clear()

    def _warn_conflict(self, agent_id: str, state: AgentState, family: RenderedFamily) -> None:
        if family.name not in state.warned:
            state.warned.add(family.name)
            log.warning("family dropped: another agent stored it with another type agent=%s "
                        "site=%s family=%s type=%s stored_type=%s", agent_id,
                        state.ident.identity.site, family.name, family.type,
                        self._families[family.name].type)

    # --- staleness ---------------------------------------------------------------------------

    def sweep(self) -> None:
        """Withdraw expired batches and the series of agents that went down."""
        now = self.clock.monotonic()
        for agent_id, state in self.agents.items():
            expired = [e for e, b in state.batches.items() if b.expires < now]
            for exporter in expired:
                self._release(state.batches.pop(exporter).families)
            up = state.is_up(now, self.staleness)
            if not up and state.batches:
                self._release_all(state)
            if state.up and not up:
                log.warning("agent down: no report for %.1fs agent=%s site=%s",
                            now - (state.last_report or now), agent_id,
                            state.ident.identity.site)
            state.up = up
            if state.behind and now - state.last_late > self.staleness * max(state.interval,
                                                                              1.0):
                log.info("agent caught up: %d late samples, none for %.0fs agent=%s site=%s",
                         state.episode_late, now - state.last_late, agent_id,
                         state.ident.identity.site)
                state.behind, state.episode_late = False, 0

    # --- rendering ---------------------------------------------------------------------------

    def fresh_families(self, agent_id: str, now: float) -> Iterable[RenderedFamily]:
        """The families of the agent's fresh batches (none if it is down)."""
        state = self.agents.get(agent_id)
        if state is None or not state.is_up(now, self.staleness):
            return ()
        return [f for b in state.batches.values() if b.expires >= now for f in b.families]

    def head(self, family_name: str) -> bytes:
        return self._families[family_name].head
