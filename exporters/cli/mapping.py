"""What a platform's mapping file says, as typed objects: which commands to run, which
template parses each, and how parsed fields become metrics.

A *table* is one command parsed by one template; each of its rows gives one sample per
metric. A metric names the field that holds its value and how that text becomes a number:

1. ``value_map``: exact texts (``up: 1``, ``administratively down: 0``);
2. ``value_patterns``: regular expressions tried in order, each matching the whole text
   (``'\\d+': 1`` says a BGP peer that shows a prefix count is established);
3. otherwise the text must be a decimal number, multiplied by ``scale`` (``0.001`` turns
   milliseconds into seconds) in decimal arithmetic, so ``6.1`` mA is ``0.0061`` A.

A value that maps to null gives no sample and is not an error (``N/A`` optical power). An
empty field (the template did not capture it in this row) gives no sample either. Any other
text is *unparsable*: no sample, counted in ``netmon_cli_unparsable_values``.

Labels come from fields (``labels: {INTERFACE: interface}``, on the table for every metric
and on a metric for itself) and from constants (``const_labels``). Every series also gets
``device``, added by the exporter. Several metrics may share a name (inlet and hotspot
temperatures, told apart by a constant label); they must then agree on type, help and label
names.

The *config check* is not a table: it hashes a command's output (see
:mod:`exporters.cli.config_check`), after dropping the lines its ``ignore_lines`` patterns
find.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from exporters.cli.templates import Template

__all__ = ["CONFIG_CHECK", "ConfigCheckSpec", "MetricMapping", "PlatformMapping",
           "TableMapping", "ValuePattern", "parse_number"]

#: The name under which a device's ``checks`` selects the config-change check.
CONFIG_CHECK = "config"

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class _Unparsable:
    """The result of a text that is neither mapped nor a number."""

    __slots__ = ()


UNPARSABLE = _Unparsable()


def parse_number(text: str) -> float | None:
    """A plain decimal number (no ``nan``, ``inf`` or thousands separators), or None."""
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class ValuePattern:
    """A whole-text regular expression and the value (or None: no sample) it maps to."""

    regex: re.Pattern[str]
    value: float | None


@dataclass(frozen=True, slots=True)
class MetricMapping:
    """One metric of a table."""

    name: str
    help: str
    type: str                                 # "gauge" or "counter"
    value: str                                # the template field holding the value
    value_map: Mapping[str, float | None]
    value_patterns: tuple[ValuePattern, ...] = ()
    scale: float = 1.0
    labels: tuple[tuple[str, str], ...] = ()  # (field, label), the table's included
    const_labels: tuple[tuple[str, str], ...] = ()

    @property
    def label_names(self) -> frozenset[str]:
        return frozenset([label for _, label in self.labels]
                         + [label for label, _ in self.const_labels])

    def convert(self, raw: str) -> float | _Unparsable | None:
        """The sample value of a field's text: a number, None (no sample), or
        :data:`UNPARSABLE`."""
        text = raw.strip()
        if not text:
            return None
        if text in self.value_map:
            return self.value_map[text]
        for pattern in self.value_patterns:
            if pattern.regex.fullmatch(text):
                return pattern.value
        number = parse_number(text)
        if number is None:
            return UNPARSABLE
        if self.scale == 1.0:
            return number
        # In decimal, so that 6.1 mA is 0.0061 A and not 0.0060999999999999995.
        return float(Decimal(text) * Decimal(repr(self.scale)))


@dataclass(frozen=True, slots=True)
class TableMapping:
    """One command, the template that parses its output, and the metrics of its rows."""

    name: str
    command: str
    template: Template
    metrics: tuple[MetricMapping, ...]
    require_rows: bool = False  # no row from a non-empty output is a parse failure


@dataclass(frozen=True, slots=True)
class ConfigCheckSpec:
    """The command whose output is hashed, and the volatile lines left out of the hash."""

    command: str
    ignore_lines: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class PlatformMapping:
    """Everything a platform's mapping file says."""

    source: str
    platform: str
    error_patterns: tuple[re.Pattern[str], ...]
    tables: tuple[TableMapping, ...]
    config_check: ConfigCheckSpec | None = None

    @property
    def check_names(self) -> tuple[str, ...]:
        """The names a device's ``checks`` may list."""
        names = tuple(t.name for t in self.tables)
        return (*names, CONFIG_CHECK) if self.config_check is not None else names

    def select(self, checks: tuple[str, ...]) -> PlatformMapping:
        """Only the tables (and config check) named in ``checks``; all when empty."""
        if not checks:
            return self
        unknown = [c for c in checks if c not in self.check_names]
        if unknown:
            raise KeyError(unknown[0])
        return PlatformMapping(
            self.source, self.platform, self.error_patterns,
            tuple(t for t in self.tables if t.name in checks),
            self.config_check if CONFIG_CHECK in checks else None)

    @property
    def commands(self) -> tuple[str, ...]:
        """Each command to run once, in the order of the file (config check last)."""
        out = dict.fromkeys(t.command for t in self.tables)
        if self.config_check is not None:
            out[self.config_check.command] = None
        return tuple(out)

    def refused(self, output: str) -> bool:
        """Whether the output is the device refusing the command (``% Invalid input``).
        Only the head of the output is searched: a refusal is printed first, and a config's
        banner further down may hold any text."""
        head = output[:512]
        return any(p.search(head) for p in self.error_patterns)
