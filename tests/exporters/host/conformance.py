"""Compare netmon's host exposition with node_exporter's, series by series.

:func:`compare` returns a list of problems (empty when the two agree):

* every ``node_*`` family netmon emits exists in node_exporter's output with the same TYPE and
  HELP, and every series with the same name and the same label set;
* for the families netmon emits, node_exporter has no series netmon lacks (a missing device,
  mount or CPU), except the zero-valued series node_exporter 1.5 prints for offline CPUs;
* values agree within the :class:`Rule` for their name. Two netmon runs bracket the
  node_exporter scrape (``ours`` before it, ``after`` after it), so a counter that moves
  during the comparison must lie between netmon's two readings; without ``after`` (fixture
  trees, static input) every rule is an exact comparison.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tests.peers.exposition import Exposition, SeriesKey


@dataclass(frozen=True)
class Rule:
    """How far node_exporter's value may sit outside netmon's ``[before, after]`` bracket.

    ``slack`` is absolute; ``fraction`` scales the value of family ``of`` (same labels, or the
    unlabelled series) in netmon's first reading. ``around_first`` compares with the first
    reading only (``|node - before| <= slack``), for values that do not move but may be
    recomputed with jitter.
    """

    pattern: str
    slack: float = 0.0
    fraction: float = 0.0
    of: str = ""
    around_first: bool = False
    why: str = ""

    def matches(self, name: str) -> bool:
        return re.fullmatch(self.pattern, name) is not None


EXACT = Rule(".*", why="fixed value: must be equal")

# The rules for two exporters reading the same live machine a few milliseconds apart.
LIVE_RULES: tuple[Rule, ...] = (
    Rule("node_memory_(MemTotal|SwapTotal|Hugepagesize|VmallocTotal)_bytes|"
         "node_memory_HugePages_Total", why="fixed total: exact"),
    Rule("node_filesystem_(size_bytes|files|readonly|device_error)", why="fixed: exact"),
    Rule("node_uname_info", why="fixed: exact (the labels are the data)"),
    Rule("node_boot_time_seconds", slack=1.0, around_first=True,
         why="btime is recomputed from the clock and may move by a second"),
    Rule("node_timex_(offset|maxerror|estimated_error|pps_jitter)_seconds|"
         "node_timex_frequency_adjustment_ratio", slack=0.01, around_first=True,
         why="the kernel's clock discipline moves between two reads (maxerror grows 500 us "
             "a second while unsynchronised)"),
    Rule("node_time_seconds", slack=1.0,
         why="wall clock read between netmon's two readings; 1 s for a clock adjustment"),
    Rule("node_cpu_(guest_)?seconds_total", slack=0.02,
         why="2 ticks of USER_HZ: the kernel's idle/iowait accounting can step back a tick"),
    Rule("node_(disk|network)_.*|node_(context_switches|forks|intr)_total|node_load(1|5|15)",
         why="read between netmon's two readings of the same kernel counter"),
    Rule("node_memory_.*", fraction=0.02, of="node_memory_MemTotal_bytes",
         why="the kernel moves pages all the time; 2% of MemTotal still catches kB-vs-bytes "
             "and wrong-field mistakes"),
    Rule("node_filesystem_(free|avail)_bytes", fraction=0.01, of="node_filesystem_size_bytes",
         why="other processes write; 1% of the size still catches unit mistakes"),
    Rule("node_filesystem_files_free", fraction=0.01, of="node_filesystem_files",
         why="other processes create files; 1% of the inode count"),
    Rule("node_procs_(running|blocked)", slack=64.0,
         why="instantaneous run-queue sizes: only the magnitude is comparable"),
)


def rule_for(name: str, rules: Sequence[Rule]) -> Rule:
    for rule in rules:
        if rule.matches(name):
            return rule
    return EXACT


def _scale(rule: Rule, labels: frozenset[tuple[str, str]], ours: Exposition) -> float | None:
    """The slack a fractional rule allows, or ``None`` when its reference series is missing."""
    if not rule.fraction:
        return 0.0
    reference = ours.values.get((rule.of, labels), ours.values.get((rule.of, frozenset())))
    return None if reference is None else rule.fraction * reference


def _show(key: SeriesKey) -> str:
    name, labels = key
    body = ",".join(f'{k}="{v}"' for k, v in sorted(labels))
    return f"{name}{{{body}}}"


def compare(ours: Exposition, node: Exposition, after: Exposition | None = None,
            rules: Sequence[Rule] = LIVE_RULES) -> list[str]:
    """Problems between netmon's exposition(s) and node_exporter's; empty when they agree."""
    problems: list[str] = []
    if after is None:
        rules, after = (), ours
    names = sorted(n for n in ours.names() if n.startswith("node_"))
    for name in names:
        if name not in node.types:
            problems.append(f"{name}: family not in node_exporter's output")
            continue
        if ours.types.get(name) != node.types[name]:
            problems.append(f"{name}: TYPE {ours.types.get(name)} but node_exporter says "
                            f"{node.types[name]}")
        if ours.helps.get(name) != node.helps.get(name):
            problems.append(f"{name}: HELP {ours.helps.get(name)!r} but node_exporter says "
                            f"{node.helps.get(name)!r}")
    for key in sorted(k for k in ours.values if k[0] in names and k[0] in node.types):
        name, labels = key
        if key not in node.values:
            problems.append(f"{_show(key)}: no such series in node_exporter's output "
                            f"(it has {sorted(_show((name, k)) for k in node.series(name))[:3]})")
            continue
        rule = rule_for(name, rules)
        first = ours.values[key]
        later = after.values.get(key, first)
        scaled = _scale(rule, labels, ours)
        if scaled is None:
            problems.append(f"{_show(key)}: no {rule.of} to scale the tolerance by")
            continue
        slack = rule.slack + scaled
        low, high = (first, first) if rule.around_first else (min(first, later),
                                                              max(first, later))
        value = node.values[key]
        if not low - slack <= value <= high + slack:
            problems.append(f"{_show(key)}: node_exporter {value!r}, netmon {first!r}"
                            + (f"..{later!r}" if later != first else "")
                            + (f" (slack {slack!r}: {rule.why})" if slack else ""))
    for key in sorted(k for k in node.values if k[0] in names):
        if key not in ours.values and not (key[0].startswith("node_cpu_")
                                           and node.values[key] == 0):
            problems.append(f"{_show(key)}: node_exporter has it, netmon does not")
    return problems
